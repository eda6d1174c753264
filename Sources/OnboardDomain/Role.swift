/// The staff roles of DOMAIN.md. Applicants have no account and so no role.
public enum Role: String, CaseIterable, Sendable, Codable, Comparable {
    case user
    case organisationAdmin = "organisation_admin"
    case localAdmin = "local_admin"
    case regionalContact = "regional_contact"
    case regionalPharmacyTeam = "regional_pharmacy_team"
    case superUser = "super_user"
    case pharmacyAdminTeam = "pharmacy_admin_team"
    case implementationSupportManager = "implementation_support_manager"
    case nationalAdmin = "national_admin"

    /// What a grant of this role is scoped to.
    public enum ScopeKind: Sendable {
        /// The organisation of the grant only.
        case organisation
        /// The organisation of the grant and everything it administers, transitively.
        case administeredTree
        /// One NHS England region.
        case region
        /// Every community pharmacy and pharmacy head office.
        case allPharmacies
        /// Everything.
        case national
    }

    public var scopeKind: ScopeKind {
        switch self {
        case .user, .organisationAdmin: .organisation
        case .localAdmin, .superUser, .implementationSupportManager: .administeredTree
        case .regionalContact, .regionalPharmacyTeam: .region
        case .pharmacyAdminTeam: .allPharmacies
        case .nationalAdmin: .national
        }
    }

    /// Seniority, for "nobody acts on an account holding a higher role than their own".
    /// Regional and national teams outrank local administration; the national administrator outranks all.
    public var rank: Int {
        switch self {
        case .user: 0
        case .organisationAdmin: 1
        case .superUser: 2
        case .localAdmin: 3
        case .implementationSupportManager: 3
        case .regionalContact, .regionalPharmacyTeam: 4
        case .pharmacyAdminTeam: 4
        case .nationalAdmin: 5
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    public var displayName: String {
        switch self {
        case .user: "User"
        case .organisationAdmin: "Organisation administrator"
        case .localAdmin: "Local Administrator"
        case .regionalContact: "Regional contact"
        case .regionalPharmacyTeam: "Regional pharmacy team"
        case .superUser: "Super user (pharmacy multiple)"
        case .pharmacyAdminTeam: "Pharmacy administration team"
        case .implementationSupportManager: "Implementation support manager"
        case .nationalAdmin: "National administrator"
        }
    }

    public var needsOrganisation: Bool {
        switch scopeKind {
        case .organisation, .administeredTree: true
        case .region, .allPharmacies, .national: false
        }
    }

    public var needsRegion: Bool { scopeKind == .region }
}

/// Who may grant or revoke which role, for whom.
public enum RoleGrantPolicy {
    public enum Refusal: Error, Equatable, Sendable {
        case ownAccount
        case higherThanYours
        case targetOutranksYou
        case notAllowed

        public var message: String {
            switch self {
            case .ownAccount: "You cannot change your own roles. Ask another administrator."
            case .higherThanYours: "You cannot grant or revoke a role higher than your own."
            case .targetOutranksYou: "This person holds a higher role than yours, so you cannot change their roles."
            case .notAllowed: "Your role does not allow you to grant or revoke this role."
            }
        }
    }

    /// Roles an actor may grant: national administrators any; Local Administrators only organisation admin
    /// (the "admin rights" of the source) within their scope.
    public static func grantable(by actorRoles: Set<Role>) -> [Role] {
        if actorRoles.contains(.nationalAdmin) { return Role.allCases }
        if actorRoles.contains(.localAdmin) { return [.organisationAdmin] }
        return []
    }

    public static func check(
        actorRoles: Set<Role>,
        actorIsTarget: Bool,
        targetRoles: Set<Role>,
        role: Role
    ) -> Refusal? {
        if actorIsTarget { return .ownAccount }
        let actorTop = actorRoles.max() ?? .user
        if role > actorTop { return .higherThanYours }
        if let targetTop = targetRoles.max(), targetTop > actorTop { return .targetOutranksYou }
        if !grantable(by: actorRoles).contains(role) { return .notAllowed }
        return nil
    }
}
