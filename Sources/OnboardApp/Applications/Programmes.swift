import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Programmes (from the versioned parameters), their cohorts and waiting lists, and registration links.
enum Programmes {
    struct Cohort: Decodable, Sendable {
        let id: UUID
        let programme: String
        let name: String
        let capacity: Int
        let releasedAt: Date?
    }

    static func cohorts(_ programme: String, on sql: any SQLDatabase) async throws -> [Cohort] {
        try await sql.raw(
            """
            SELECT id, programme, name, capacity, released_at FROM programme_cohorts
            WHERE programme = \(bind: programme) ORDER BY created_at, name
            """
        ).rows(Cohort.self)
    }

    struct Waiting: Decodable, Sendable {
        let id: UUID
        let reference: String
        let submittedAt: Date?
        let region: String?
    }

    /// The waiting list in queue order, limited to what the principal may see.
    static func waitingList(
        _ programme: String, for principal: Principal?, first limit: Int? = nil, on sql: any SQLDatabase
    ) async throws -> [Waiting] {
        var query: SQLQueryString = """
            SELECT a.id, a.reference, a.submitted_at, a.region FROM applications a
            WHERE a.state = \(bind: ApplicationState.waitlisted.rawValue) AND a.programme = \(bind: programme)
            """
        if let principal {
            let clause: SQLQueryString = " AND \(ApplicationStore.visible(to: principal))"
            query.appendInterpolation(clause)
        }
        query.appendLiteral(" ORDER BY a.submitted_at, a.reference")
        if let limit {
            let clause: SQLQueryString = " LIMIT \(literal: max(0, limit))"
            query.appendInterpolation(clause)
        }
        return try await sql.raw(query).rows(Waiting.self)
    }

    /// Place in the national queue (1 is next), counting everyone waiting for the programme, seen or not.
    static func position(of row: ApplicationRow, on sql: any SQLDatabase) async throws -> Int? {
        guard row.applicationState == .waitlisted, let programme = row.answerMap["programme"],
            let submitted = row.submittedAt
        else { return nil }
        struct Ahead: Decodable { let n: Int }
        // The queue's order is (submitted_at, reference), as in `waitingList`.
        let ahead = try await sql.raw(
            """
            SELECT COUNT(*) AS n FROM applications a
            WHERE a.state = \(bind: ApplicationState.waitlisted.rawValue) AND a.programme = \(bind: programme)
              AND (a.submitted_at < \(bind: submitted)
                   OR (a.submitted_at = \(bind: submitted) AND a.reference < \(bind: row.reference)))
            """
        ).firstRow(Ahead.self)
        return (ahead?.n ?? 0) + 1
    }

    /// How many are waiting for a programme, of those the principal may see.
    static func waitingCount(_ programme: String, for principal: Principal, on sql: any SQLDatabase) async throws -> Int
    {
        struct Count: Decodable { let n: Int }
        return try await sql.raw(
            """
            SELECT COUNT(*) AS n FROM applications a
            WHERE a.state = \(bind: ApplicationState.waitlisted.rawValue) AND a.programme = \(bind: programme)
              AND \(ApplicationStore.visible(to: principal))
            """
        ).firstRow(Count.self)?.n ?? 0
    }

    static func addCohort(
        _ req: Request, programme: String, name rawName: String, capacity rawCapacity: String
    ) async throws {
        var errors = ValidationErrors()
        let name = rawName.tidied
        if name.isEmpty { errors.add("name", "Enter a name for the cohort, like Cohort 1") }
        if name.count > 100 { errors.add("name", "The name must be 100 characters or fewer") }
        let capacity = Int(rawCapacity.trimmingCharacters(in: .whitespaces))
        if capacity == nil || !(1...10_000).contains(capacity!) {
            errors.add("capacity", "Capacity must be a whole number from 1 to 10000")
        }
        if errors.isEmpty,
            try await req.sql.raw(
                "SELECT 1 AS one FROM programme_cohorts WHERE programme = \(bind: programme) AND name = \(bind: name)"
            ).first() != nil
        {
            errors.add("name", "This programme already has a cohort called \(name)")
        }
        try errors.throwIfAny()
        let id = UUID()
        let now = req.now
        let context = req.auditContext
        try await req.inTransaction { sql in
            try await sql.insert(
                into: "programme_cohorts",
                row: ["id": id, "programme": programme, "name": name, "capacity": capacity!, "created_at": now]
            )
            .run()
            try await AuditLog.record(
                AuditEntry(
                    "cohort.create", target: "cohort", id: id.uuidString, before: [String: String]?.none,
                    after: ["programme": programme, "name": name, "capacity": String(capacity!)]),
                context: context, at: now, on: sql)
        }
    }

