import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// One live role grant, as the authorisation layer needs it.
struct Grant: Sendable, Equatable {
    let id: UUID
    let role: Role
    let organisationID: UUID?
    let region: String?
}

/// Who is calling: a signed-in person (page) or a token holder (API).
struct Principal: Sendable {
    let accountID: UUID
    let name: String
    let organisationID: UUID
    let organisationName: String
    var grants: [Grant]
    /// The web session, when signed in through a browser.
    let sessionID: UUID?
    /// The API token the call came with, and how it narrows the holder's current roles.
    var tokenID: UUID?
    var readOnly = false
    var narrowedTo: UUID?

    var roles: Set<Role> { Set(grants.map(\.role)).union([.user]) }
    var topRole: Role { roles.max() ?? .user }
    func has(_ role: Role) -> Bool { roles.contains(role) }
    func hasAny(_ wanted: Set<Role>) -> Bool { !roles.isDisjoint(with: wanted) }

    var scope: Scope {
        var scope = Scope(grants: grants)
        scope.within = narrowedTo
        return scope
    }

    /// National reach not narrowed by a token: oversight pages then skip the scope conditions entirely.
    var seesEverything: Bool { has(.nationalAdmin) && narrowedTo == nil }

    /// The trees of the organisations this person holds the given roles for, narrowed as the token says.
    func administering(_ roles: Set<Role>) -> Scope {
        var scope = Scope(administering: grants.filter { roles.contains($0.role) }.compactMap(\.organisationID))
        scope.within = narrowedTo
        return scope
    }

    /// Text for the audit log's "scope" column.
    var scopeSummary: String {
        grants.map { grant in
            [grant.role.rawValue, grant.organisationID?.uuidString, grant.region].compactMap { $0 }.joined(
                separator: ":")
        }.joined(separator: ",")
    }
}

/// The organisations a principal may see, as SQL. Computed by the database, never by loading the hierarchy.
struct Scope: Sendable, Equatable {
    var national = false
    var treeRoots: [UUID] = []
    var singles: [UUID] = []
    var regions: [String] = []
    var allPharmacies = false
    /// An API token narrowed to one organisation: only it and the organisations below it, within the rest.
    var within: UUID?

    /// Only the trees of the given administering organisations: no own organisation, regions or national reach.
    init(administering roots: [UUID]) {
        treeRoots = roots
    }

    /// What the grants reach. A person's own organisation is not in it by being theirs: a regional contact
    /// whose account sits in the national team's organisation sees their region, not the national team's people.
    /// Only a grant bound to the organisation (or a tree above it) brings it in.
    init(grants: [Grant]) {
        for grant in grants {
            switch grant.role.scopeKind {
            case .national: national = true
            case .administeredTree: if let id = grant.organisationID { treeRoots.append(id) }
            case .organisation: if let id = grant.organisationID { singles.append(id) }
            case .region: if let region = grant.region { regions.append(region) }
            case .allPharmacies: allPharmacies = true
            }
        }
    }

    /// How the administered tree is searched. Lists walk down from the granted organisations once; a check
    /// of one known row walks up from it instead, which costs the hierarchy's depth, not the scope's size
    /// (docs/benchmarks.md).
    enum Walk {
        case down
        case up
    }

    /// True where `column` (an organisation id) is within scope.
    func contains(_ column: SQLColumn, walk: Walk = .down) -> SQLQueryString {
        guard let within else { return reach(column, walk: walk) }
        return """
            (\(reach(column, walk: walk)) AND \(column) IN (WITH RECURSIVE narrowed(id) AS (
                SELECT id FROM organisations WHERE id = \(bind: within)
                UNION
                SELECT c.id FROM organisations c JOIN narrowed t ON c.parent_id = t.id OR c.administered_by_id = t.id
            ) SELECT id FROM narrowed))
            """
    }

