import Foundation
import OnboardDomain
import SQLKit
import Vapor

extension Day {
    /// Today's calendar day in the UK, where the plans' dates are read.
    static func today(_ now: Date) -> Day {
        let seconds = TimeZone(identifier: "Europe/London")?.secondsFromGMT(for: now) ?? 0
        return Day(ordinal: Int(((now.timeIntervalSince1970 + Double(seconds)) / 86_400).rounded(.down)))
    }

}

/// Migration projects' pages: starting one, the option, the initiation record, go-live and the plan, the
/// checklist, transfer batches through the malware gate, and confirming go-live.
struct MigrationController {
    struct ProjectLink: Encodable {
        let href: String
        let organisation: String
        let ods: String
        let option: String
        let goLive: String
        let status: String
        let ism: String
    }

    struct ListPage: Encodable {
        let projects: [ProjectLink]
        let hasProjects: Bool
        let canStart: Bool
    }

    static func canStart(_ principal: Principal) -> Bool { principal.hasAny(.migrationUsers) }

    func list(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let rows = try await MigrationProjects.list(for: principal, on: req.sql)
        return try await req.render(
            "migration/list",
            req.chrome(
                "Migration projects", breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)], notice: req.notice),
            ListPage(
                projects: rows.map { row in
                    ProjectLink(
                        href: SiteURL.migration(row.id).path, organisation: row.organisationName,
                        ods: row.odsCode ?? "",
                        option: row.migrationOption?.title ?? "Not chosen yet", goLive: row.goLive?.long ?? "Not set",
                        status: row.isLive ? "Live" : "In progress", ism: row.ismName ?? "None")
                }, hasProjects: !rows.isEmpty, canStart: Self.canStart(principal)))
    }

    // MARK: Starting

    struct ISMChoice: Encodable {
        let value: String
        let text: String
        let selected: Bool
    }

    struct NewPage: Encodable {
        let ods: String
        let isms: [ISMChoice]
        let choosesISM: Bool
        let fieldErrors: [String: String]
    }

    struct NewForm: Content {
        var organisation: String?
        var ism: String?
    }

    func newPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await renderNew(req, principal: principal, form: NewForm(), errors: .init())
    }

    private func renderNew(_ req: Request, principal: Principal, form: NewForm, errors: ValidationErrors)
        async throws -> Response
    {
        let isms = try await MigrationProjects.isms(on: req.sql)
        return try await req.render(
            "migration/new",
            req.chrome(
                "Start a migration project",
                breadcrumbs: [.init(text: "Migration projects", href: SiteURL.migrations.path)],
                errors: errors),
            NewPage(
                ods: form.organisation ?? "",
                isms: isms.map {
                    ISMChoice(
                        value: $0.id.uuidString.lowercased(), text: $0.name,
                        selected: form.ism?.lowercased() == $0.id.uuidString.lowercased())
                }, choosesISM: MigrationProjects.canAssign(principal), fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func start(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let form = try req.content.decode(NewForm.self)
        let context = req.auditContext
        let now = req.now
        do {
            let id = try await req.inTransaction { sql in
                try await MigrationProjects.start(
                    ods: form.organisation, ism: form.ism.flatMap(UUID.init(uuidString:)), principal: principal,
                    context: context, now: now, on: sql)
            }
            return req.seeOther(.migration(id), notice: Notices.projectStarted)
        } catch let errors as ValidationErrors {
            return try await renderNew(req, principal: principal, form: form, errors: errors)
        }
    }

    /// What every form of a project does when sent: make the change in one transaction, at the request's time
    /// and under its audit context; a refusal shows the form again with its errors, success redirects with a
    /// notice.
    private func save(
        _ req: Request, _ change: @escaping @Sendable (any SQLDatabase, AuditContext, Date) async throws -> Void,
        then next: SiteURL, notice: String, orShow refused: (ValidationErrors) async throws -> Response
    ) async throws -> Response {
        let context = req.auditContext
        let now = req.now
        do {
            try await req.inTransaction { sql in try await change(sql, context, now) }
        } catch let errors as ValidationErrors {
            return try await refused(errors)
        }
        return req.seeOther(next, notice: notice)
    }

    func project(_ req: Request, _ principal: Principal) async throws -> MigrationProjectRow {
        try await MigrationProjects.visible(PathParameter.id.value(in: req), to: principal, on: req.sql)
    }

    /// Changes are for projects still open; a live project's record stands.
    func openProject(_ req: Request, _ principal: Principal) async throws -> MigrationProjectRow {
        let project = try await project(req, principal)
        guard !project.isLive else {
            throw Abort(.conflict, reason: "This project is live: its record can no longer be changed.")
        }
        return project
    }

    // MARK: Overview

    struct Step: Encodable {
        let title: String
        let href: String
        let status: String
        let tag: String
        let hint: String
    }

    struct Overview: Encodable {
        let id: String
        let organisation: String
        let ods: String
        let organisationStatus: String
        let ism: String
        let option: String
        let reason: String
        let goLive: String
        let isLive: Bool
        let liveAt: String
        let steps: [Step]
        let guidance: [Guidance.Item]
        let canAssign: Bool
        let isms: [ISMChoice]
        let assignHref: String
        let fieldErrors: [String: String]
    }

    func show(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await renderShow(req, principal: principal, errors: .init())
    }

    private func renderShow(_ req: Request, principal: Principal, errors: ValidationErrors) async throws -> Response {
        let project = try await project(req, principal)
        let tasks = try await MigrationProjects.tasks(of: project.id, on: req.sql)
        let checklist = try await MigrationProjects.checklist(of: project.id, on: req.sql)
        let batches = try await TransferBatches.batches(of: project.id, on: req.sql)
        let gate = try await TransferBatches.gateProblem(project.id, on: req.sql)
        let today = Day.today(req.now)
        let done = "nhsuk-tag--green"
        let todo = "nhsuk-tag--grey"
        let late = tasks.filter { $0.doneAt == nil && $0.end < today }.count
        let tasksDone = tasks.filter { $0.doneAt != nil }.count
        let ticked = checklist.filter { $0.tickedAt != nil }.count
        // A live project's record stands: its forms are no longer offered.
        func editable(_ url: SiteURL) -> String { project.isLive ? "" : url.path }
        let pidFilled = project.scope != nil && project.mailboxCount != nil && project.currentSystem != nil
        let steps = [
            Step(
                title: "Project initiation", href: editable(.migrationInitiation(project.id)),
                status: pidFilled ? "Completed" : "Not started", tag: pidFilled ? done : todo,
                hint: "Scope, mailboxes, data volume, current email system, contacts and risks"),
            Step(
                title: "Migration option", href: editable(.migrationOption(project.id)),
                status: project.migrationOption == nil ? "Not started" : "Completed",
                tag: project.migrationOption == nil ? todo : done,
                hint: project.migrationOption?.title ?? "Self-service, partial managed or managed"),
            Step(
                title: "Go-live date", href: editable(.migrationGoLive(project.id)),
                status: project.goLive == nil ? "Not started" : "Completed", tag: project.goLive == nil ? todo : done,
                hint: project.goLive.map { "Go-live on \($0.long)" } ?? "The plan is placed against it"),
            Step(
                title: "Plan", href: SiteURL.migrationPlan(project.id).path,
                status: tasks.isEmpty
                    ? "Cannot start yet"
                    : late > 0 ? "\(late) late" : "\(tasksDone) of \(tasks.count) done",
                tag: tasks.isEmpty
                    ? todo : late > 0 ? "nhsuk-tag--red" : tasksDone == tasks.count ? done : "nhsuk-tag--blue",
                hint: "Tasks with owners and dates, as a timeline and a table"),
            Step(
                title: "Data transfer", href: SiteURL.migrationTransfers(project.id).path,
                status: batches.isEmpty ? "No batches" : gate == nil ? "Gate passed" : "Gate closed",
                tag: batches.isEmpty ? todo : gate == nil ? done : "nhsuk-tag--red",
                hint: "Mail and documents scanned for malware before they move"),
            Step(
                title: "Checklist", href: SiteURL.migrationChecklist(project.id).path,
                status: checklist.isEmpty ? "Cannot start yet" : "\(ticked) of \(checklist.count) ticked",
                tag: checklist.isEmpty ? todo : ticked == checklist.count ? done : "nhsuk-tag--blue",
                hint: "What must be done before go-live"),
            Step(
                title: "Confirm go-live", href: SiteURL.migrationConfirm(project.id).path,
                status: project.isLive ? "Live" : "Not yet", tag: project.isLive ? done : todo,
                hint: "The organisation becomes live"),
        ]
        let isms = try await MigrationProjects.isms(on: req.sql)
        return try await req.render(
            "migration/show",
            req.chrome(
                project.organisationName,
                breadcrumbs: [.init(text: "Migration projects", href: SiteURL.migrations.path)],
                errors: errors, notice: req.notice),
            Overview(
                id: project.id.uuidString.lowercased(), organisation: project.organisationName,
                ods: project.odsCode ?? "",
                organisationStatus: OnboardingStatus(rawValue: project.organisationStatus)?.displayName ?? "",
                ism: project.ismName ?? "None assigned", option: project.migrationOption?.title ?? "Not chosen yet",
                reason: project.optionReason ?? "", goLive: project.goLive?.long ?? "Not set",
                isLive: project.isLive, liveAt: project.liveAt.map(Format.dateTime) ?? "", steps: steps,
                guidance: try await MigrationProjects.guidance(for: project.migrationOption, on: req.sql),
                canAssign: MigrationProjects.canAssign(principal) && !project.isLive,
                isms: isms.map {
                    ISMChoice(value: $0.id.uuidString.lowercased(), text: $0.name, selected: $0.id == project.ismID)
                }, assignHref: SiteURL.migrationISM(project.id).path, fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func assign(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        guard MigrationProjects.canAssign(principal) else { throw Abort(.forbidden) }
        let form = try req.content.decode(NewForm.self)
        return try await save(
            req,
            { sql, context, now in
                try await MigrationProjects.assign(
                    project, ism: form.ism.flatMap(UUID.init(uuidString:)), context: context, now: now, on: sql)
            }, then: .migration(project.id), notice: Notices.ismAssigned,
            orShow: { try await renderShow(req, principal: principal, errors: $0) })
    }

    // MARK: Option

    struct OptionChoice: Encodable {
        let value: String
        let text: String
        let hint: String
        let checked: Bool
    }

    struct OptionPage: Encodable {
        let action: String
        let organisation: String
        let options: [OptionChoice]
        let reason: String
        let fieldErrors: [String: String]
    }

    struct OptionForm: Content {
        var option: String?
        var reason: String?
    }

    static func hint(_ option: MigrationOption) -> String {
        switch option {
        case .selfService: "The organisation moves its own mailboxes, following the self-migration guide and plan"
        case .partialManaged:
            "The organisation moves its mailboxes with tooling and support from the national migration team"
        case .managed: "The national migration team moves the mailboxes for the organisation"
        }
    }

    func optionPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        return try await renderOption(
            req, project: project, form: OptionForm(option: project.option, reason: project.optionReason),
            errors: .init())
    }

    private func renderOption(
        _ req: Request, project: MigrationProjectRow, form: OptionForm, errors: ValidationErrors
    ) async throws -> Response {
        try await req.render(
            "migration/option",
            req.chrome(
                "How will the organisation migrate?", backLink: SiteURL.migration(project.id).path, errors: errors),
            OptionPage(
                action: SiteURL.migrationOption(project.id).path, organisation: project.organisationName,
                options: MigrationOption.allCases.map {
                    OptionChoice(
                        value: $0.rawValue, text: $0.title, hint: Self.hint($0), checked: form.option == $0.rawValue)
                }, reason: form.reason ?? "", fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func chooseOption(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let form = try req.content.decode(OptionForm.self)
        return try await save(
            req,
            { sql, context, now in
                try await MigrationProjects.chooseOption(
                    project, option: form.option, reason: form.reason, context: context, now: now,
                    today: Day.today(now), on: sql)
            }, then: .migration(project.id), notice: Notices.optionSaved,
            orShow: { try await renderOption(req, project: project, form: form, errors: $0) })
    }

    // MARK: Initiation

    struct InitiationForm: Content {
        var scope: String?
        var mailboxCount: String?
        var dataVolumeGB: String?
        var currentSystem: String?
        var keyContacts: String?
        var risks: String?
    }

    struct InitiationPage: Encodable {
        let action: String
        let organisation: String
        let form: InitiationForm
        let goLive: String
        let goLiveHref: String
        let fieldErrors: [String: String]
    }

    func initiationPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let form = InitiationForm(
            scope: project.scope, mailboxCount: project.mailboxCount.map(String.init),
            dataVolumeGB: project.dataVolumeGB.map(String.init), currentSystem: project.currentSystem,
            keyContacts: project.keyContacts, risks: project.risks)
        return try await renderInitiation(req, project: project, form: form, errors: .init())
    }

    private func renderInitiation(
        _ req: Request, project: MigrationProjectRow, form: InitiationForm, errors: ValidationErrors
    ) async throws -> Response {
        try await req.render(
            "migration/initiation",
            req.chrome("Project initiation", backLink: SiteURL.migration(project.id).path, errors: errors),
            InitiationPage(
                action: SiteURL.migrationInitiation(project.id).path, organisation: project.organisationName,
                form: form,
                goLive: project.goLive?.long ?? "Not set", goLiveHref: SiteURL.migrationGoLive(project.id).path,
                fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func saveInitiation(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let form = try req.content.decode(InitiationForm.self)
        return try await save(
            req,
            { sql, context, now in
                let record = try ProjectInitiation.parse(
                    scope: form.scope, mailboxCount: form.mailboxCount, dataVolumeGB: form.dataVolumeGB,
                    currentSystem: form.currentSystem, keyContacts: form.keyContacts, risks: form.risks)
                try await MigrationProjects.saveInitiation(project, record, context: context, now: now, on: sql)
            }, then: .migration(project.id), notice: Notices.initiationSaved,
            orShow: { try await renderInitiation(req, project: project, form: form, errors: $0) })
    }

    // MARK: Go-live date

    struct DateForm: Content {
        var day: String?
        var month: String?
        var year: String?

        var iso: String? {
            guard let d = Int(day?.trimmed ?? ""), let m = Int(month?.trimmed ?? ""), let y = Int(year?.trimmed ?? "")
            else {
                return [day, month, year].allSatisfy { ($0?.trimmed ?? "").isEmpty } ? nil : "invalid"
            }
            return String(format: "%04d-%02d-%02d", y, m, d)
        }
    }

    struct GoLivePage: Encodable {
        let action: String
        let organisation: String
        let form: DateForm
        let current: String?
        let hasPlan: Bool
        let fieldErrors: [String: String]
    }

    func goLivePage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let parts = project.goLive?.civil
        return try await renderGoLive(
            req, project: project,
            form: DateForm(
                day: parts.map { "\($0.day)" }, month: parts.map { "\($0.month)" }, year: parts.map { "\($0.year)" }),
            errors: .init())
    }

    private func renderGoLive(_ req: Request, project: MigrationProjectRow, form: DateForm, errors: ValidationErrors)
        async throws -> Response
    {
        try await req.render(
            "migration/go-live",
            req.chrome(
                project.goLive == nil ? "When will the organisation go live?" : "Move the go-live date",
                backLink: SiteURL.migration(project.id).path, errors: errors),
            GoLivePage(
                action: SiteURL.migrationGoLive(project.id).path, organisation: project.organisationName, form: form,
                current: project.goLive?.long, hasPlan: project.migrationOption != nil, fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func setGoLive(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let form = try req.content.decode(DateForm.self)
        let context = req.auditContext
        let now = req.now
        let today = Day.today(now)
        do {
            let day = try MigrationProjects.parseDay(form.iso, today: today)
            try await req.inTransaction { sql in
                try await MigrationProjects.setGoLive(
                    project, day: day, context: context, now: now, today: today, on: sql)
            }
        } catch let errors as ValidationErrors {
            return try await renderGoLive(req, project: project, form: form, errors: errors)
        }
        let target: SiteURL = project.migrationOption == nil ? .migration(project.id) : .migrationPlan(project.id)
        return req.seeOther(target, notice: Notices.goLiveSaved)
    }

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
        let tasks = try await MigrationProjects.tasks(of: project.id, on: req.sql)
        try await req.audit(
            AuditEntry("migration.plan_exported", target: "migration_project", id: project.id.uuidString), on: req.sql)
        let response = Response(
            status: .ok, body: .init(data: Data(MigrationProjects.planCSV(tasks, today: Day.today(req.now)))))
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
        let account = principal.accountID
        return try await save(
            req,
            { sql, context, now in
                let evidence = try MigrationProjects.evidence(form.evidence)
                _ = try await MigrationProjects.completeTask(
                    project, key: task.key, evidence: evidence, by: account, context: context, now: now, on: sql)
            }, then: .migrationPlan(project.id), notice: Notices.taskDone,
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
        let account = principal.accountID
        return try await save(
            req,
            { sql, context, now in
                let evidence = try MigrationProjects.evidence(form.evidence)
                _ = try await MigrationProjects.tick(
                    project, key: item.key, evidence: evidence, by: account, context: context, now: now, on: sql)
            }, then: .migrationChecklist(project.id), notice: Notices.itemTicked,
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
        let context = req.auditContext
        let now = req.now
        let account = principal.accountID
        let blockers = try await req.inTransaction { sql in
            try await MigrationProjects.confirmGoLive(project, by: account, context: context, now: now, on: sql)
        }
        guard blockers.isEmpty else { return try await renderConfirm(req, project: project, blockers: blockers) }
        return req.seeOther(.migration(project.id), notice: Notices.wentLive)
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
