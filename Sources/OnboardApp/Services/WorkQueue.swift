import Foundation
import OnboardDomain
import SQLKit

/// What waits for a member of staff, oldest first: applications whose next decision is theirs, and accounts in
/// their scope waiting to be activated. The home page shows it; the same scopes as every other read decide it.
enum WorkQueue {
    struct Item: Encodable, Sendable {
        let text: String
        let href: String
        let waiting: String
        let since: Date
    }

    /// Stable names, for the API.
    enum Name: String, Encodable, Sendable {
        case applications, activations, sheets, quarantine
    }

    struct Queue: Encodable, Sendable {
        let name: Name
        let title: String
        let items: [Item]
        let total: Int
        let moreHref: String?
    }

    static let shown = 10

    /// Every queue this person has, in the order the home page shows them.
    static func all(for principal: Principal, now: Date, on sql: any SQLDatabase) async throws -> [Queue] {
        [
            try await applications(for: principal, now: now, on: sql),
            try await activations(for: principal, now: now, on: sql),
            try await sheets(for: principal, now: now, on: sql),
            try await quarantine(for: principal, now: now, on: sql),
        ].compactMap { $0 }
    }

    /// Applications whose next step belongs to this person's roles: kinds they review in their region or
    /// scope, in a state that waits for staff (sent, in review, or passed to their Local Administrators).
    static func applicationCondition(for principal: Principal) -> SQLQueryString? {
        let waiting = [ApplicationState.submitted.rawValue, ApplicationState.inReview.rawValue]
        var clauses: [SQLQueryString] = []
        if principal.has(.nationalAdmin) {
            let kinds = ApplicationKind.allCases.filter { $0.reviewer == .nationalAdmin }.map(\.rawValue)
            clauses.append("(a.kind IN (\(binds: kinds)) AND a.state IN (\(binds: waiting)))")
        }
        let regions = { (role: Role) in principal.grants.filter { $0.role == role }.compactMap(\.region) }
        let contact = regions(.regionalContact)
        if !contact.isEmpty {
            let kinds = [ApplicationKind.optometrist.rawValue, ApplicationKind.dentist.rawValue]
            clauses.append(
                "(a.kind IN (\(binds: kinds)) AND a.region IN (\(binds: contact)) AND a.state IN (\(binds: waiting)))")
        }
        let pharmacy = ApplicationKind.communityPharmacy.rawValue
        if principal.has(.pharmacyAdminTeam) {
            clauses.append("(a.kind = \(bind: pharmacy) AND a.state IN (\(binds: waiting)))")
        } else if !regions(.regionalPharmacyTeam).isEmpty {
            clauses.append(
                """
                (a.kind = \(bind: pharmacy) AND a.region IN (\(binds: regions(.regionalPharmacyTeam)))
                    AND a.state IN (\(binds: waiting)))
                """)
        }
        let administered = principal.administering([.localAdmin])
        if !administered.treeRoots.isEmpty {
            clauses.append(
                """
                (a.kind = \(bind: ApplicationKind.careHome.rawValue) AND a.state IN (\(binds: waiting))
                    AND \(administered.contains(SQLColumn("commissioner_id", table: "a"))))
                """)
            clauses.append(
                """
                (a.state = \(bind: ApplicationState.passedToLA.rawValue)
                    AND \(administered.contains(SQLColumn("assigned_organisation_id", table: "a"))))
                """)
        }
        return anyOf(clauses)
    }

    /// `(a OR b OR …)`, or nil when there is nothing to match.
    static func anyOf(_ clauses: [SQLQueryString]) -> SQLQueryString? {
        guard !clauses.isEmpty else { return nil }
        var combined: SQLQueryString = "("
        for (index, clause) in clauses.enumerated() {
            if index > 0 { combined.appendLiteral(" OR ") }
            combined.appendInterpolation(clause)
        }
        combined.appendLiteral(")")
        return combined
    }

    /// How many rows `from` holds that match `condition`: a queue's total, of which only the oldest are listed.
    static func count(_ from: SQLQueryString, where condition: SQLQueryString, on sql: any SQLDatabase) async throws
        -> Int
    {
        struct Count: Decodable { let n: Int }
        return try await sql.raw("SELECT CAST(COUNT(*) AS INTEGER) AS n \(from) WHERE \(condition)")
            .firstRow(Count.self)?.n ?? 0
    }

    static func waiting(since start: Date, now: Date) -> String {
        "Waiting " + Waiting.describe(since: start, now: now)
    }

    static func applications(for principal: Principal, now: Date, on sql: any SQLDatabase) async throws -> Queue? {
        guard let condition = applicationCondition(for: principal) else { return nil }
        struct Row: Decodable {
            let id: UUID
            let reference: String
            let kind: String
            let answers: String
            let waitingSince: Date
        }
        // A passed application waits from when it was passed; any other from when it was sent.
        let rows = try await sql.raw(
            """
            SELECT a.id, a.reference, a.kind, a.answers,
                CASE WHEN a.state = \(bind: ApplicationState.passedToLA.rawValue) THEN a.updated_at
                     ELSE COALESCE(a.submitted_at, a.created_at) END AS waiting_since
            FROM applications a WHERE \(condition)
            ORDER BY waiting_since, a.id LIMIT \(literal: shown)
            """
        ).rows(Row.self)
        let total = try await count("FROM applications a", where: condition, on: sql)
        let items = rows.map { row in
            let kind = ApplicationKind(rawValue: row.kind) ?? .nonNHSOrganisation
            let subject = ApplicationStore.subjectName(ApplicationStore.decodeAnswers(row.answers))
            return Item(
                text: "\(kind.displayName)" + (subject.map { ": \($0)" } ?? "") + " (\(row.reference))",
                href: SiteURL.application(row.id).path,
                waiting: waiting(since: row.waitingSince, now: now), since: row.waitingSince)
        }
        return Queue(
            name: .applications, title: "Applications waiting for your decision", items: items, total: total,
            moreHref: total > items.count ? SiteURL.applications.path + "?waiting=me" : nil)
    }