    private func reach(_ column: SQLColumn, walk: Walk) -> SQLQueryString {
        if national { return "1 = 1" }
        var clauses: [SQLQueryString] = []
        if !treeRoots.isEmpty, walk == .up {
            clauses.append(
                """
                (\(column) IN (\(binds: treeRoots)) OR EXISTS (WITH RECURSIVE up(id) AS (
                    SELECT \(column)
                    UNION
                    SELECT CASE e.k WHEN 1 THEN u.parent_id ELSE u.administered_by_id END
                    FROM up JOIN organisations u ON u.id = up.id CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2) e
                    WHERE CASE e.k WHEN 1 THEN u.parent_id ELSE u.administered_by_id END IS NOT NULL
                ) SELECT 1 FROM up WHERE up.id IN (\(binds: treeRoots))))
                """)
        } else if !treeRoots.isEmpty {
            clauses.append(
                """
                \(column) IN (WITH RECURSIVE tree(id) AS (
                    SELECT id FROM organisations WHERE id IN (\(binds: treeRoots))
                    UNION
                    SELECT c.id FROM organisations c JOIN tree t ON c.parent_id = t.id OR c.administered_by_id = t.id
                ) SELECT id FROM tree)
                """)
        }
        if !singles.isEmpty {
            clauses.append("\(column) IN (\(binds: singles))")
        }
        if !regions.isEmpty {
            clauses.append(
                "\(column) IN (SELECT id FROM organisations WHERE region IN (\(binds: regions)))")
        }
        if allPharmacies {
            let types = [OrganisationType.communityPharmacy.rawValue, OrganisationType.pharmacyHeadOffice.rawValue]
            clauses.append("\(column) IN (SELECT id FROM organisations WHERE type IN (\(binds: types)))")
        }
        // Deny by default: no grant, no organisation.
        guard !clauses.isEmpty else { return "1 = 0" }
        var combined: SQLQueryString = "("
        for (index, clause) in clauses.enumerated() {
            if index > 0 { combined.appendLiteral(" OR ") }
            combined.appendInterpolation(clause)
        }
        combined.appendLiteral(")")
        return combined
    }
}

extension Request {
    private struct PrincipalKey: StorageKey { typealias Value = Principal }

    var principal: Principal? {
        get { storage[PrincipalKey.self] }
        set { storage[PrincipalKey.self] = newValue }
    }

    /// The caller, or 401: a route that reaches this without one is misconfigured or anonymous.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw Abort(.unauthorized) }
        return principal
    }

    var sql: any SQLDatabase { db as! any SQLDatabase }
}

enum PrincipalLoader {
    /// Loads an active account's live grants. Nil when the account cannot act.
    static func load(accountID: UUID, sessionID: UUID?, on db: any SQLDatabase) async throws -> Principal? {
        // One query for the account and its live grants (a row per grant, or one row with none): every page
        // and API call pays for this, so it is one round trip, not two.
        let rows = try await db.raw(
            """
            SELECT \(unsafeRaw: columns)
            FROM accounts a JOIN people p ON p.id = a.person_id
            LEFT JOIN role_grants g ON g.account_id = a.id AND g.revoked_at IS NULL
            WHERE a.id = \(bind: accountID)
            """
        ).rows(Row.self)
        return principal(accountID: accountID, sessionID: sessionID, rows: rows)
    }

    /// The select list of `Row`, over `a` (accounts), `p` (people) and `g` (a left join of live role
    /// grants). The organisation's name is a subquery rather than a fourth join: PostgreSQL plans every
    /// statement afresh, and searching the join orders of five tables (with a token's) cost more than
    /// running it (0.49 against 0.36 ms a token check, measured with pgbench).
    static let columns = """
        p.given_name, p.family_name, a.organisation_id,
        (SELECT name FROM organisations WHERE id = a.organisation_id) AS organisation_name, a.state,
        g.id AS grant_id, g.role, g.organisation_id AS grant_organisation_id, g.region
        """

    /// One row of `columns`: the account, and one live grant or none.
    struct Row: Decodable {
        let givenName: String
        let familyName: String
        let organisationID: UUID
        let organisationName: String
        let state: String
        let grantID: UUID?
        let role: String?
        let grantOrganisationID: UUID?
        let region: String?
    }

    /// The principal those rows describe, or nil when the account cannot act.
    static func principal(accountID: UUID, sessionID: UUID?, rows: [Row]) -> Principal? {
        guard let row = rows.first, row.state == Account.State.active.rawValue else { return nil }
        let grants = rows.compactMap { row -> Grant? in
            guard let id = row.grantID, let role = row.role.flatMap(Role.init(rawValue:)) else { return nil }
            return Grant(id: id, role: role, organisationID: row.grantOrganisationID, region: row.region)
        }
        return Principal(
            accountID: accountID, name: "\(row.givenName) \(row.familyName)", organisationID: row.organisationID,
            organisationName: row.organisationName, grants: grants, sessionID: sessionID)
    }
}

extension PrincipalLoader {
    /// An account's live roles, ordinary user included.
    static func roles(of account: UUID, on db: any SQLDatabase) async throws -> Set<Role> {
        struct Row: Decodable { let role: String }
        let rows = try await db.raw(
            "SELECT role FROM role_grants WHERE account_id = \(bind: account) AND revoked_at IS NULL"
        ).rows(Row.self)
        return Set(rows.compactMap { Role(rawValue: $0.role) }).union([.user])
    }
}
