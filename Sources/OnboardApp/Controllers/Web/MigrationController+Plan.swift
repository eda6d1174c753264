import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The plan (timeline, table and CSV), tasks done and checklist items ticked with their evidence, and go-live.
extension MigrationController {
    // MARK: Plan

    struct TaskItem: Encodable {
        let key: String
        let title: String
        let owner: String
        let start: String
        let end: String
        let days: Int
        let done: Bool
        let late: Bool
        let problem: String?
        let evidence: String?
        let doneBy: String?
        let href: String
        // The timeline's bar and label.
        let y: Int
        let textY: Int
        let x: Int
        let width: Int
        let fill: String
        let label: String
    }

    struct Tick: Encodable {
        let x: Int
        let label: String
    }

    struct PlanPage: Encodable {
        let organisation: String
        let option: String
        let goLive: String
        let tasks: [TaskItem]
        let hasTasks: Bool
        let problems: Int
        let late: Int
        let csvHref: String
        let goLiveHref: String
        let optionHref: String
        let isLive: Bool
        // The timeline.
        let height: Int
        let goLiveX: Int
        let ticks: [Tick]
        let summary: String
    }

    static let labelWidth = 300
    static let chartWidth = 620
    static let rowHeight = 30

    func plan(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await project(req, principal)
        let rows = try await MigrationProjects.tasks(of: project.id, on: req.sql)
        let today = Day.today(req.now)
        let first = rows.map(\.start).min() ?? today
        let last = max(rows.map(\.end).max() ?? today, project.goLive ?? today)
        let span = max(1, last - first)
        func x(_ day: Day) -> Int {
            Self.labelWidth + Int(Double(day - first) / Double(span) * Double(Self.chartWidth))
        }
        let tasks = rows.enumerated().map { index, task in
            let late = task.doneAt == nil && task.end < today
            let fill =
                task.doneAt != nil
                ? "#007f3b" : late ? "#d5281b" : task.problem != nil ? "#ffb81c" : "#005eb8"
            return TaskItem(
                key: task.key, title: task.title, owner: task.ownerTitle, start: task.start.long, end: task.end.long,
                days: task.durationDays, done: task.doneAt != nil, late: late,
                problem: project.goLive == nil ? nil : task.problem, evidence: task.evidence, doneBy: task.doneByName,
                href: SiteURL.migrationTask(project.id, key: task.key).path, y: 40 + index * Self.rowHeight,
                textY: 40 + index * Self.rowHeight + 15, x: x(task.start),
                width: max(4, x(task.end) - x(task.start)), fill: fill,
                label: task.title.count > 42 ? String(task.title.prefix(40)) + "…" : task.title)
        }
        // Month starts along the top.
        var ticks: [Tick] = []
        var (y, m, _) = first.civil
        while true {
            let start = Day(ordinal: Day.ordinal(year: y, month: m, day: 1))
            if start > last { break }
            if start >= first {
                ticks.append(Tick(x: x(start), label: "\(Day.monthNames[m - 1].prefix(3)) \(y)"))
            }
            m += 1
            if m > 12 {
                m = 1
                y += 1
            }
        }
        let summary =
            rows.isEmpty
            ? "No tasks yet."
            : "\(rows.count) tasks from \(first.long) to \(last.long)"
                + (project.goLive.map { ", with go-live on \($0.long)" } ?? "")
                + ". The table below lists every task with its dates and status."
        return try await req.render(
            "migration/plan",
            req.chrome(
                "Migration plan",
                breadcrumbs: [
                    .init(text: "Migration projects", href: SiteURL.migrations.path),
                    .init(text: project.organisationName, href: SiteURL.migration(project.id).path),
                ], notice: req.notice),
            PlanPage(
                organisation: project.organisationName, option: project.migrationOption?.title ?? "",
                goLive: project.goLive?.long ?? "", tasks: tasks, hasTasks: !tasks.isEmpty,
                problems: tasks.filter { $0.problem != nil }.count, late: tasks.filter(\.late).count,
                csvHref: SiteURL.migrationPlanCSV(project.id).path,
                goLiveHref: SiteURL.migrationGoLive(project.id).path,
                optionHref: SiteURL.migrationOption(project.id).path, isLive: project.isLive,
                height: 50 + tasks.count * Self.rowHeight, goLiveX: project.goLive.map(x) ?? -1, ticks: ticks,
                summary: summary))
    }

