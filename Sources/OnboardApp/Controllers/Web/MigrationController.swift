import Foundation
import OnboardDomain
import SQLKit
import Vapor

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
        do {
            let id = try await req.migrationProjects.start(
                ods: form.organisation, ism: form.ism.flatMap(UUID.init(uuidString:)), principal: principal)
            return req.seeOther(.migration(id), notice: Notices.projectStarted)
        } catch let errors as ValidationErrors {
            return try await renderNew(req, principal: principal, form: form, errors: errors)
        }
    }

    /// What every form of a project does when sent: the change is made by `MigrationProjectService` (one
    /// transaction, at the request's time and under its audit context); a refusal shows the form again with its
    /// errors, success redirects with a notice.
    func save(
        _ req: Request, _ change: (MigrationProjectService) async throws -> Void, then next: SiteURL,
        notice: String, orShow refused: (ValidationErrors) async throws -> Response
    ) async throws -> Response {
        do {
            try await change(req.migrationProjects)
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
            req, { try await $0.assign(project, ism: form.ism.flatMap(UUID.init(uuidString:))) },
            then: .migration(project.id), notice: Notices.ismAssigned,
            orShow: { try await renderShow(req, principal: principal, errors: $0) })
    }
}
