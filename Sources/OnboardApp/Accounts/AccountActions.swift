import Foundation
import OnboardDomain
import SQLKit

/// The one dispatch of an account's actions, for its page and the API alike. The caller has checked that
/// the action is allowed on this account; this runs it in the caller's transaction.
enum AccountActions {
    struct Options: Sendable {
        /// Activation by text message rather than by a call (send-code).
        var automated = false
        /// Give organisation admin rights rather than take them away (admin-rights).
        var grant = false
    }

    /// The actions the API offers: those that need no conversation with the person (a call, a code read
    /// back) and no choice the API does not carry.
    static let overAPI: Set<AccountAction> = [
        .unlock, .reset, .leaver, .disable, .enable, .reissue, .resetAuthenticator, .restore,
    ]

    static func perform(
        _ action: AccountAction, on account: AccountSummary, options: Options, actor: UUID, context: AuditContext,
        now: Date, on sql: any SQLDatabase
    ) async throws {
        switch action {
        case .sendCode:
            guard account.accountState == .pendingActivation else {
                throw AccountService.refuse("action", "This account is already activated")
            }
            if options.automated {
                try await AccountService.checkTextCaps(
                    account: account.id, mobile: account.mobile ?? "", client: context.clientAddress, now: now, on: sql)
                try await sql.raw("UPDATE accounts SET activation_method = 'automated' WHERE id = \(bind: account.id)")
                    .run()
                try await AccountService.startAutomatedActivation(
                    CreatedAccount(id: account.id, address: account.address, displayName: account.displayName ?? ""),
                    mobile: account.mobile ?? "", name: account.givenName, organisation: account.organisationName,
                    notify: actor, context: context, now: now, on: sql)
            } else {
                try await AccountService.sendAssistedCode(account: account, context: context, now: now, on: sql)
            }
        case .unlock: try await AccountService.unlock(account, context: context, now: now, on: sql)
        case .reset: try await AccountService.resetPassword(account, context: context, now: now, on: sql)
        case .leaver: try await AccountService.markLeaver(account, context: context, now: now, on: sql)
        case .disable: try await AccountService.disable(account, context: context, now: now, on: sql)
        case .enable: try await AccountService.enable(account, context: context, now: now, on: sql)
        case .reissue: try await AccountService.reissue(account, context: context, now: now, on: sql)
        case .resetAuthenticator:
            try await AccountService.resetAuthenticator(account, context: context, now: now, on: sql)
        case .adminRights:
            try await AccountService.setAdminRights(
                account, granted: options.grant, by: actor, context: context, now: now, on: sql)
        case .restore: try await AccountService.restore(account, context: context, now: now, on: sql)
        case .confirmCode:
            // Checked, and its password shown, by the page's own step: nothing to change here.
            break
        }
    }
}

extension AccountActions {
    /// The actions the account page offers for an account in its present state, among those the viewer may
    /// take (`allowed`), in the page's order. `roles` are the account's own: admin rights are offered only to
    /// an active or inactive account that holds no role above organisation admin.
    static func offered(
        for account: AccountSummary, allowed: Set<AccountAction>, roles: Set<Role>, now: Date
    ) -> [AccountAction] {
        let state = account.accountState
        let locked = account.lockedUntil.map { $0 > now } ?? false
        var offered: [AccountAction] = []
        switch state {
        case .active, .locked, .inactive:
            if locked || state == .locked { offered.append(.unlock) }
            offered.append(.reset)
            if account.totpEnrolledAt != nil { offered.append(.resetAuthenticator) }
            offered += [.disable, .leaver]
        case .expired:
            offered.append(.reissue)
        case .disabled:
            offered += [.enable, .leaver]
        case .deleted:
            if let deleted = account.stateChangedAt, now.timeIntervalSince(deleted) < AccountLifecycle.restoreWindow {
                offered.append(.restore)
            }
        case .pendingActivation, .leaver:
            break
        }
        if state == .active || state == .inactive, roles.max() ?? .user <= .organisationAdmin {
            offered.append(.adminRights)
        }
        return offered.filter(allowed.contains)
    }
}