    /// Releases a cohort once: the first `capacity` on the waiting list come off it, each told by a queued message.
    static func release(_ req: Request, principal: Principal, cohort id: UUID, programme: String) async throws -> Int {
        let now = req.now
        let context = req.auditContext
        let actor = "\(principal.name) (\(principal.topRole.displayName))"
        return try await req.inTransaction { sql in
            // Claiming the cohort first makes a second, concurrent release find nothing to claim.
            let claimed = try await sql.raw(
                """
                UPDATE programme_cohorts SET released_at = \(bind: now), released_by_id = \(bind: principal.accountID)
                WHERE id = \(bind: id) AND programme = \(bind: programme) AND released_at IS NULL
                RETURNING id, programme, name, capacity, released_at
                """
            ).firstRow(Cohort.self)
            guard let cohort = claimed else {
                throw ValidationErrors([FieldError(field: "cohort", message: "This cohort has already been released")])
            }
            let chosen = try await waitingList(programme, for: nil, first: cohort.capacity, on: sql).map(\.id)
            let rows =
                chosen.isEmpty ? [] : try await ApplicationStore.loadAll(where: "a.id IN (\(binds: chosen))", on: sql)
            if !rows.isEmpty {
                try await sql.raw(
                    """
                    UPDATE applications SET state = \(bind: ApplicationState.inReview.rawValue), cohort_id = \(bind: id),
                        updated_at = \(bind: now)
                    WHERE id IN (\(binds: chosen)) AND state = \(bind: ApplicationState.waitlisted.rawValue)
                    """
                ).run()
            }
            for row in rows {
                try await ApplicationService.recordEvent(
                    row, action: .release, from: .waitlisted, to: .inReview,
                    reason: "Your pharmacy is invited in \(cohort.name). We will now complete your registration.",
                    actor: actor, actorAccount: principal.accountID, context: context, at: now, on: sql)
            }
            try await AuditLog.record(
                AuditEntry(
                    "cohort.release", target: "cohort", id: id.uuidString, before: ["released": "no"],
                    after: ["released": "yes", "invited": String(chosen.count)]),
                context: context, at: now, on: sql)
            return chosen.count
        }
    }

    static let registrationLifetime: TimeInterval = 14 * 24 * 3600

    /// A single-use, expiring registration link for one pharmacy, emailed by a job; only its hash is kept.
    static func issueRegistration(
        _ req: Request, principal: Principal, programme: String, email rawEmail: String, ods rawODS: String
    ) async throws {
        var errors = ValidationErrors()
        let email = Identifiers.normaliseEmail(rawEmail)
        if !Identifiers.isValidEmail(email) {
            errors.add("email", "Enter the pharmacy's email address, like pharmacy@example.org")
        }
        let ods = OrganisationRules.normaliseODS(rawODS) ?? ""
        struct Pharmacy: Decodable {
            let id: UUID
            let region: String?
        }
        var pharmacy: Pharmacy?
        if !OrganisationRules.isValidODS(ods) {
            errors.add("odsCode", "Enter the pharmacy's ODS code, like FA123")
        } else {
            pharmacy = try await req.sql.raw(
                """
                SELECT id, region FROM organisations
                WHERE ods_code = \(bind: ods) AND type = \(bind: OrganisationType.communityPharmacy.rawValue)
                """
            ).firstRow(Pharmacy.self)
            let regions = Set(principal.grants.filter { $0.role == .regionalPharmacyTeam }.compactMap(\.region))
            if pharmacy == nil {
                errors.add("odsCode", "No community pharmacy on record has the ODS code \(ods)")
            } else if !principal.has(.nationalAdmin), !principal.has(.pharmacyAdminTeam),
                !regions.contains(pharmacy?.region ?? "")
            {
                errors.add("odsCode", "\(ods) is not in your region")
            }
        }
        try errors.throwIfAny()
        let id = UUID()
        let now = req.now
        let key = req.settings.sessionSecret
        let context = req.auditContext
        let organisation = pharmacy?.id
        try await req.inTransaction { sql in
            try await sql.insert(
                into: "invitations",
                row: [
                    "id": id, "kind": "registration", "email": email, "organisation_id": organisation,
                    "programme": programme, "ods_code": ods, "created_by_id": principal.accountID,
                    "token_hash": SecretHash.sha256Hex(InvitationMessageJob.token(for: id, key: key)),
                    "expires_at": now.addingTimeInterval(registrationLifetime), "created_at": now,
                ]
            )
            .run()
            try await AuditLog.record(
                AuditEntry(
                    "invitation.create", target: "invitation", id: id.uuidString, before: [String: String]?.none,
                    after: ["kind": "registration", "programme": programme, "odsCode": ods]),
                context: context, at: now, on: sql)
            try await JobRunner.enqueue(
                InvitationMessageJob.kind, payload: InvitationMessageJob.payload(invitation: id), runAt: now, on: sql)
        }
    }
}
