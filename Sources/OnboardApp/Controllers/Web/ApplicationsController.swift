import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Reviewers' pages: the applications in their scope, one application with its history, and decisions.
struct ApplicationsController {
    struct ListItem: Encodable {
        let url: String
        let reference: String
        let kindName: String
        let subject: String
        let stateName: String
        let state: String
        let submitted: String
        /// How long since it was sent.
        let age: String
    }

    struct StateFilter: Encodable {
        let value: String
        let label: String
        let selected: Bool
    }

    struct ListPage: Encodable {
        let items: [ListItem]
        let hasItems: Bool
        let filters: [StateFilter]
        let kinds: [StateFilter]
        let regions: [StateFilter]
        let waitingForMe: Bool
        let nextURL: String?
        let canImport: Bool
    }

    struct ActionOption: Encodable {
        let id: String
        let value: String
        let label: String
        let checked: Bool
    }

    struct ShowPage: Encodable {
        let reference: String
        let kindName: String
        let stateName: String
        let state: String
        let subject: String
        let submitted: String
        let eligibility: String
        let rules: String
        let parameterVersion: String
        let email: String
        let sections: [ApplyController.Section]
        let history: [TrackController.HistoryRow]
        let actions: [ActionOption]
        let hasActions: Bool
        let assignees: [ActionOption]
        let hasAssignees: Bool
        /// A care home's approval makes its manager's account: the LA chooses how it is activated.
        let choosesActivation: Bool
        let activationHint: String
        let decisionURL: String
        let reason: String
        let actionError: String?
        let reasonError: String?
        let assigneeError: String?
        /// The organisation whose Local Administrators it was passed to.
        let assignedTo: String?
        /// After approval: where a national administrator sets up the invited first LA's (or super user's) account.
        let setUpAccountURL: String?
        /// The account this application set up, when the viewer manages it.
        let createdAccount: AccountsController.Link?
    }

    /// Every application the caller may see, oldest first (by when it was sent), narrowed by state, kind,
    /// region, or to those waiting for the caller's decision; paged by a cursor on (received, id).
    func list(req: Request, principal: Principal) async throws -> Response {
        let text = { (name: String) in (try? req.query.get(String.self, at: name))?.nilIfEmpty }
        let state = text("state").flatMap(ApplicationState.init(rawValue:))
        let kind = text("kind").flatMap(ApplicationKind.init(rawValue:))
        let regions = try await RegionDirectory.all(on: req.sql)
        let region = text("region").flatMap { code in regions.first { $0.code == code }?.code }
        let mine = text("waiting") == "me"
        let queue = ApplicationQueue(
            state: state, kind: kind, region: region, waitingForMe: mine,
            after: text("after").flatMap(NameCursor.init(encoded:)))
        let page = try await queue.run(for: principal, on: req.sql)
        let now = req.now
        let items = page.rows.map { row in
            let answers = ApplicationStore.decodeAnswers(row.answers)
            let kind = ApplicationKind(rawValue: row.kind) ?? .nonNHSOrganisation
            return ListItem(
                url: SiteURL.application(row.id).path, reference: row.reference, kindName: kind.displayName,
                subject: ApplicationStore.subjectName(answers) ?? "",
                stateName: (ApplicationState(rawValue: row.state) ?? .submitted).displayName, state: row.state,
                submitted: row.submittedAt.map(LondonTime.receipt) ?? "",
                age: Waiting.describe(since: row.received, now: now))
        }
        let kept: [URLQueryItem] = [
            state.map { URLQueryItem(name: "state", value: $0.rawValue) },
            kind.map { URLQueryItem(name: "kind", value: $0.rawValue) },
            region.map { URLQueryItem(name: "region", value: $0) },
            mine ? URLQueryItem(name: "waiting", value: "me") : nil,
        ].compactMap { $0 }
        var next: String?
        if let cursor = page.next {
            var components = URLComponents()
            components.path = SiteURL.applications.path
            components.queryItems = kept + [URLQueryItem(name: "after", value: cursor.encoded)]
            next = components.string
        }
        let filters =
            [StateFilter(value: "", label: "All states", selected: state == nil)]
            + ApplicationState.allCases.filter { $0 != .draft }.map {
                StateFilter(value: $0.rawValue, label: $0.displayName, selected: $0 == state)
            }
        let kinds =
            [StateFilter(value: "", label: "All types", selected: kind == nil)]
            + ApplicationKind.allCases.map {
                StateFilter(value: $0.rawValue, label: $0.displayName, selected: $0 == kind)
            }
        let regionFilters =
            [StateFilter(value: "", label: "All regions", selected: region == nil)]
            + regions.map { StateFilter(value: $0.code, label: $0.name, selected: $0.code == region) }
        return try await req.render(
            "applications/list", req.chrome("Applications"),
            ListPage(
                items: items, hasItems: !items.isEmpty, filters: filters, kinds: kinds, regions: regionFilters,
                waitingForMe: mine, nextURL: next, canImport: principal.has(.nationalAdmin)))
    }