    func planCSV(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await project(req, principal)
        let csv = try await req.migrationProjects.exportPlan(project)
        let response = Response(status: .ok, body: .init(data: Data(csv)))
        response.headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        response.headers.replaceOrAdd(
            name: .contentDisposition,
            value: "attachment; filename=\"migration-plan-\(project.odsCode ?? "project").csv\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // MARK: Evidence: a task done, a checklist item ticked

    struct EvidencePage: Encodable {
        let caption: String
        let title: String
        let action: String
        let evidence: String
        let hint: String
        let button: String
        let fieldErrors: [String: String]
    }

    struct EvidenceForm: Content { var evidence: String? }

    private func renderEvidence(
        _ req: Request, project: MigrationProjectRow, title: String, back: SiteURL, hint: String, button: String,
        evidence: String, errors: ValidationErrors
    ) async throws -> Response {
        try await req.render(
            "migration/evidence",
            req.chrome(title, backLink: back.path, errors: errors),
            EvidencePage(
                caption: project.organisationName, title: title, action: req.url.path, evidence: evidence,
                hint: hint, button: button, fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func taskPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let task = try await task(req, project)
        return try await renderEvidence(
            req, project: project, title: "Mark as done: \(task.title)", back: .migrationPlan(project.id),
            hint: "What was done, and where the record is: a document, a ticket or a meeting", button: "Mark as done",
            evidence: "", errors: .init())
    }

    private func task(_ req: Request, _ project: MigrationProjectRow) async throws -> MigrationTaskRow {
        let key = PathParameter.key.value(in: req) ?? ""
        guard let task = try await MigrationProjects.tasks(of: project.id, on: req.sql).first(where: { $0.key == key })
        else { throw Abort(.notFound) }
        return task
    }

    func completeTask(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let task = try await task(req, project)
        let form = try req.content.decode(EvidenceForm.self)
        return try await save(
            req,
            { _ = try await $0.completeTask(project, key: task.key, evidence: form.evidence, by: principal.accountID) },
            then: .migrationPlan(project.id), notice: Notices.taskDone,
            orShow: { errors in
                try await renderEvidence(
                    req, project: project, title: "Mark as done: \(task.title)", back: .migrationPlan(project.id),
                    hint: "What was done, and where the record is: a document, a ticket or a meeting",
                    button: "Mark as done", evidence: form.evidence ?? "", errors: errors)
            })
    }

    struct ChecklistEntry: Encodable {
        let title: String
        let mandatory: Bool
        let ticked: Bool
        let by: String?
        let when: String?
        let evidence: String?
        let href: String
    }

    struct ChecklistPage: Encodable {
        let organisation: String
        let items: [ChecklistEntry]
        let hasItems: Bool
        let outstanding: Int
        let optionHref: String
        let confirmHref: String
        let isLive: Bool
    }

    func checklist(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await project(req, principal)
        let rows = try await MigrationProjects.checklist(of: project.id, on: req.sql)
        return try await req.render(
            "migration/checklist",
            req.chrome(
                "Migration checklist",
                breadcrumbs: [
                    .init(text: "Migration projects", href: SiteURL.migrations.path),
                    .init(text: project.organisationName, href: SiteURL.migration(project.id).path),
                ], notice: req.notice),
            ChecklistPage(
                organisation: project.organisationName,
                items: rows.map {
                    ChecklistEntry(
                        title: $0.title, mandatory: $0.mandatory, ticked: $0.tickedAt != nil, by: $0.tickedByName,
                        when: $0.tickedAt.map(Format.dateTime), evidence: $0.evidence,
                        href: SiteURL.migrationChecklistItem(project.id, key: $0.key).path)
                }, hasItems: !rows.isEmpty, outstanding: rows.filter { $0.mandatory && $0.tickedAt == nil }.count,
                optionHref: SiteURL.migrationOption(project.id).path,
                confirmHref: SiteURL.migrationConfirm(project.id).path,
                isLive: project.isLive))
    }

    private func checklistItem(_ req: Request, _ project: MigrationProjectRow) async throws -> ChecklistRow {
        let key = PathParameter.key.value(in: req) ?? ""
        guard
            let item = try await MigrationProjects.checklist(of: project.id, on: req.sql).first(where: { $0.key == key }
            )
        else { throw Abort(.notFound) }
        return item
    }

    func tickPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let item = try await checklistItem(req, project)
        return try await renderEvidence(
            req, project: project, title: item.title, back: .migrationChecklist(project.id),
            hint: "How you know it is done: a document, a ticket or a meeting", button: "Tick it", evidence: "",
            errors: .init())
    }

    func tick(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let item = try await checklistItem(req, project)
        let form = try req.content.decode(EvidenceForm.self)
        return try await save(
            req, { _ = try await $0.tick(project, key: item.key, evidence: form.evidence, by: principal.accountID) },
            then: .migrationChecklist(project.id), notice: Notices.itemTicked,
            orShow: { errors in
                try await renderEvidence(
                    req, project: project, title: item.title, back: .migrationChecklist(project.id),
                    hint: "How you know it is done: a document, a ticket or a meeting", button: "Tick it",
                    evidence: form.evidence ?? "", errors: errors)
            })
    }

    // MARK: Go-live confirmation

    struct ConfirmPage: Encodable {
        let organisation: String
        let goLive: String
        let blockers: [String]
        let canConfirm: Bool
        let isLive: Bool
        let action: String
        let checklistHref: String
    }

    func confirmPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await project(req, principal)
        let blockers = try await MigrationProjects.blockers(project, on: req.sql)
        return try await renderConfirm(req, project: project, blockers: blockers)
    }

    private func renderConfirm(_ req: Request, project: MigrationProjectRow, blockers: GoLiveBlockers)
        async throws -> Response
    {
        try await req.render(
            "migration/confirm",
            req.chrome("Confirm go-live", backLink: SiteURL.migration(project.id).path),
            ConfirmPage(
                organisation: project.organisationName, goLive: project.goLive?.long ?? "Not set",
                blockers: blockers.messages, canConfirm: blockers.isEmpty && !project.isLive, isLive: project.isLive,
                action: SiteURL.migrationConfirm(project.id).path,
                checklistHref: SiteURL.migrationChecklist(project.id).path),
            status: blockers.isEmpty || project.isLive ? .ok : .conflict)
    }

    func confirm(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let blockers = try await req.migrationProjects.confirmGoLive(project, by: principal.accountID)
        guard blockers.isEmpty else { return try await renderConfirm(req, project: project, blockers: blockers) }
        return req.seeOther(.migration(project.id), notice: Notices.wentLive)
    }
}
