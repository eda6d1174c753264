import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// What a reviewer reads beside an application, and the decision step shared by the page and the API.
extension ApplicationService {
    /// Checks that the person may decide this application (it is theirs to review, not merely to see), then
    /// decides. The action and the activation method come as typed; refusals are field errors.
    func decide(
        _ row: ApplicationRow, by principal: Principal, action rawAction: String?, reason: String?, assignee: String?,
        activation rawActivation: String? = nil
    ) async throws -> ApplicationRow {
        var errors = ValidationErrors()
        guard let action = rawAction.flatMap(ApplicationAction.init(rawValue:)) else {
            errors.add("action", "Select what you want to do with this application")
            throw errors
        }
        guard let reviewer = try await ApplicationStore.reviewer(principal, for: row, on: req.sql) else {
            errors.add("action", "You can see this application, but the decision belongs to someone else")
            throw errors
        }
        var activation = ActivationMethod.automated
        if let raw = rawActivation?.nilIfEmpty {
            guard let chosen = ActivationMethod(rawValue: raw) else {
                errors.add("activation", "Select how the account is activated")
                throw errors
            }
            activation = chosen
        }
        return try await decide(
            row,
            .init(
                action: action, reason: reason, assignee: assignee.flatMap(UUID.init(uuidString:)),
                activation: activation),
            as: reviewer, actorLabel: "\(principal.name) (\(principal.topRole.displayName))",
            account: principal.accountID)
    }
}

extension ApplicationStore {
    /// The organisation with this ODS code, open or closed: the API names the Local Administrators an
    /// application is passed to by their organisation's code.
    static func organisationID(ods: String, on sql: any SQLDatabase) async throws -> UUID? {
        struct Row: Decodable { let id: UUID }
        return try await sql.raw("SELECT id FROM organisations WHERE ods_code = \(bind: ods)").firstRow(Row.self)?.id
    }

    /// The name of the organisation whose Local Administrators the application was passed to.
    static func assignedOrganisationName(_ row: ApplicationRow, on sql: any SQLDatabase) async throws -> String? {
        guard let id = row.assignedOrganisationID else { return nil }
        struct Named: Decodable { let name: String }
        return try await sql.raw("SELECT name FROM organisations WHERE id = \(bind: id)").firstRow(Named.self)?.name
    }
}

extension Invitations {
    /// After approval, the invitation of the application's first Local Administrator (or super user) that no
    /// account has used yet. National administrators set up that account, so only they are shown it.
    static func awaitingAccount(for row: ApplicationRow, principal: Principal, on sql: any SQLDatabase) async throws
        -> UUID?
    {
        guard principal.has(.nationalAdmin) else { return nil }
        struct Invitation: Decodable { let id: UUID }
        return try await sql.raw(
            """
            SELECT id FROM invitations WHERE application_id = \(bind: row.id) AND used_at IS NULL
              AND kind IN ('local_admin', 'super_user') AND organisation_id IS NOT NULL
            """
        ).firstRow(Invitation.self)?.id
    }
}
