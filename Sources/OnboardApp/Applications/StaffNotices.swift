import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Tells staff, by email, when an application arrives in their queue: sent to them, passed to their Local
/// Administrators, or answered by the applicant. A job of its own, so a decision commits even when sending is
/// slow; each recipient's message goes once its send succeeds (a retry may repeat one, never skip one). The
/// message names the application by type and reference only, and links to it.
enum StaffNoticeJob {
    static let kind = "applications.staff_notice"

    /// The events that put an application in someone's queue.
    static func notifies(_ action: ApplicationAction) -> Bool {
        action == .submit || action == .passToLA || action == .reply
    }

    static func payload(event: UUID) -> String { ApplicationEventJob.payload(event: event) }

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        guard let (event, row) = try await ApplicationEventJob.load(job, on: sql) else { return }
        let kind = row.applicationKind
        let passed = event.action == ApplicationAction.passToLA.rawValue
        let link = app.settings.publicURL + SiteURL.application(row.id).path
        let what = "\(kind.displayName) application \(row.reference)"
        let subject: String
        if passed {
            subject = "\(what) has been passed to you"
        } else if event.action == ApplicationAction.reply.rawValue {
            subject = "The applicant has replied: \(what)"
        } else {
            subject = "\(what) is waiting for you"
        }
        let body = """
            \(subject).
            It is waiting for a decision from you or your team. Open it to review it (you will be asked to sign in):
            \(link)
            """
        for address in try await recipients(for: row, passed: passed, on: sql) {
            try await app.dependencies.messages.send(
                OutboundMessage(to: address, subject: subject, body: body, sentAt: app.clock.now()))
        }
    }

    /// Active accounts whose role decides this application now.
    static func recipients(for row: ApplicationRow, passed: Bool, on sql: any SQLDatabase) async throws -> [String] {
        struct Row: Decodable { let address: String }
        let active = AccountState.active.rawValue
        func holders(_ role: Role, condition: SQLQueryString) async throws -> [String] {
            try await sql.raw(
                """
                SELECT DISTINCT a.address FROM role_grants g JOIN accounts a ON a.id = g.account_id
                WHERE g.role = \(bind: role.rawValue) AND g.revoked_at IS NULL AND a.state = \(bind: active)
                    AND \(condition)
                ORDER BY a.address
                """
            ).rows(Row.self).map(\.address)
        }
        /// LAs bound to `organisation` or to an organisation above it (by parent or administration).
        func localAdmins(of organisation: UUID) async throws -> [String] {
            try await holders(
                .localAdmin,
                condition: """
                    g.organisation_id IN (
                        WITH RECURSIVE up(id) AS (
                            SELECT \(bind: organisation)
                            UNION
                            SELECT CASE e.k WHEN 1 THEN u.parent_id ELSE u.administered_by_id END
                            FROM up JOIN organisations u ON u.id = up.id CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2) e
                            WHERE CASE e.k WHEN 1 THEN u.parent_id ELSE u.administered_by_id END IS NOT NULL
                        )
                        SELECT id FROM up)
                    """)
        }
        if passed || row.applicationState == .passedToLA, let assigned = row.assignedOrganisationID {
            return try await localAdmins(of: assigned)
        }
        let region = row.region ?? ""
        switch row.applicationKind.reviewer {
        case .nationalAdmin: return try await holders(.nationalAdmin, condition: "1 = 1")
        case .regionalContact: return try await holders(.regionalContact, condition: "g.region = \(bind: region)")
        case .pharmacyTeam:
            let regional = try await holders(.regionalPharmacyTeam, condition: "g.region = \(bind: region)")
            return regional.isEmpty ? try await holders(.pharmacyAdminTeam, condition: "1 = 1") : regional
        case .localAdmin:
            guard let commissioner = row.commissionerID ?? row.organisationID else { return [] }
            return try await localAdmins(of: commissioner)
        case .applicant: return []
        }
    }
}
