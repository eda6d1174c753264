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

    struct SignInForm: Content {
        var email: String?
        var password: String?
        var next: String?
    }

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

    /// Only a path on this site: never another host.
    func safeNext(_ raw: String) -> String {
        guard raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.hasPrefix("/\\"), !raw.contains("://") else { return "" }
        return raw
    }

    static let failureMessage = "Enter a correct email address and password"

    func signIn(req: Request) async throws -> Response {
        let form = try req.content.decode(SignInForm.self)
        let email = (form.email ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let password = form.password ?? ""
        let next = safeNext(form.next ?? "")
        var errors = ValidationErrors()
        if email.isEmpty { errors.add("email", "Enter your email address") }
        if password.isEmpty { errors.add("password", "Enter your password") }
        if errors.isEmpty {
            let account = try await Account.query(on: req.db).filter(\.$address == email).first()
            let candidate = PasswordPolicy.forVerification(password)
            // Verify against a stand-in hash when there is no account, so timing does not reveal which addresses exist.
            let hash = account?.passwordHash ?? Self.standInHash
            var verified = false
            if let candidate {
                verified = (try? await req.password.async.verify(candidate, created: hash)) ?? false
            }
            if let account, verified, account.state == .active {
                let response = req.redirect(to: next.isEmpty ? SiteURL.home.path : next, redirectType: .normal)
                try await req.db.transaction { db in
                    account.failedSignIns = 0
                    account.lastSignInAt = req.now
                    try await account.save(on: db)
                    let session = try await SessionStore(req: req).startRecord(
                        accountID: try account.requireID(), level: .password, response: response, on: db)
                    var context = req.auditContext
                    context.actorAccountID = account.id
                    try await AuditLog.record(
                        AuditEntry("sign_in.succeeded", target: "session", id: session.id?.uuidString),
                        context: context, at: req.now, on: db as! any SQLDatabase)
                }
                return response
            }
            let wrongPassword = !verified
            let reason =
                account == nil
                ? "unknown_address"
                : candidate == nil
                    ? "password_over_72_bytes"
                    : !verified ? "wrong_password" : "account_\(account!.state.rawValue)"
            try await req.db.transaction { db in
                if let account, wrongPassword {
                    account.failedSignIns += 1
                    try await account.save(on: db)
                }
                try await AuditLog.record(
                    AuditEntry(
                        "sign_in.failed", target: "account", id: account?.id?.uuidString, before: String?.none,
                        after: ["reason": reason]),
                    context: req.auditContext, at: req.now, on: db as! any SQLDatabase)
            }
            errors.add("email", Self.failureMessage)
        }
        return try await req.render(
            "sign-in", req.chrome("Sign in", errors: errors),
            SignInPage(
                email: email, next: next,
                fieldErrors: errors.byField),
            status: .ok)
    }

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
