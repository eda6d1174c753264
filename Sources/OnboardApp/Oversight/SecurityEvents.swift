import Foundation
import SQLKit
import Vapor

/// Noise that matters for security but not for the record of changes: failed sign-ins, refused calls and
/// rate-limit hits. Kept in `security_events`, outside the audit chain, and purged after
/// `SECURITY_EVENT_RETENTION_DAYS`.
enum SecurityEventKind: String, CaseIterable, Sendable {
    case signInFailed = "sign_in_failed"
    case secondFactorRefused = "second_factor_refused"
    case tokenRefused = "token_refused"
    case authorisationRefused = "authorisation_refused"
    case rateLimited = "rate_limited"

    var label: String {
        switch self {
        case .signInFailed: "Failed sign-in"
        case .secondFactorRefused: "Second factor refused"
        case .tokenRefused: "API token refused"
        case .authorisationRefused: "Refused"
        case .rateLimited: "Too many requests"
        }
    }
}

enum SecurityEvents {
    /// Written on its own, never inside the refused request's transaction, so a rollback cannot lose it.
    /// A failure to write is logged and does not change the answer the caller gets.
    static func record(
        _ kind: SecurityEventKind, account: UUID? = nil, attempted: String? = nil, detail: String? = nil,
        on req: Request
    ) async {
        let account = account ?? req.principal?.accountID
        do {
            // The organisation is the caller's, or else the account's that was tried: scoped searches need one.
            try await req.sql.raw(
                """
                INSERT INTO security_events
                    (id, occurred_at, kind, account_id, organisation_id, attempted, detail, path, request_id,
                     client_address)
                VALUES (\(bind: UUID()), \(bind: req.now), \(bind: kind.rawValue), \(bind: account),
                    COALESCE(\(bind: req.principal?.organisationID),
                        (SELECT organisation_id FROM accounts WHERE id = \(bind: account))),
                    \(bind: attempted.map { String($0.prefix(254)) }), \(bind: detail.map { String($0.prefix(200)) }),
                    \(bind: String(req.url.path.prefix(300))), \(bind: req.requestID), \(bind: req.clientAddress))
                """
            ).run()
        } catch {
            req.logger.warning("Could not record a security event", metadata: ["kind": .string(kind.rawValue)])
        }
    }

    static func purge(olderThan cutoff: Date, on sql: any SQLDatabase) async throws -> Int {
        struct Count: Decodable { let n: Int }
        let count =
            try await sql.raw("SELECT COUNT(*) AS n FROM security_events WHERE occurred_at < \(bind: cutoff)")
            .firstRow(Count.self)?.n ?? 0
        try await sql.raw("DELETE FROM security_events WHERE occurred_at < \(bind: cutoff)").run()
        return count
    }
}

/// Records refusals (401 from the API, 403 anywhere) and rate-limit hits as security events, whichever
/// layer refused them.
struct SecurityEventMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            let response = try await next.respond(to: req)
            await note(response.status, req)
            return response
        } catch let error as any AbortError {
            await note(error.status, req)
            throw error
        }
    }

    private func note(_ status: HTTPStatus, _ req: Request) async {
        switch status {
        case .unauthorized where req.url.path.hasPrefix("/api/"):
            await SecurityEvents.record(.tokenRefused, on: req)
        case .forbidden: await SecurityEvents.record(.authorisationRefused, on: req)
        case .tooManyRequests: await SecurityEvents.record(.rateLimited, on: req)
        default: break
        }
    }
}

extension SecurityEvents {
    struct Row: Decodable, Sendable {
        let occurredAt: Date
        let kind: String
        let accountAddress: String?
        let attempted: String?
        let detail: String?
        let path: String?
        let clientAddress: String?
    }

    /// Newest first, 100 a page, older than `before`. National administrators see every event; a Local
    /// Administrator those of accounts in the organisations they administer.
    static func search(kind: SecurityEventKind?, before: Date?, principal: Principal, on sql: any SQLDatabase)
        async throws -> (rows: [Row], next: Date?)
    {
        var clause: SQLQueryString = "1 = 1"
        if !principal.seesEverything {
            let administered = principal.administering([.localAdmin])
            guard !administered.treeRoots.isEmpty else { return ([], nil) }
            clause =
                "s.organisation_id IS NOT NULL AND \(administered.contains(SQLColumn("organisation_id", table: "s")))"
        }
        if let kind { clause.appendInterpolation(" AND s.kind = \(bind: kind.rawValue)" as SQLQueryString) }
        if let before { clause.appendInterpolation(" AND s.occurred_at < \(bind: before)" as SQLQueryString) }
        let rows = try await sql.raw(
            """
            SELECT s.occurred_at, s.kind, a.address AS account_address, s.attempted, s.detail, s.path, s.client_address
            FROM security_events s LEFT JOIN accounts a ON a.id = s.account_id
            WHERE \(clause) ORDER BY s.occurred_at DESC LIMIT 101
            """
        ).rows(Row.self)
        let page = Array(rows.prefix(100))
        return (page, rows.count > 100 ? page.last?.occurredAt : nil)
    }
}
