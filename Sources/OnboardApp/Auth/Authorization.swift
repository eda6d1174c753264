import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The one authorisation layer: every staff route is registered through it with the roles it allows,
/// and every record is fetched through it with the caller's scope. Denial is the default: a route with no
/// roles cannot be reached, and a record outside scope is reported as missing (404), never as forbidden,
/// so ids cannot be probed.
struct Guarded {
    let builder: any RoutesBuilder

    typealias Handler = @Sendable (Request, Principal) async throws -> any AsyncResponseEncodable

    @discardableResult
    func on(
        _ method: HTTPMethod, _ path: [PathComponent], allow roles: Set<Role>,
        body: HTTPBodyStreamStrategy = .collect, use handler: @escaping Handler
    ) -> Route {
        precondition(!roles.isEmpty, "a guarded route must allow at least one role")
        return builder.on(method, path, body: body) { req async throws -> Response in
            let principal = try req.requirePrincipal()
            guard principal.hasAny(roles) else { throw Abort(.forbidden, reason: "Your role does not allow this.") }
            return try await handler(req, principal).encodeResponse(for: req)
        }
    }

    @discardableResult
    func get(_ path: PathComponent..., allow roles: Set<Role>, use handler: @escaping Handler) -> Route {
        on(.GET, path, allow: roles, use: handler)
    }

    @discardableResult
    func post(_ path: PathComponent..., allow roles: Set<Role>, use handler: @escaping Handler) -> Route {
        on(.POST, path, allow: roles, use: handler)
    }
}

extension Request {
    /// An organisation the caller may see, or 404.
    func scopedOrganisation(_ id: UUID?, for principal: Principal) async throws -> Organisation {
        guard let id, try await principal.canSee(organisation: id, on: sql),
            let organisation = try await Organisation.find(id, on: db)
        else { throw Abort(.notFound) }
        return organisation
    }

    /// An account the caller may see (its organisation is in scope), or 404.
    func scopedAccount(_ id: UUID?, for principal: Principal) async throws -> Account {
        guard let id, let account = try await Account.find(id, on: db),
            try await principal.canSee(organisation: account.$organisation.id, on: sql)
        else { throw Abort(.notFound) }
        return account
    }
}
