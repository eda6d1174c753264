import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Staff sessions, kept in the service's own table. The cookie holds a random id; the table its hash.
enum SessionCookie {
    /// `__Host-` binds the cookie to this host, path `/` and Secure. Browsers treat http://127.0.0.1 and
    /// http://localhost as secure contexts, so the prefix works in development too (docs/decisions.md).
    static let name = "__Host-onboard-session"
    static let preSessionName = "__Host-onboard-csrf"

    static func make(_ value: String, maxAge: Int?) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: value, maxAge: maxAge, path: "/", isSecure: true, isHTTPOnly: true, sameSite: .lax)
    }

    static var expired: HTTPCookies.Value {
        HTTPCookies.Value(
            string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/", isSecure: true,
            isHTTPOnly: true, sameSite: .lax)
    }
}

struct SessionStore {
    let req: Request

    /// Starts a session with a brand-new id (never reusing one from before sign-in) and sets the cookie.
    func startRecord(
        accountID: UUID, level: SignInLevel, stage: SignInStage? = nil, response: Response, on db: any Database
    ) async throws -> UserSession {
        let token = req.application.dependencies.secrets.token()
        let now = req.now
        let session = UserSession()
        session.$account.id = accountID
        session.tokenHash = SecretHash.sha256Hex(token)
        session.level = level.rawValue
        session.stage = stage?.rawValue
        session.createdAt = now
        session.lastSeenAt = now
        session.clientAddress = req.clientAddress
        session.userAgent = req.headers.first(name: .userAgent).map { String($0.prefix(200)) }
        try await session.save(on: db)
        response.cookies[SessionCookie.name] = SessionCookie.make(
            token, maxAge: Int(SessionPolicy.standard.absoluteLimit))
        response.cookies[SessionCookie.preSessionName] = SessionCookie.expired
        return session
    }

    func end(_ sessionID: UUID, accountID: UUID) async throws {
        try await UserSession.query(on: req.db)
            .filter(\.$id == sessionID).filter(\.$account.$id == accountID).filter(\.$endedAt == nil)
            .set(\.$endedAt, to: req.now).update()
    }

    /// Ends every session of an account: after a password change, or when the person asks.
    static func endAll(accountID: UUID, now: Date, on db: any Database) async throws {
        try await UserSession.query(on: db)
            .filter(\.$account.$id == accountID).filter(\.$endedAt == nil)
            .set(\.$endedAt, to: now).update()
    }
}

/// Reads the session cookie, checks the idle and absolute limits and loads the caller.
struct SessionAuthenticator: AsyncMiddleware {
    let policy: SessionPolicy

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = req.cookies[SessionCookie.name]?.string, !token.isEmpty else {
            return try await next.respond(to: req)
        }
        var clearCookie = true
        if let session = try await UserSession.query(on: req.db)
            .filter(\.$tokenHash == SecretHash.sha256Hex(token)).filter(\.$endedAt == nil).first()
        {
            let now = req.now
            switch policy.verdict(createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, now: now) {
            case .valid:
                if let stage = session.stage.flatMap(SignInStage.init(rawValue:)), let id = session.id {
                    // Part-way through signing in: only the sign-in steps may be used.
                    session.lastSeenAt = now
                    try await session.save(on: req.db)
                    req.pendingSignIn = PendingSignIn(
                        sessionID: id, accountID: session.$account.id, stage: stage, level: session.level)
                    req.csrfBinding = token
                    clearCookie = false
                } else if let principal = try await PrincipalLoader.load(
                    accountID: session.$account.id, sessionID: session.id, on: req.sql), let id = session.id
                {
                    // Idle time is measured in minutes: a page view writes only when a minute has passed.
                    if now.timeIntervalSince(session.lastSeenAt) >= 60 { session.lastSeenAt = now }
                    if SecondFactorRule.required(for: principal.roles), session.level < SignInLevel.multiFactor.rawValue
                    {
                        // A role that needs a second factor arrived during the session: prove it before acting.
                        session.stage = SignInStage.password.rawValue
                        req.pendingSignIn = PendingSignIn(
                            sessionID: id, accountID: session.$account.id, stage: .password, level: session.level)
                    } else {
                        req.principal = principal
                    }
                    try await session.save(on: req.db)
                    req.csrfBinding = token
                    clearCookie = false
                } else {
                    session.endedAt = now
                    try await session.save(on: req.db)
                }
            case .idleTooLong, .tooOld:
                session.endedAt = now
                try await session.save(on: req.db)
            }
        }
        let response = try await next.respond(to: req)
        if clearCookie && response.cookies[SessionCookie.name] == nil {
            response.cookies[SessionCookie.name] = SessionCookie.expired
        }
        return response
    }
}

/// Pages behind sign-in send anonymous visitors to the sign-in page.
struct RequireSignIn: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard req.principal != nil else {
            if req.pendingSignIn != nil {
                if req.method == .GET { return req.redirect(to: SiteURL.signInContinue.path) }
                throw Abort(.unauthorized)
            }
            if req.method == .GET {
                let next = req.url.path + (req.url.query.map { "?" + $0 } ?? "")
                // One query value: its own `&`, `=` and `+` must be escaped or the rest of its query is lost.
                var allowed = CharacterSet.urlQueryAllowed
                allowed.remove(charactersIn: "&=+#")
                let encoded = next.addingPercentEncoding(withAllowedCharacters: allowed) ?? "/home"
                return req.redirect(to: SiteURL.signIn.path + "?next=\(encoded)")
            }
            throw Abort(.unauthorized)
        }
        return try await next.respond(to: req)
    }
}

/// Where a session is on its way to being signed in.
enum SignInStage: String, Sendable {
    /// Signed in with a temporary password: the code (if not yet confirmed), the AUP and a new password follow.
    case temporary
    /// Signed in with the password: the AUP (if a newer one) and the second factor may follow.
    case password
    /// The password was just set at activation: the second factor may follow, then the welcome page.
    case activated
}

struct PendingSignIn: Sendable {
    let sessionID: UUID
    let accountID: UUID
    let stage: SignInStage
    let level: Int
}

extension Request {
    private struct PendingSignInKey: StorageKey { typealias Value = PendingSignIn }

    var pendingSignIn: PendingSignIn? {
        get { storage[PendingSignInKey.self] }
        set { storage[PendingSignInKey.self] = newValue }
    }
}
