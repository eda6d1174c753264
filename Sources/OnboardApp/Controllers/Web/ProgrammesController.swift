import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Programmes for the pharmacy teams and national administrators: state, cohorts, the waiting list, releases
/// and registration links. And the applicant's side of a registration link.
struct ProgrammesController {
    struct ProgrammeItem: Encodable {
        let code: String
        let name: String
        let state: String
        let stateName: String
        let opens: String
        let closes: String?
        let waiting: Int
        let url: String
    }

    struct ListPage: Encodable {
        let items: [ProgrammeItem]
    }

    struct CohortItem: Encodable {
        let id: String
        let name: String
        let capacity: Int
        let released: String?
        let releaseURL: String
    }

    struct WaitingItem: Encodable {
        let position: Int
        let reference: String
        let url: String
        let submitted: String
    }

    struct ShowPage: Encodable {
        let code: String
        let name: String
        let stateName: String
        let cohorts: [CohortItem]
        let hasCohorts: Bool
        let waiting: [WaitingItem]
        let hasWaiting: Bool
        let canRelease: Bool
        let canInvite: Bool
        let cohortsURL: String
        let invitationsURL: String
        let form: [String: String]
    }

    func list(req: Request, principal: Principal) async throws -> Response {
        let parameters = try await EligibilityParameterStore.current(on: req.sql)
        let today = EligibilityEngine.londonDate(req.now)
        var items: [ProgrammeItem] = []
        for programme in parameters.programmes {
            let state = ProgrammeState.of(programme, on: today)
            let waiting = try await Programmes.waitingCount(programme.code, for: principal, on: req.sql)
            items.append(
                ProgrammeItem(
                    code: programme.code, name: programme.name, state: state.rawValue, stateName: state.displayName,
                    opens: EligibilityEngine.readable(programme.opensOn),
                    closes: programme.closesOn.map(EligibilityEngine.readable), waiting: waiting,
                    url: SiteURL.programme(programme.code).path))
        }
        return try await req.render("programmes/list", req.chrome("Programmes"), ListPage(items: items))
    }

    private func programme(_ req: Request) async throws -> ProgrammeParameters {
        let parameters = try await EligibilityParameterStore.current(on: req.sql)
        guard let code = PathParameter.code.value(in: req), let programme = parameters.programme(code) else {
            throw Abort(.notFound)
        }
        return programme
    }

    func show(req: Request, principal: Principal) async throws -> Response {
        try await render(req, principal: principal, programme: try await programme(req), errors: .init(), form: [:])
    }

    private func render(
        _ req: Request, principal: Principal, programme: ProgrammeParameters, errors: ValidationErrors,
        form: [String: String], notice: String? = nil
    ) async throws -> Response {
        let cohorts = try await Programmes.cohorts(programme.code, on: req.sql).map { cohort in
            CohortItem(
                id: cohort.id.uuidString.lowercased(), name: cohort.name, capacity: cohort.capacity,
                released: cohort.releasedAt.map(LondonTime.receipt),
                releaseURL: SiteURL.cohortRelease(programme: programme.code, cohort: cohort.id).path)
        }
        let queue = try await Programmes.waitingList(programme.code, for: principal, on: req.sql)
        let waiting = queue.enumerated().map { index, item in
            WaitingItem(
                position: index + 1, reference: item.reference, url: SiteURL.application(item.id).path,
                submitted: item.submittedAt.map(LondonTime.receipt) ?? "")
        }
        let state = ProgrammeState.of(programme, on: EligibilityEngine.londonDate(req.now))
        return try await req.render(
            "programmes/show",
            req.chrome(
                programme.name, breadcrumbs: [.init(text: "Programmes", href: SiteURL.programmes.path)], errors: errors,
                notice: notice),
            ShowPage(
                code: programme.code, name: programme.name, stateName: state.displayName, cohorts: cohorts,
                hasCohorts: !cohorts.isEmpty, waiting: waiting, hasWaiting: !waiting.isEmpty,
                canRelease: principal.hasAny(.cohortReleasers),
                canInvite: state == .open && principal.hasAny(.programmeManagers),
                cohortsURL: SiteURL.programmeCohorts(programme.code).path,
                invitationsURL: SiteURL.programmeInvitations(programme.code).path, form: form),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func addCohort(req: Request, principal: Principal) async throws -> Response {
        let programme = try await programme(req)
        struct Form: Decodable {
            let name: String?
            let capacity: String?
        }
        let form = try req.content.decode(Form.self)
        do {
            try await Programmes.addCohort(
                req, programme: programme.code, name: form.name ?? "", capacity: form.capacity ?? "")
        } catch let errors as ValidationErrors {
            return try await render(
                req, principal: principal, programme: programme, errors: errors,
                form: ["name": form.name ?? "", "capacity": form.capacity ?? ""])
        }
        return req.redirect(to: SiteURL.programme(programme.code).path, redirectType: .normal)
    }

    func release(req: Request, principal: Principal) async throws -> Response {
        let programme = try await programme(req)
        guard let cohort = PathParameter.cohort.value(in: req) else { throw Abort(.notFound) }
        do {
            let invited = try await Programmes.release(
                req, principal: principal, cohort: cohort, programme: programme.code)
            return try await render(
                req, principal: principal, programme: programme, errors: .init(), form: [:],
                notice: invited == 1 ? "1 pharmacy invited" : "\(invited) pharmacies invited")
        } catch let errors as ValidationErrors {
            return try await render(req, principal: principal, programme: programme, errors: errors, form: [:])
        }
    }

    func invite(req: Request, principal: Principal) async throws -> Response {
        let programme = try await programme(req)
        struct Form: Decodable {
            let email: String?
            let odsCode: String?
        }
        let form = try req.content.decode(Form.self)
        guard ProgrammeState.of(programme, on: EligibilityEngine.londonDate(req.now)) == .open else {
            throw Abort(.conflict, reason: "\(programme.name) is not open, so it takes no registrations.")
        }
        do {
            try await Programmes.issueRegistration(
                req, principal: principal, programme: programme.code, email: form.email ?? "", ods: form.odsCode ?? "")
        } catch let errors as ValidationErrors {
            return try await render(
                req, principal: principal, programme: programme, errors: errors,
                form: ["email": form.email ?? "", "odsCode": form.odsCode ?? ""])
        }
        return try await render(
            req, principal: principal, programme: programme, errors: .init(), form: [:],
            notice: "Registration link sent to \(Identifiers.normaliseEmail(form.email ?? ""))")
    }

    // MARK: The pharmacy's side

    struct RegisterPage: Encodable {
        let action: String
    }

    /// Shows a button only: a mail scanner that fetches the link cannot spend it.
    func registerPage(req: Request) async throws -> Response {
        try await req.render(
            "programmes/register", req.chrome("Register your pharmacy"),
            RegisterPage(action: SiteURL.register(PathParameter.token.value(in: req) ?? "").path))
    }

    func register(req: Request) async throws -> Response {
        guard
            let resume = try await ApplicationService(req: req).startFromRegistration(
                token: PathParameter.token.value(in: req) ?? "")
        else {
            throw Abort(
                .notFound,
                reason:
                    "This registration link has been used or has expired. Ask your regional pharmacy team for a new one."
            )
        }
        let response = req.redirect(to: SiteURL.applyStep("contact").path, redirectType: .normal)
        response.cookies[ApplyController.cookieName] = ApplyController.cookie(resume)
        return response
    }
}
