import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The front page, health and sign-in: the only pages open to everyone.
struct PublicController {
    struct FrontPage: Encodable {
        let guidance: [Guidance.Item]
        let nationalHelpdesk: String
        let scottishContact: String
        let eligibilityEnquiries: String
    }

    func front(req: Request) async throws -> Response {
        let guidance = try await Guidance.items(on: req.sql)
        let settings = req.settings
        return try await req.render(
            "front", req.chrome("Join the secure email service for health and care", notice: req.notice),
            FrontPage(
                guidance: guidance, nationalHelpdesk: settings.nationalHelpdesk,
                scottishContact: settings.scottishContact, eligibilityEnquiries: settings.eligibilityEnquiries))
    }

    struct Health: Content {
        let status: String
        let database: String
    }

    func health(req: Request) async throws -> Response {
        _ = try await req.sql.raw("SELECT 1 AS ok").first()
        let response = try await Health(status: "ok", database: req.application.databaseKind).encodeResponse(for: req)
        return response
    }

    // MARK: sign-in

    struct SignInPage: Encodable {
        let email: String
        let next: String
        let fieldErrors: [String: String]
    }

    func signInPage(req: Request) async throws -> Response {
        if req.principal != nil { return req.redirect(to: SiteURL.home.path) }
        let next = safeNext((try? req.query.get(String.self, at: "next")) ?? "")
        return try await req.render(
            "sign-in", req.chrome("Sign in", notice: req.notice), SignInPage(email: "", next: next, fieldErrors: [:]))
    }

    /// Only a path on this site: never another host (`ReturnPath`).
    func safeNext(_ raw: String) -> String { ReturnPath.safe(raw) ?? "" }

    static let failureMessage = "Enter a correct email address and password"

    /// A bcrypt hash of a random value nobody knows; only used to spend the same time as a real check.
    static let standInHash = "$2b$12$1n4A4.zQn4P3kkGoyw7AEOPcXq5Ss0fy7vOmk6oLInumgXWIfBE.2"

    func signOut(req: Request) async throws -> Response {
        if let principal = req.principal, let sessionID = principal.sessionID {
            try await req.db.transaction { db in
                try await UserSession.query(on: db).filter(\.$id == sessionID).set(\.$endedAt, to: req.now).update()
                try await AuditLog.record(
                    AuditEntry("sign_out", target: "session", id: sessionID.uuidString), context: req.auditContext,
                    at: req.now, on: db as! any SQLDatabase)
            }
        }
        let response = req.seeOther(.signIn, notice: Notices.signedOut)
        response.cookies[SessionCookie.name] = SessionCookie.expired
        return response
    }
}
