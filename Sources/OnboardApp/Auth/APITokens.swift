import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// API tokens that people make for themselves: named, at most 90 days, optionally read-only or narrowed
/// to one organisation within their scope. Only the SHA-256 of a token is stored; it is shown once.
enum APITokens {
    static let maximumDays = 90
    static let defaultDays = 30
    /// How recently the second factor must have been checked before a token is made.
    static let factorWindow: TimeInterval = 5 * 60
    /// How stale a token's "last used" may be: the list shows it to the minute.
    static let lastUseInterval: TimeInterval = 60

    struct Row: Decodable, Sendable {
        let id: UUID
        let name: String
        let createdAt: Date
        let expiresAt: Date?
        let lastUsedAt: Date?
        let revokedAt: Date?
        let readOnly: Bool
        let organisationID: UUID?
        let organisationName: String?
    }

    struct Request: Sendable {
        var name: String
        var days: Int
        var readOnly: Bool
        var organisation: UUID?
    }

    static func list(for account: UUID, on sql: any SQLDatabase) async throws -> [Row] {
        try await sql.raw(
            """
            SELECT t.id, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.read_only,
                t.organisation_id, o.name AS organisation_name
            FROM api_tokens t LEFT JOIN organisations o ON o.id = t.organisation_id
            WHERE t.account_id = \(bind: account)
            ORDER BY t.created_at DESC, t.id LIMIT 200
            """
        ).rows(Row.self)
    }

