import Foundation
import OnboardDomain
import SQLKit

/// The one question behind every route, export and search that names an organisation: may this person see
/// it, or run its accounts? Both are the same query over a different scope.
extension Principal {
    enum Reach: Sendable {
        /// Everything the person's grants let them look at.
        case sees
        /// The organisations whose accounts and mailboxes they add and run (not merely help with).
        case manages
        /// Also those where an organisation-admin grant lets them unlock and reset.
        case helps
        /// The organisations administered under grants of these roles.
        case administers(Set<Role>)
    }

    func scope(_ reach: Reach) -> Scope {
        switch reach {
        case .sees: scope
        case .manages: accountScope(includeHelpers: false)
        case .helps: accountScope(includeHelpers: true)
        case .administers(let roles): administering(roles)
        }
    }

    /// The organisation with this id, if it is within `reach`.
    func organisation(_ id: UUID, _ reach: Reach, on sql: any SQLDatabase) async throws -> ManagedOrganisation? {
        try await organisation(where: "o.id = \(bind: id)", reach, on: sql)
    }

    /// The organisation named by its ODS code, or by its id when it has no code yet, if it is within `reach`.
    /// Every form and API call that names an organisation comes through here.
    func organisation(named raw: String?, _ reach: Reach, on sql: any SQLDatabase) async throws
        -> ManagedOrganisation?
    {
        if let id = raw.flatMap(UUID.init(uuidString:)) { return try await organisation(id, reach, on: sql) }
        guard let ods = raw.flatMap(OrganisationRules.normaliseODS) else { return nil }
        return try await organisation(where: "o.ods_code = \(bind: ods)", reach, on: sql)
    }

    private func organisation(where condition: SQLQueryString, _ reach: Reach, on sql: any SQLDatabase)
        async throws -> ManagedOrganisation?
    {
        let scope = scope(reach)
        // Nothing to look in: no query.
        if !scope.national, scope.treeRoots.isEmpty, scope.singles.isEmpty, scope.regions.isEmpty,
            !scope.allPharmacies
        {
            return nil
        }
        return try await sql.raw(
            """
            SELECT o.id, o.name FROM organisations o
            WHERE \(condition) AND \(scope.contains(SQLColumn("id", table: "o"), walk: .up))
            """
        ).firstRow(ManagedOrganisation.self)
    }

    func canSee(organisation id: UUID, on sql: any SQLDatabase) async throws -> Bool {
        try await organisation(id, .sees, on: sql) != nil
    }

    func canManage(organisation id: UUID, on sql: any SQLDatabase) async throws -> Bool {
        try await organisation(id, .manages, on: sql) != nil
    }

    func reaches(organisation id: UUID, _ reach: Reach, on sql: any SQLDatabase) async throws -> Bool {
        try await organisation(id, reach, on: sql) != nil
    }

    /// The organisation this person creates accounts and mailboxes in, named as a form or the API names it.
    func managedOrganisation(ods raw: String?, on sql: any SQLDatabase) async throws -> ManagedOrganisation? {
        try await organisation(named: raw, .manages, on: sql)
    }
}

/// An organisation found through the scope query: its id and name.
struct ManagedOrganisation: Decodable, Sendable {
    let id: UUID
    let name: String
}