    /// Accounts in this person's scope that wait to be activated: a call to make, or a code not yet used.
    static func activations(for principal: Principal, now: Date, on sql: any SQLDatabase) async throws -> Queue? {
        let scope = principal.accountScope(includeHelpers: false)
        guard scope.national || !scope.treeRoots.isEmpty, !principal.has(.nationalAdmin) else { return nil }
        struct Row: Decodable {
            let id: UUID
            let givenName: String
            let familyName: String
            let activationMethod: String?
            let createdAt: Date
        }
        let condition: SQLQueryString = """
            a.state = \(bind: AccountState.pendingActivation.rawValue)
                AND \(scope.contains(SQLColumn("organisation_id", table: "a")))
            """
        let rows = try await sql.raw(
            """
            SELECT a.id, p.given_name, p.family_name, a.activation_method, a.created_at
            FROM accounts a JOIN people p ON p.id = a.person_id
            WHERE \(condition) ORDER BY a.created_at, a.id LIMIT \(literal: shown)
            """
        ).rows(Row.self)
        let total = try await count("FROM accounts a", where: condition, on: sql)
        let items = rows.map { row in
            let call = row.activationMethod == ActivationMethod.assisted.rawValue
            return Item(
                text: "\(row.givenName) \(row.familyName)".tidied + (call ? ": phone them to activate" : ""),
                href: SiteURL.account(row.id).path,
                waiting: waiting(since: row.createdAt, now: now), since: row.createdAt)
        }
        return Queue(
            name: .activations, title: "Accounts waiting to be activated", items: items, total: total,
            moreHref: total > items.count ? SiteURL.accounts.path + "?state=pending_activation" : nil)
    }
}

extension WorkQueue {
    /// Registration sheets that passed their checks and wait to be applied by this person: the pharmacy
    /// administration team's pharmacy sheets, an LA's own accounts sheets, anything for a national administrator.
    static func sheets(for principal: Principal, now: Date, on sql: any SQLDatabase) async throws -> Queue? {
        var clauses: [SQLQueryString] = []
        if principal.has(.nationalAdmin) {
            clauses.append("1 = 1")
        } else {
            if principal.has(.pharmacyAdminTeam) { clauses.append("u.kind = 'pharmacy_multiple'") }
            if principal.has(.localAdmin) {
                clauses.append("(u.kind = 'accounts' AND u.uploaded_by_id = \(bind: principal.accountID))")
            }
        }
        guard let mine = anyOf(clauses) else { return nil }
        let condition: SQLQueryString = "u.status = 'valid' AND \(mine)"
        struct Row: Decodable {
            let id: UUID
            let filename: String
            let organisation: String
            let createdAt: Date
        }
        let rows = try await sql.raw(
            """
            SELECT u.id, u.filename, o.name AS organisation, u.created_at
            FROM bulk_uploads u JOIN organisations o ON o.id = u.organisation_id
            WHERE \(condition) ORDER BY u.created_at, u.id LIMIT \(literal: shown)
            """
        ).rows(Row.self)
        let total = try await count("FROM bulk_uploads u", where: condition, on: sql)
        return Queue(
            name: .sheets, title: "Sheets waiting to be applied",
            items: rows.map { row in
                Item(
                    text: "\(row.organisation): \(row.filename)", href: SiteURL.bulkUpload(row.id).path,
                    waiting: waiting(since: row.createdAt, now: now), since: row.createdAt)
            }, total: total, moreHref: total > rows.count ? SiteURL.bulk.path : nil)
    }

    /// Items held in quarantine in the migrations this person runs as their implementation support manager:
    /// each waits for them to release or remove it before the transfer gate opens.
    static func quarantine(for principal: Principal, now: Date, on sql: any SQLDatabase) async throws -> Queue? {
        guard principal.has(.implementationSupportManager) else { return nil }
        let condition: SQLQueryString = """
            i.state = 'infected' AND mp.ism_id = \(bind: principal.accountID) AND mp.status = 'open'
            """
        struct Row: Decodable {
            let id: UUID
            let projectID: UUID
            let path: String
            let organisation: String
            let scannedAt: Date?
            let createdAt: Date
        }
        let from: SQLQueryString = """
            FROM transfer_items i JOIN transfer_batches b ON b.id = i.batch_id
            JOIN migration_projects mp ON mp.id = b.project_id JOIN organisations o ON o.id = mp.organisation_id
            """
        let rows = try await sql.raw(
            """
            SELECT i.id, b.project_id, i.path, o.name AS organisation, i.scanned_at, b.created_at \(from)
            WHERE \(condition) ORDER BY b.created_at, i.position LIMIT \(literal: shown)
            """
        ).rows(Row.self)
        let total = try await count(from, where: condition, on: sql)
        return Queue(
            name: .quarantine, title: "Quarantined items waiting for you",
            items: rows.map { row in
                Item(
                    text: "\(row.organisation): \(row.path)",
                    href:
                        SiteURL.migrationItem(row.projectID, item: row.id).path,
                    waiting: waiting(since: row.scannedAt ?? row.createdAt, now: now),
                    since: row.scannedAt ?? row.createdAt)
            }, total: total, moreHref: nil)
    }
}
