import Foundation
import OnboardDomain
import SQLKit
import Vapor

extension Principal {
    /// The organisations whose accounts this person manages: LA and super-user trees, national reach, and
    /// (when `includeHelpers`) the single organisations of organisation-admin grants. Never merely one's own.
    func accountScope(includeHelpers: Bool) -> Scope {
        var scope = Scope(administering: [])
        scope.within = narrowedTo
        for grant in grants {
            switch grant.role {
            case .nationalAdmin: scope.national = true
            case .localAdmin, .superUser: if let id = grant.organisationID { scope.treeRoots.append(id) }
            case .organisationAdmin where includeHelpers: if let id = grant.organisationID { scope.singles.append(id) }
            default: break
            }
        }
        return scope
    }

    var hasAccountScope: Bool {
        let scope = accountScope(includeHelpers: true)
        return scope.national || !scope.treeRoots.isEmpty || !scope.singles.isEmpty
    }

    /// The actions this person may take on an account, given the account's own top role: nobody manages
    /// an equal or higher role, and organisation admins only unlock and reset.
    func allowedActions(targetTopRole: Role, inFullScope: Bool) -> Set<AccountAction> {
        guard targetTopRole < topRole || has(.nationalAdmin) && targetTopRole != .nationalAdmin else { return [] }
        let helper: Set<AccountAction> = [.unlock, .reset]
        return inFullScope ? Set(AccountAction.allCases) : helper
    }
}

extension Request {
    /// An account the caller manages, with what they may do to it, or 404.
    func managedAccount(_ id: UUID?, for principal: Principal) async throws -> (AccountSummary, Set<AccountAction>) {
        let managed = try await managedAccountInFull(id, for: principal)
        return (managed.account, managed.allowed)
    }

    /// The same, with what the checks found on the way, for a page that shows them.
    func managedAccountInFull(_ id: UUID?, for principal: Principal) async throws -> ManagedAccount {
        guard let id, let account = try await AccountStore.summary(id, on: sql) else { throw Abort(.notFound) }
        let full = try await principal.reaches(organisation: account.organisationID, .manages, on: sql)
        let helping = try await full ? true : principal.reaches(organisation: account.organisationID, .helps, on: sql)
        guard helping else { throw Abort(.notFound) }
        let targetRoles = try await PrincipalLoader.roles(of: account.id, on: sql)
        let allowed = principal.allowedActions(targetTopRole: targetRoles.max() ?? .user, inFullScope: full)
        return ManagedAccount(
            account: account, allowed: account.id == principal.accountID ? [] : allowed, roles: targetRoles,
            inFullScope: full)
    }
}

/// An account the caller manages: what they may do to it, its roles, and whether it is in their full
/// scope (they run its organisation) or only one they help with.
struct ManagedAccount {
    let account: AccountSummary
    let allowed: Set<AccountAction>
    let roles: Set<Role>
    let inFullScope: Bool
}
