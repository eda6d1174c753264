import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// An approved application's invitation becomes an account: a national administrator phones the person,
/// adds the account from the invitation's details, and the account gets the invited role.
enum Invitations {
    struct Pending: Sendable {
        let id: UUID
        let role: Role
        let name: String?
        let organisationID: UUID
        let odsCode: String?
        let mobile: String?
        /// The approved application that asked for this person, which their account completes.
        let applicationID: UUID?
    }

    static func pending(_ id: UUID, for principal: Principal, on sql: any SQLDatabase) async throws -> Pending? {
        struct Row: Decodable {
            let id: UUID
            let kind: String
            let name: String?
            let email: String
            let organisationID: UUID
            let odsCode: String?
            let applicantEmail: String?
            let answers: String?
            let applicationID: UUID?
        }
        guard
            let row = try await sql.raw(
                """
                SELECT i.id, i.kind, i.name, i.email, i.organisation_id, o.ods_code, a.applicant_email, a.answers,
                    i.application_id
                FROM invitations i JOIN organisations o ON o.id = i.organisation_id
                LEFT JOIN applications a ON a.id = i.application_id
                WHERE i.id = \(bind: id) AND i.used_at IS NULL AND i.kind IN ('local_admin', 'super_user')
                """
            ).firstRow(Row.self),
            let role = Role(rawValue: row.kind),
            try await principal.canManage(organisation: row.organisationID, on: sql)
        else { return nil }
        // The applicant's own mobile, when the applicant is the person invited.
        var mobile: String?
        if row.applicantEmail?.lowercased() == row.email.lowercased(), let answers = row.answers,
            let map = try? JSONDecoder().decode([String: String].self, from: Data(answers.utf8))
        {
            mobile = map["mobile"]
        }
        return Pending(
            id: row.id, role: role, name: row.name, organisationID: row.organisationID, odsCode: row.odsCode,
            mobile: mobile, applicationID: row.applicationID)
    }

    /// Spends the invitation (once) and grants its role over its organisation to the new account.
    /// An approved application whose first Local Administrator (or super user) now has an account is completed:
    /// what it asked for exists, and the applicant is told.
    static func accept(
        _ invitation: Pending, account: UUID, by actor: UUID, actorName: String, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws {
        let spent = try await sql.raw(
            "UPDATE invitations SET used_at = \(bind: now) WHERE id = \(bind: invitation.id) AND used_at IS NULL RETURNING id"
        ).first()
        guard spent != nil else {
            throw AccountService.refuse("invitation", "This invitation has been used already")
        }
        try await sql.insert(
            into: "role_grants",
            row: [
                "id": UUID(), "account_id": account, "role": invitation.role.rawValue,
                "organisation_id": invitation.organisationID, "granted_by_id": actor, "granted_at": now,
            ]
        ).run()
        try await AuditLog.record(
            AuditEntry(
                "invitation.accept", target: "invitation", id: invitation.id.uuidString, before: [String: String]?.none,
                after: ["account": account.uuidString, "role": invitation.role.rawValue]),
            context: context, at: now, on: sql)
        guard let application = invitation.applicationID,
            let row = try await ApplicationStore.load(id: application, on: sql),
            row.applicationState == .approved
        else { return }
        try await sql.raw(
            """
            UPDATE applications SET state = \(bind: ApplicationState.completed.rawValue),
                created_account_id = COALESCE(created_account_id, \(bind: account)), updated_at = \(bind: now)
            WHERE id = \(bind: row.id) AND state = \(bind: ApplicationState.approved.rawValue)
            """
        ).run()
        try await ApplicationService.recordEvent(
            row, action: .complete, from: .approved, to: .completed,
            reason: "The account of \(invitation.name ?? "your first administrator") has been set up.",
            actor: actorName, actorAccount: actor, context: context, at: now, on: sql)
    }
}
