import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// One application as stored.
struct ApplicationRow: Decodable, Sendable {
    let id: UUID
    let reference: String
    let kind: String
    let state: String
    let applicantEmail: String
    let emailVerifiedAt: Date?
    let codeHash: String?
    let codeExpiresAt: Date?
    let codeAttempts: Int
    let answers: String
    let region: String?
    let organisationID: UUID?
    let commissionerID: UUID?
    let assignedOrganisationID: UUID?
    let createdOrganisationID: UUID?
    let createdAccountID: UUID?
    let createdMailboxID: UUID?
    let decision: String?
    let rules: String?
    let parameterVersion: String?
    let submittedAt: Date?
    let createdAt: Date
    let updatedAt: Date

    static let columns: SQLQueryString = """
        a.id, a.reference, a.kind, a.state, a.applicant_email, a.email_verified_at, a.code_hash, a.code_expires_at,
        a.code_attempts, a.answers, a.region, a.organisation_id, a.commissioner_id, a.assigned_organisation_id,
        a.created_organisation_id, a.created_account_id, a.created_mailbox_id, a.decision, a.rules, a.parameter_version, a.submitted_at, a.created_at, a.updated_at
        """

    var applicationKind: ApplicationKind { ApplicationKind(rawValue: kind) ?? .nonNHSOrganisation }
    var applicationState: ApplicationState { ApplicationState(rawValue: state) ?? .draft }
    var answerMap: [String: String] { ApplicationStore.decodeAnswers(answers) }
    var isVerified: Bool { emailVerifiedAt != nil }

    /// The name applicants and reviewers recognise: the practice, premises, home or organisation.
    var subjectName: String { ApplicationStore.subjectName(answerMap) ?? applicationKind.displayName }
}

/// One step in an application's history.
struct ApplicationEventRow: Decodable, Sendable, Encodable {
    let id: UUID
    let applicationID: UUID
    let occurredAt: Date
    let action: String
    let fromState: String
    let toState: String
    let reason: String?
    let actor: String
}

enum ApplicationStore {
    /// The practice, premises, home or organisation an application is for, as the applicant named it.
    static func subjectName(_ answers: [String: String]) -> String? {
        answers["organisationName"] ?? answers["practiceName"] ?? answers["premisesName"] ?? answers["homeName"]
    }

    static func hasAccount(email: String, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("SELECT 1 AS one FROM accounts WHERE lower(address) = \(bind: email)").first() != nil
    }

