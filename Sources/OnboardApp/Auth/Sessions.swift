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
        accountID: UUID, level: SignInLevel, response: Response, on db: any Database
    ) async throws -> UserSession {
        let token = req.application.dependencies.secrets.token()
        let now = req.now
        let session = UserSession()
        session.$account.id = accountID
        session.tokenHash = SecretHash.sha256Hex(token)
        session.level = level.rawValue
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
                if let principal = try await PrincipalLoader.load(
                    accountID: session.$account.id, sessionID: session.id, on: req.sql)
                {
                    session.lastSeenAt = now
                    try await session.save(on: req.db)
                    req.principal = principal
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
            if req.method == .GET {
                let next = req.url.path + (req.url.query.map { "?" + $0 } ?? "")
                // One query value: its own `&`, `=` and `+` must be escaped or the rest of its query is lost.
                var allowed = CharacterSet.urlQueryAllowed
                allowed.remove(charactersIn: "&=+#")
                let encoded = next.addingPercentEncoding(withAllowedCharacters: allowed) ?? "/home"
                return req.redirect(to: "/sign-in?next=\(encoded)")
            }
            throw Abort(.unauthorized)
        }
        return try await next.respond(to: req)
    }
}
