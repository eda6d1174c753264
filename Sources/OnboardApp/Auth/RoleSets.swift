import OnboardDomain

/// Every set of roles a route, page or API operation allows, in one place. Each set only opens the door:
/// the records behind it are then checked against the caller's scope.
extension Set where Element == Role {
    static let everyone = Set(Role.allCases)
    static let national: Self = [.nationalAdmin]
    /// Those who look after organisations and their people.
    static let administrators: Self = [
        .nationalAdmin, .localAdmin, .regionalContact, .regionalPharmacyTeam, .superUser, .pharmacyAdminTeam,
        .implementationSupportManager,
    ]
    static let roleGranters: Self = [.nationalAdmin, .localAdmin]
    /// Those who create accounts and run their lifecycle.
    static let accountAdministrators: Self = [.nationalAdmin, .localAdmin, .superUser]
    /// Also organisation admins, who may only unlock and reset in their own organisation.
    static let accountHelpers: Self = [.nationalAdmin, .localAdmin, .superUser, .organisationAdmin]
    /// Those who send or apply bulk registration sheets.
    static let bulkUsers: Self = [.nationalAdmin, .localAdmin, .superUser, .pharmacyAdminTeam]
    /// Those who review applications; each sees only the kinds and places their grants cover.
    static let reviewers: Self = [
        .nationalAdmin, .localAdmin, .regionalContact, .regionalPharmacyTeam, .pharmacyAdminTeam,
    ]
    /// Those who run pharmacy programmes: waiting lists, cohorts and registration links.
    static let programmeManagers: Self = [.nationalAdmin, .pharmacyAdminTeam, .regionalPharmacyTeam]
    /// Those who add cohorts to a programme and release them from its waiting list.
    static let cohortReleasers: Self = [.nationalAdmin, .pharmacyAdminTeam]
    /// A pharmacy multiple's super user, who signs the data sharing agreement for its sheets.
    static let superUsers: Self = [.superUser]
    /// Who may work on migration projects at all; each project is then checked against the caller.
    static let migrationUsers: Self = [.nationalAdmin, .localAdmin, .implementationSupportManager]
    /// Who assigns an implementation support manager to a migration: national administrators and the
    /// organisation's LAs.
    static let ismAssigners: Self = [.nationalAdmin, .localAdmin]
    /// Who may search the audit log: national administrators everything, Local Administrators the events of
    /// the organisations they administer.
    static let auditReaders: Self = [.nationalAdmin, .localAdmin]
    /// National administrators see reports for everything; Local Administrators and regional teams for
    /// what is in their scope.
    static let reportReaders: Self = [.nationalAdmin, .localAdmin, .regionalContact, .regionalPharmacyTeam]
}