    func show(req: Request, principal: Principal) async throws -> Response {
        guard let id = PathParameter.id.value(in: req) else { throw Abort(.notFound) }
        let row = try await ApplicationStore.scoped("a.id = \(bind: id)", for: principal, on: req.sql)
        try await req.audit(AuditEntry("application.view", target: "application", id: row.reference), on: req.sql)
        return try await render(req, principal: principal, row: row, errors: .init(), reason: "")
    }

    private func render(
        _ req: Request, principal: Principal, row: ApplicationRow, errors: ValidationErrors, reason: String,
        chosen: String? = nil
    ) async throws -> Response {
        let reviewer = try await ApplicationStore.reviewer(principal, for: row, on: req.sql)
        let actions =
            reviewer.map {
                ApplicationWorkflow.available(to: $0, kind: row.applicationKind, state: row.applicationState)
            } ?? []
        let assignees =
            actions.contains(.passToLA) ? try await ApplicationStore.localAdministrations(for: row, on: req.sql) : []
        let regions = try await RegionDirectory.all(on: req.sql)
        let forms = req.applicationForms
        let commissioners = try await forms.commissioners()
        let steps = try await forms.reviewSteps(for: row.applicationKind)
        let answers = row.answerMap
        // Contact details are shown to the reviewer who needs them; the list shows none.
        let sections = steps.map { step in
            ApplyController.Section(
                title: step.title,
                rows: step.fields.map { field in
                    ApplyController.Row(
                        key: field.label,
                        value: ApplyController.display(
                            field, answers[field.name] ?? "", regions: regions, commissioners: commissioners),
                        changeURL: "")
                })
        }
        let history = try await ApplicationStore.events(for: row.id, on: req.sql).map { event in
            TrackController.HistoryRow(
                when: LondonTime.receipt(event.occurredAt),
                what: "\((ApplicationState(rawValue: event.toState) ?? .submitted).displayName), by \(event.actor)",
                reason: event.reason)
        }
        let assignedTo = try await ApplicationStore.assignedOrganisationName(row, on: req.sql)
        let eligibility =
            switch row.decision.flatMap(EligibilityDecision.init(rawValue:)) {
            case .eligible: "Eligible"
            case .needsReview: "Needs a reviewer's decision"
            case .redirect: "Redirected (the form went on by design)"
            case .notEligible: "Not eligible"
            case nil: "Not checked"
            }
        try await req.audit(AuditEntry("application.view", target: "application", id: row.reference), on: req.sql)
        let invitation = try await Invitations.awaitingAccount(for: row, principal: principal, on: req.sql)
        return try await req.render(
            "applications/show",
            req.chrome(
                "Application \(row.reference)",
                breadcrumbs: [.init(text: "Applications", href: SiteURL.applications.path)], errors: errors,
                notice: req.notice),
            ShowPage(
                reference: row.reference, kindName: row.applicationKind.displayName,
                stateName: row.applicationState.displayName, state: row.state, subject: row.subjectName,
                submitted: row.submittedAt.map(LondonTime.receipt) ?? "", eligibility: eligibility,
                rules: row.rules ?? "", parameterVersion: row.parameterVersion ?? "", email: row.applicantEmail,
                sections: sections, history: history,
                actions: actions.enumerated().map { index, action in
                    ActionOption(
                        id: index == 0 ? "action" : "action-\(index + 1)", value: action.rawValue,
                        label: row.applicationKind.completionSetsUp && action == .complete
                            ? "Set up their account from this application" : action.displayName,
                        checked: chosen == action.rawValue)
                },
                hasActions: !actions.isEmpty,
                assignees: assignees.enumerated().map { index, choice in
                    ActionOption(
                        id: index == 0 ? "assignee" : "assignee-\(index + 1)", value: choice.id.uuidString.lowercased(),
                        label: choice.name + (choice.odsCode.map { " (\($0))" } ?? ""), checked: false)
                },
                hasAssignees: !assignees.isEmpty,
                choosesActivation: (row.applicationKind == .careHome && actions.contains(.approve))
                    || (row.applicationKind.completionSetsUp && actions.contains(.complete)
                        && row.createdAccountID == nil),
                activationHint: row.applicationKind == .careHome
                    ? "Approving adds the home and the registered manager's account, using the mobile number in the application"
                    : "Setting up adds their account to the practice, with the name and mobile number in the application",
                decisionURL: SiteURL.applicationDecisions(row.id).path,
                reason: reason, actionError: errors.message(for: "action"), reasonError: errors.message(for: "reason"),
                assigneeError: errors.message(for: "assignee"), assignedTo: assignedTo,
                setUpAccountURL: invitation.map {
                    SiteURL.accountNew.path + "?invitation=" + $0.uuidString.lowercased()
                },
                createdAccount: try await createdAccount(row, req: req, principal: principal)),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    /// The account the application's approval or completion made, linked only for those who manage it.
    private func createdAccount(_ row: ApplicationRow, req: Request, principal: Principal) async throws
        -> AccountsController.Link?
    {
        guard let id = row.createdAccountID,
            let (account, _) = try? await req.managedAccount(id, for: principal)
        else { return nil }
        return AccountsController.Link(text: account.address, url: SiteURL.account(account.id).path)
    }

    func decide(req: Request, principal: Principal) async throws -> Response {
        guard let id = PathParameter.id.value(in: req) else { throw Abort(.notFound) }
        let row = try await ApplicationStore.scoped("a.id = \(bind: id)", for: principal, on: req.sql)
        struct Form: Decodable {
            let action: String?
            let reason: String?
            let assignee: String?
            let activation: String?
        }
        let form = try req.content.decode(Form.self)
        do {
            let updated = try await ApplicationService(req: req).decide(
                row, by: principal, action: form.action, reason: form.reason, assignee: form.assignee,
                activation: form.activation)
            return req.seeOther(.application(updated.id), notice: Notices.decisionRecorded)
        } catch let errors as ValidationErrors {
            return try await render(
                req, principal: principal, row: row, errors: errors, reason: form.reason ?? "", chosen: form.action)
        }
    }

    /// Development only: what the service would have emailed or texted.
    func devMessages(req: Request) async throws -> Response {
        struct Item: Encodable {
            let to: String
            let subject: String
            let body: String
            let sent: String
        }
        struct Page: Encodable {
            let items: [Item]
            let hasItems: Bool
        }
        let items = req.application.dependencies.sentMessages.all.reversed().map {
            Item(to: $0.to, subject: $0.subject, body: $0.body, sent: LondonTime.receipt($0.sentAt))
        }
        return try await req.render(
            "dev/messages", req.chrome("Messages sent (development)"), Page(items: items, hasItems: !items.isEmpty))
    }
}