    /// Checks the form: a name, a lifetime of 1 to 90 days, and an organisation the person could reach.
    static func validate(
        name: String?, days: String?, access: String?, organisation: String?, principal: Principal,
        on sql: any SQLDatabase
    ) async throws -> (Request, ValidationErrors) {
        var errors = ValidationErrors()
        let name = (name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty {
            errors.add("name", "Enter a name for the token, so you can recognise it later")
        } else if name.count > 80 {
            errors.add("name", "Name must be 80 characters or fewer")
        }
        let parsedDays = Int((days ?? "").trimmingCharacters(in: .whitespaces))
        if parsedDays == nil || !(1...maximumDays).contains(parsedDays!) {
            errors.add("days", "Enter how many days the token lasts, from 1 to \(maximumDays)")
        }
        var narrowed: UUID?
        if let raw = organisation.flatMap(OrganisationRules.normaliseODS), !raw.isEmpty {
            struct Found: Decodable { let id: UUID }
            let found = try await sql.raw("SELECT id FROM organisations WHERE ods_code = \(bind: raw)")
                .firstRow(Found.self)
            if !narrowable(principal) {
                errors.add("organisation", "Your role reaches no single organisation: leave this empty")
            } else if let found, try await principal.canSee(organisation: found.id, on: sql) {
                narrowed = found.id
            } else {
                errors.add("organisation", "Enter the ODS code of an organisation you administer")
            }
        }
        if !["read", "change"].contains(access ?? "") {
            errors.add("access", "Choose what the token may do")
        }
        return (
            Request(name: name, days: parsedDays ?? defaultDays, readOnly: access != "change", organisation: narrowed),
            errors
        )
    }

    /// National, regional and all-pharmacy roles reach no single organisation to narrow to.
    static func narrowable(_ principal: Principal) -> Bool {
        principal.grants.contains { [.organisation, .administeredTree].contains($0.role.scopeKind) }
    }

    /// Makes a token and returns its only copy.
    static func create(
        _ request: Request, principal: Principal, secrets: SecretGenerator, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws -> (id: UUID, token: String) {
        let token = "onb_" + secrets.token()
        let id = UUID()
        let expires = now.addingTimeInterval(Double(request.days) * 86_400)
        try await sql.insert(
            into: "api_tokens",
            row: [
                "id": id, "account_id": principal.accountID, "name": request.name,
                "token_hash": SecretHash.sha256Hex(token), "created_at": now, "expires_at": expires,
                "read_only": request.readOnly, "organisation_id": request.organisation,
            ]
        ).run()
        try await AuditLog.record(
            AuditEntry(
                "api_token.create", target: "account", id: principal.accountID.uuidString, before: String?.none,
                after: [
                    "token": id.uuidString, "name": request.name,
                    "expires": ISO8601DateFormatter().string(from: expires),
                    "read_only": String(request.readOnly), "organisation": request.organisation?.uuidString ?? "",
                ]),
            context: context, at: now, on: sql)
        return (id, token)
    }

    /// Revokes one of the person's own tokens. False when there was nothing live to revoke.
    static func revoke(_ id: UUID, of account: UUID, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws -> Bool
    {
        struct Revoked: Decodable { let id: UUID }
        guard
            try await sql.raw(
                """
                UPDATE api_tokens SET revoked_at = \(bind: now)
                WHERE id = \(bind: id) AND account_id = \(bind: account) AND revoked_at IS NULL
                RETURNING id
                """
            ).firstRow(Revoked.self) != nil
        else { return false }
        try await AuditLog.record(
            AuditEntry(
                "api_token.revoke", target: "account", id: account.uuidString, before: String?.none,
                after: ["token": id.uuidString]),
            context: context, at: now, on: sql)
        return true
    }

    /// Every live token of an account: when a role is revoked, as well as on reset, disabling or leaving.
    static func revokeAll(of account: UUID, now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            "UPDATE api_tokens SET revoked_at = \(bind: now) WHERE account_id = \(bind: account) AND revoked_at IS NULL"
        ).run()
    }

    enum Refusal: Error {
        case unknown, expired, holderCannotAct, outsideScope
    }

    /// The caller a bearer token stands for: the holder's *current* roles, narrowed as the token says.
    static func principal(for bearer: String, now: Date, on sql: any SQLDatabase) async throws -> Result<
        Principal, Refusal
    > {
        // The token, its holder and the holder's live grants in one round trip: every API call pays for it.
        struct Token: Decodable {
            let id: UUID
            let accountID: UUID
            let expiresAt: Date?
            let readOnly: Bool
            let organisation: UUID?
            let lastUsedAt: Date?
            /// The holder's columns, from the same row.
            let holder: PrincipalLoader.Row

            enum CodingKeys: String, CodingKey {
                case id = "tokenID"
                case accountID, expiresAt, readOnly
                case organisation = "tokenOrganisationID"
                case lastUsedAt
            }

            init(from decoder: any Decoder) throws {
                let row = try decoder.container(keyedBy: CodingKeys.self)
                id = try row.decode(UUID.self, forKey: .id)
                accountID = try row.decode(UUID.self, forKey: .accountID)
                expiresAt = try row.decodeIfPresent(Date.self, forKey: .expiresAt)
                readOnly = try row.decode(Bool.self, forKey: .readOnly)
                organisation = try row.decodeIfPresent(UUID.self, forKey: .organisation)
                lastUsedAt = try row.decodeIfPresent(Date.self, forKey: .lastUsedAt)
                holder = try PrincipalLoader.Row(from: decoder)
            }
        }
        let rows = try await sql.raw(
            """
            SELECT t.id AS token_id, t.account_id, t.expires_at, t.read_only, t.organisation_id AS token_organisation_id,
                t.last_used_at, \(unsafeRaw: PrincipalLoader.columns)
            FROM api_tokens t JOIN accounts a ON a.id = t.account_id JOIN people p ON p.id = a.person_id
            LEFT JOIN role_grants g ON g.account_id = a.id AND g.revoked_at IS NULL
            WHERE t.token_hash = \(bind: SecretHash.sha256Hex(bearer)) AND t.revoked_at IS NULL
            """
        ).rows(Token.self)
        guard let token = rows.first else { return .failure(.unknown) }
        guard let expires = token.expiresAt, expires > now else { return .failure(.expired) }
        guard
            var principal = PrincipalLoader.principal(
                accountID: token.accountID, sessionID: nil, rows: rows.map(\.holder))
        else { return .failure(.holderCannotAct) }
        principal.tokenID = token.id
        principal.readOnly = token.readOnly
        if let organisation = token.organisation {
            principal.grants = principal.grants.filter {
                [.organisation, .administeredTree].contains($0.role.scopeKind)
            }
            guard try await principal.canSee(organisation: organisation, on: sql) else {
                return .failure(.outsideScope)
            }
            principal.narrowedTo = organisation
        }
        // Written at most once a minute, so a stream of reads does not become a stream of writes.
        if token.lastUsedAt.map({ now.timeIntervalSince($0) >= lastUseInterval }) ?? true {
            try await sql.raw("UPDATE api_tokens SET last_used_at = \(bind: now) WHERE id = \(bind: token.id)").run()
        }
        return .success(principal)
    }
}
