import Foundation
import Vapor

/// Synchroniser tokens: an HMAC of the session id (or, before sign-in, of a random pre-session cookie).
/// A token from another session, or from before sign-in, does not match.
struct CSRFProtection: AsyncMiddleware {
    static let field = "_csrf"

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        var newBinding: String?
        if req.csrfBinding == nil {
            if let existing = req.cookies[SessionCookie.preSessionName]?.string, existing.count >= 32 {
                req.csrfBinding = existing
            } else {
                let fresh = req.application.dependencies.secrets.token()
                req.csrfBinding = fresh
                newBinding = fresh
            }
        }
        if ![.GET, .HEAD, .OPTIONS].contains(req.method) {
            try await verify(req)
        }
        let response = try await next.respond(to: req)
        if let newBinding, response.cookies[SessionCookie.name] == nil {
            response.cookies[SessionCookie.preSessionName] = SessionCookie.make(newBinding, maxAge: nil)
        }
        return response
    }

    private func verify(_ req: Request) async throws {
        // A state-changing request that reaches here without a binding cookie cannot be genuine.
        guard newlyIssued(req) == false else {
            throw Abort(.forbidden, reason: "This form has expired. Go back and try again.")
        }
        // `collect(max:)` keeps the bytes on the request for the decoding below and for the route; iterating the
        // body (`collect(upTo:)`) would drain a streamed body and leave nothing for either.
        _ = try await req.body.collect(max: BodyLimits.limit(for: req.url.path)).get()
        struct Form: Decodable { let _csrf: String? }
        let sent = (try? req.content.decode(Form.self))?._csrf
        guard let sent, let expected = req.csrfToken, SecretHash.constantTimeEquals(sent, expected) else {
            throw Abort(.forbidden, reason: "This form has expired. Go back and try again.")
        }
    }

    private func newlyIssued(_ req: Request) -> Bool {
        req.cookies[SessionCookie.name]?.string != req.csrfBinding
            && req.cookies[SessionCookie.preSessionName]?.string != req.csrfBinding
    }
}

extension Request {
    private struct BindingKey: StorageKey { typealias Value = String }

    /// The secret this request's CSRF token is derived from.
    var csrfBinding: String? {
        get { storage[BindingKey.self] }
        set { storage[BindingKey.self] = newValue }
    }

    var csrfToken: String? {
        csrfBinding.map { SecretHash.hmac("csrf:" + $0, key: application.settings.sessionSecret) }
    }
}
