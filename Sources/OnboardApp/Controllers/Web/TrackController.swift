import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Tracking without an account. The emailed link opens a page with a button; only pressing it (a POST)
/// reveals anything, so mail scanners that fetch links learn nothing and change nothing. A wrong link gets
/// the same page, then the same "not valid" answer, whether or not any application exists.
struct TrackController {
    struct OpenPage: Encodable {
        let action: String
    }

    struct HistoryRow: Encodable {
        let when: String
        let what: String
        let reason: String?
    }

    struct StatusPage: Encodable {
        let reference: String
        let kindName: String
        let subject: String
        let state: String
        let stateName: String
        let isDraft: Bool
        let canReply: Bool
        let canWithdraw: Bool
        let history: [HistoryRow]
        let replyAction: String
        let withdrawAction: String
        let resumeAction: String
        let latestReason: String?
        let replyError: String?
        /// Place on the programme's waiting list (1 is next), while waiting.
        let queuePosition: Int?
        let programmeName: String?
        /// What an approval set up, and what to do next.
        let setUp: [String]
        /// Why it was not approved (the reviewer's words), when it was not.
        let refusal: String?
        let helpdesk: String
    }

    func open(req: Request) async throws -> Response {
        let token = PathParameter.token.value(in: req) ?? ""
        return try await req.render(
            "track/open", req.chrome("Check the progress of your application", notice: req.notice),
            OpenPage(action: SiteURL.track(token).path))
    }

    private func application(_ req: Request) async throws -> (ApplicationRow, String) {
        let token = PathParameter.token.value(in: req) ?? ""
        guard token.count >= 40, token.count <= 64,
            let row = try await ApplicationStore.load(
                where: "a.tracking_hash = \(bind: SecretHash.sha256Hex(token))", on: req.sql)
        else {
            throw Abort(.notFound, reason: "This link is not valid. Use the latest link we emailed you.")
        }
        return (row, token)
    }

    func status(req: Request) async throws -> Response {
        let (row, token) = try await application(req)
        return try await render(req, row: row, token: token, errors: .init())
    }

    private func render(_ req: Request, row: ApplicationRow, token: String, errors: ValidationErrors) async throws
        -> Response
    {
        let events = try await ApplicationStore.events(for: row.id, on: req.sql)
        let history = events.map { event in
            HistoryRow(
                when: LondonTime.receipt(event.occurredAt),
                what: (ApplicationState(rawValue: event.toState) ?? .submitted).displayName,
                reason: event.reason)
        }
        let state = row.applicationState
        let available = ApplicationWorkflow.available(to: .applicant, kind: row.applicationKind, state: state)
        let latest = events.last?.reason
        let position = try await Programmes.position(of: row, on: req.sql)
        let parameters = try await EligibilityParameterStore.current(on: req.sql)
        let programmeName = row.answerMap["programme"].flatMap(parameters.programme)?.name
        try await AuditLog.record(
            AuditEntry("application.tracked", target: "application", id: row.reference),
            context: ApplicationService(req: req).applicantContext, at: req.now, on: req.sql)
        return try await req.render(
            "track/status", req.chrome("Your application \(row.reference)", errors: errors),
            StatusPage(
                reference: row.reference, kindName: row.applicationKind.displayName, subject: row.subjectName,
                state: state.rawValue, stateName: state.displayName, isDraft: state == .draft,
                canReply: available.contains(.reply), canWithdraw: available.contains(.withdraw) && state != .draft,
                history: history, replyAction: SiteURL.trackReply(token).path,
                withdrawAction: SiteURL.trackWithdraw(token).path, resumeAction: SiteURL.trackResume(token).path,
                latestReason: state == .moreInformationNeeded ? latest : nil, replyError: errors.message(for: "reason"),
                queuePosition: position, programmeName: programmeName,
                setUp: try await ApplicationSetUp.summary(of: row, settings: req.settings, on: req.sql),
                refusal: state == .rejected ? (latest ?? "") : nil, helpdesk: req.settings.nationalHelpdesk),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func reply(req: Request) async throws -> Response {
        try await act(req, action: .reply)
    }

    func withdraw(req: Request) async throws -> Response {
        try await act(req, action: .withdraw)
    }

    private func act(_ req: Request, action: ApplicationAction) async throws -> Response {
        let (row, token) = try await application(req)
        struct Form: Decodable { let reason: String? }
        let reason = try req.content.decode(Form.self).reason
        do {
            _ = try await ApplicationService(req: req).decide(
                row, .init(action: action, reason: reason), as: .applicant, actorLabel: "Applicant", account: nil)
            // Post/redirect/get: a refresh cannot send the reply again. The status itself is shown only by
            // pressing the button, as for any visit to the link.
            return req.seeOther(
                .track(token),
                notice: action == .withdraw ? Notices.applicationWithdrawn : Notices.replySent)
        } catch let errors as ValidationErrors {
            return try await render(req, row: row, token: token, errors: errors)
        }
    }

    /// Opens a draft in this browser: the link proves the person owns the verified email.
    func resume(req: Request) async throws -> Response {
        let (row, _) = try await application(req)
        guard row.applicationState == .draft else { return try await status(req: req) }
        let token = req.application.dependencies.secrets.token()
        try await req.sql.raw(
            "UPDATE applications SET resume_hash = \(bind: SecretHash.sha256Hex(token)) WHERE id = \(bind: row.id)"
        ).run()
        let response = req.redirect(to: try await ApplyController().nextURL(req, row), redirectType: .normal)
        response.cookies[ApplyController.cookieName] = ApplyController.cookie(token)
        return response
    }
}
