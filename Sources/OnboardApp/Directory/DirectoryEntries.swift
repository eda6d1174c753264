import FluentKit
import Foundation
import OnboardDomain
import SQLKit

/// Directory details (job title, department, work phone), who to ask about an organisation, and an
/// organisation's entries as a file for its Local Administrators.
enum DirectoryEntries {
    struct Details: Decodable, Sendable {
        let organisationID: UUID
        let jobTitle: String?
        let department: String?
        let workPhone: String?

        var domain: DirectoryDetails {
            DirectoryDetails(stored: jobTitle, department: department, workPhone: workPhone)
        }
    }

    static func details(of account: UUID, on sql: any SQLDatabase) async throws -> Details? {
        try await sql.raw(
            "SELECT organisation_id, job_title, department, work_phone FROM accounts WHERE id = \(bind: account)"
        ).firstRow(Details.self)
    }

    /// Saves checked details with their audit entry, in one transaction; the directory index follows by
    /// trigger. Empty fields are stored as nothing, so the directory shows nothing rather than a blank.
    static func save(
        _ details: DirectoryDetails, of account: UUID, context: AuditContext, at now: Date, on db: any Database
    ) async throws {
        @Sendable func stored(_ value: String) -> String? { value.nilIfEmpty }
        try await db.inTransaction { sql in
            guard let before = try await Self.details(of: account, on: sql) else { return }
            try await sql.raw(
                """
                UPDATE accounts SET job_title = \(bind: stored(details.jobTitle)),
                    department = \(bind: stored(details.department)), work_phone = \(bind: stored(details.workPhone)),
                    updated_at = \(bind: now)
                WHERE id = \(bind: account)
                """
            ).run()
            try await AuditLog.record(
                AuditEntry(
                    "account.directory_details", target: "account", id: account.uuidString,
                    before: Self.audited(before.domain), after: Self.audited(details),
                    organisation: before.organisationID),
                context: context, at: now, on: sql)
        }
    }

    static func audited(_ details: DirectoryDetails) -> [String: String] {
        ["jobTitle": details.jobTitle, "department": details.department, "workPhone": details.workPhone]
    }

    // MARK: - Who to ask

    struct Contact: Decodable, Sendable, Encodable {
        let depth: Int
        let accountID: UUID
        let organisation: String
        let givenName: String
        let familyName: String
        let address: String
        let workPhone: String?
    }

    /// The Local Administrators of an organisation: its own, or else those of the nearest organisation above
    /// it (its parent or the one that administers it). Only active accounts with a live grant.
    static func localAdministrators(of organisation: UUID, on sql: any SQLDatabase) async throws -> [Contact] {
        let rows = try await sql.raw(
            """
            WITH RECURSIVE up(id, parent_id, administered_by_id, depth) AS (
                SELECT id, parent_id, administered_by_id, 0 FROM organisations WHERE id = \(bind: organisation)
                UNION ALL
                SELECT o.id, o.parent_id, o.administered_by_id, up.depth + 1
                FROM organisations o JOIN up ON o.id = COALESCE(up.parent_id, up.administered_by_id)
                WHERE up.depth < 20
            )
            SELECT up.depth, a.id AS account_id, o.name AS organisation, p.given_name, p.family_name, a.address,
                a.work_phone
            FROM up JOIN role_grants g ON g.organisation_id = up.id AND g.role = 'local_admin' AND g.revoked_at IS NULL
            JOIN accounts a ON a.id = g.account_id AND a.state = 'active'
            JOIN people p ON p.id = a.person_id JOIN organisations o ON o.id = up.id
            ORDER BY up.depth, p.family_name, p.given_name, a.id
            LIMIT 50
            """
        ).rows(Contact.self)
        guard let nearest = rows.first?.depth else { return [] }
        var seen = Set<UUID>()
        return rows.filter { $0.depth == nearest && seen.insert($0.accountID).inserted }
    }

    // MARK: - Export

    struct ExportRow: Decodable, Sendable {
        let givenName: String
        let familyName: String
        let displayName: String?
        let address: String
        let jobTitle: String?
        let department: String?
        let workPhone: String?
    }

    /// Every listed person of one organisation, as CSV: what the directory shows of them, no more.
    static func csv(of organisation: UUID, on sql: any SQLDatabase) async throws -> String {
        let rows = try await sql.raw(
            """
            SELECT p.given_name, p.family_name, a.display_name, a.address, a.job_title, a.department, a.work_phone
            FROM directory_entries e JOIN accounts a ON a.id = e.entry_id JOIN people p ON p.id = a.person_id
            WHERE e.organisation_id = \(bind: organisation) AND e.kind = 'person' AND e.listed
            ORDER BY e.sort_name, a.id
            """
        ).rows(ExportRow.self)
        var lines = [
            CSV.line([
                "Given name", "Family name", "Display name", "Email address", "Job title", "Department", "Work phone",
            ])
        ]
        for row in rows {
            lines.append(
                CSV.line([
                    row.givenName, row.familyName, row.displayName ?? "", row.address, row.jobTitle ?? "",
                    row.department ?? "", row.workPhone ?? "",
                ]))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
