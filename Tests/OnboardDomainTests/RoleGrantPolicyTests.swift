import Testing

@testable import OnboardDomain

@Suite("Role grant policy")
struct RoleGrantPolicyTests {
    @Test("Nobody changes their own roles, not even a national administrator")
    func ownAccountRefused() {
        #expect(
            RoleGrantPolicy.check(
                actorRoles: [.nationalAdmin], actorIsTarget: true, targetRoles: [.nationalAdmin], role: .user)
                == .ownAccount)
    }

    @Test("A role higher than your own cannot be granted")
    func higherThanYours() {
        #expect(
            RoleGrantPolicy.check(
                actorRoles: [.localAdmin], actorIsTarget: false, targetRoles: [], role: .nationalAdmin)
                == .higherThanYours)
    }

    @Test("A person who outranks you cannot be changed")
    func targetOutranks() {
        #expect(
            RoleGrantPolicy.check(
                actorRoles: [.localAdmin], actorIsTarget: false, targetRoles: [.regionalContact],
                role: .organisationAdmin) == .targetOutranksYou)
    }

    @Test("A Local Administrator may grant organisation administrator only")
    func localAdminGrantsOrganisationAdminOnly() {
        #expect(RoleGrantPolicy.grantable(by: [.localAdmin]) == [.organisationAdmin])
        #expect(
            RoleGrantPolicy.check(
                actorRoles: [.localAdmin], actorIsTarget: false, targetRoles: [.user], role: .organisationAdmin)
                == nil)
        #expect(
            RoleGrantPolicy.check(actorRoles: [.localAdmin], actorIsTarget: false, targetRoles: [], role: .localAdmin)
                == .notAllowed)
        #expect(
            RoleGrantPolicy.check(actorRoles: [.localAdmin], actorIsTarget: false, targetRoles: [], role: .superUser)
                == .notAllowed)
    }

    @Test("A national administrator may grant any role to someone else", arguments: Role.allCases)
    func nationalGrantsAny(role: Role) {
        #expect(
            RoleGrantPolicy.check(actorRoles: [.nationalAdmin], actorIsTarget: false, targetRoles: [.user], role: role)
                == nil)
    }

    @Test("Roles with no granting power grant nothing")
    func othersGrantNothing() {
        for role in Role.allCases where role != .nationalAdmin && role != .localAdmin {
            #expect(RoleGrantPolicy.grantable(by: [role]).isEmpty, "\(role) should grant nothing")
        }
        #expect(
            RoleGrantPolicy.check(
                actorRoles: [.implementationSupportManager], actorIsTarget: false, targetRoles: [], role: .user)
                == .notAllowed)
    }

    @Test("Scope kinds follow DOMAIN.md")
    func scopeKinds() {
        #expect(Role.localAdmin.scopeKind == .administeredTree)
        #expect(Role.organisationAdmin.scopeKind == .organisation)
        #expect(Role.regionalContact.needsRegion)
        #expect(!Role.nationalAdmin.needsOrganisation)
        #expect(Role.nationalAdmin == Role.allCases.max())
    }
}