    static func decodeAnswers(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    static func encodeAnswers(_ answers: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(answers)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    static func load(where condition: SQLQueryString, on sql: any SQLDatabase) async throws -> ApplicationRow? {
        try await sql.raw("SELECT \(ApplicationRow.columns) FROM applications a WHERE \(condition)")
            .firstRow(ApplicationRow.self)
    }

    /// Every path that creates an application starts it as a draft here, with its tracking hash, and reads it back.
    @discardableResult
    static func insertDraft(
        id: UUID, reference: String, kind: ApplicationKind, email: String, verifiedAt: Date? = nil,
        resumeHash: String? = nil, answers: [String: String] = [:], key: [UInt8], at now: Date, on sql: any SQLDatabase
    ) async throws -> ApplicationRow {
        try await sql.insert(
            into: "applications",
            row: [
                "id": id, "reference": reference, "kind": kind.rawValue, "state": ApplicationState.draft.rawValue,
                "applicant_email": email, "email_verified_at": verifiedAt, "code_attempts": 0,
                "resume_hash": resumeHash, "tracking_hash": SecretHash.sha256Hex(trackingToken(for: id, key: key)),
                "answers": encodeAnswers(answers), "created_at": now, "updated_at": now,
            ]
        )
        .run()
        guard let row = try await load(id: id, on: sql) else { throw Abort(.internalServerError) }
        return row
    }

    static func loadAll(where condition: SQLQueryString, on sql: any SQLDatabase) async throws -> [ApplicationRow] {
        try await sql.raw("SELECT \(ApplicationRow.columns) FROM applications a WHERE \(condition)")
            .rows(ApplicationRow.self)
    }

    static func load(id: UUID, on sql: any SQLDatabase) async throws -> ApplicationRow? {
        try await load(where: "a.id = \(bind: id)", on: sql)
    }

    static func events(for id: UUID, on sql: any SQLDatabase) async throws -> [ApplicationEventRow] {
        try await sql.raw(
            """
            SELECT id, application_id, occurred_at, action, from_state, to_state, reason, actor
            FROM application_events WHERE application_id = \(bind: id) ORDER BY sequence
            """
        ).rows(ApplicationEventRow.self)
    }

    /// Links sent by message carry a token derived from the application's id with the service key, so jobs can
    /// rebuild it and the database holds only its hash.
    static func trackingToken(for id: UUID, key: [UInt8]) -> String {
        SecretHash.hmac("track:\(id.uuidString.lowercased())", key: key)
    }

    static func codeHash(_ code: String, application id: UUID, key: [UInt8]) -> String {
        SecretHash.hmac("email-code:\(id.uuidString.lowercased()):\(code)", key: key)
    }

    /// A fresh reference, retried on the rare collision.
    static func newReference(secrets: SecretGenerator, on sql: any SQLDatabase) async throws -> String {
        for _ in 0..<5 {
            let candidate = ApplicationReference.make(from: secrets.bytes(5))
            if try await sql.raw("SELECT 1 AS one FROM applications WHERE reference = \(bind: candidate)").first()
                == nil
            {
                return candidate
            }
        }
        throw Abort(.internalServerError, reason: "Could not find an unused application reference")
    }

    /// Which staff may see which applications. Drafts belong to their applicant alone.
    static func visible(to principal: Principal) -> SQLQueryString {
        var clauses: [SQLQueryString] = []
        if principal.has(.nationalAdmin) { clauses.append("1 = 1") }
        let regions = { (role: Role) in principal.grants.filter { $0.role == role }.compactMap(\.region) }
        let contactRegions = regions(.regionalContact)
        if !contactRegions.isEmpty {
            let kinds = [ApplicationKind.optometrist.rawValue, ApplicationKind.dentist.rawValue]
            clauses.append("(a.kind IN (\(binds: kinds)) AND a.region IN (\(binds: contactRegions)))")
        }
        let pharmacyRegions = regions(.regionalPharmacyTeam)
        if !pharmacyRegions.isEmpty {
            clauses.append(
                "(a.kind = \(bind: ApplicationKind.communityPharmacy.rawValue) AND a.region IN (\(binds: pharmacyRegions)))"
            )
        }
        if principal.has(.pharmacyAdminTeam) {
            clauses.append("a.kind = \(bind: ApplicationKind.communityPharmacy.rawValue)")
        }
        let administered = principal.administering([.localAdmin])
        if !administered.treeRoots.isEmpty {
            clauses.append(
                """
                (a.kind = \(bind: ApplicationKind.careHome.rawValue)
                    AND (\(administered.contains(SQLColumn("commissioner_id", table: "a")))
                         OR \(administered.contains(SQLColumn("organisation_id", table: "a")))))
                """)
            clauses.append("\(administered.contains(SQLColumn("assigned_organisation_id", table: "a")))")
        }
        guard !clauses.isEmpty else { return "a.state <> \(bind: ApplicationState.draft.rawValue) AND 1 = 0" }
        var combined: SQLQueryString = "a.state <> \(bind: ApplicationState.draft.rawValue) AND ("
        for (index, clause) in clauses.enumerated() {
            if index > 0 { combined.appendLiteral(" OR ") }
            combined.appendInterpolation(clause)
        }
        combined.appendLiteral(")")
        return combined
    }

    /// The application if the caller may see it, else 404 whatever the reason.
    static func scoped(_ condition: SQLQueryString, for principal: Principal, on sql: any SQLDatabase) async throws
        -> ApplicationRow
    {
        var query: SQLQueryString = "\(condition) AND "
        query.appendInterpolation(visible(to: principal))
        guard let row = try await load(where: query, on: sql) else { throw Abort(.notFound) }
        return row
    }

    /// The reviewer role the caller acts in for this application, or nil when they only watch.
    static func reviewer(_ principal: Principal, for row: ApplicationRow, on sql: any SQLDatabase) async throws
        -> Reviewer?
    {
        if principal.has(.nationalAdmin) { return .nationalAdmin }
        let kind = row.applicationKind
        func administers(_ id: UUID?) async throws -> Bool {
            guard let id else { return false }
            return try await principal.reaches(organisation: id, .administers([.localAdmin]), on: sql)
        }
        if row.applicationState == .passedToLA, try await administers(row.assignedOrganisationID) {
            return .localAdmin
        }
        if kind == .careHome, try await administers(row.commissionerID ?? row.organisationID) { return .localAdmin }
        let regions = { (role: Role) in Set(principal.grants.filter { $0.role == role }.compactMap(\.region)) }
        if kind.reviewer == .regionalContact, let region = row.region, regions(.regionalContact).contains(region) {
            return .regionalContact
        }
        if kind == .communityPharmacy,
            principal.has(.pharmacyAdminTeam) || row.region.map(regions(.regionalPharmacyTeam).contains) == true
        {
            return .pharmacyTeam
        }
        return nil
    }

    /// Organisations with a Local Administrator that administer `organisation` (walking up), or, when the
    /// practice is not on record, those in the region: the choices for "pass to an LA".
    static func localAdministrations(for row: ApplicationRow, on sql: any SQLDatabase) async throws -> [LAChoice] {
        let hasLA: SQLQueryString = """
            EXISTS (SELECT 1 FROM role_grants g WHERE g.organisation_id = o.id AND g.role = \(bind: Role.localAdmin.rawValue)
                AND g.revoked_at IS NULL)
            """
        if let start = row.organisationID {
            return try await sql.raw(
                """
                WITH RECURSIVE up(id) AS (
                    SELECT \(bind: start)
                    UNION
                    SELECT CASE e.k WHEN 1 THEN u.parent_id ELSE u.administered_by_id END
                    FROM up JOIN organisations u ON u.id = up.id CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2) e
                    WHERE CASE e.k WHEN 1 THEN u.parent_id ELSE u.administered_by_id END IS NOT NULL
                )
                SELECT o.id, o.name, o.ods_code FROM organisations o
                WHERE o.id IN (SELECT id FROM up) AND \(hasLA) ORDER BY o.name
                """
            ).rows(LAChoice.self)
        }
        return try await sql.raw(
            """
            SELECT o.id, o.name, o.ods_code FROM organisations o
            WHERE o.region = \(bind: row.region ?? "") AND \(hasLA) ORDER BY o.name
            """
        ).rows(LAChoice.self)
    }

    struct LAChoice: Decodable, Encodable, Sendable {
        let id: UUID
        let name: String
        let odsCode: String?
    }
}
