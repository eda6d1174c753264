import Foundation

/// An account's states (DOMAIN.md, "Accounts"), as one transition table.
public enum AccountState: String, CaseIterable, Sendable, Codable {
    case pendingActivation = "pending_activation"
    case active, locked, expired, leaver, inactive, disabled, deleted
}

public enum AccountEvent: String, CaseIterable, Sendable, Codable {
    /// The user read back the code (or entered it) and set a password.
    case activate
    /// The temporary password lapsed before activation.
    case expire
    /// The LA issues a new temporary password.
    case reissue
    /// Too many failed sign-ins.
    case lock
    case unlock
    /// Left the organisation: rights, memberships, sessions and tokens go.
    case markLeaver = "mark_leaver"
    /// Another organisation's LA accepts a leaver within 30 days, keeping the address.
    case acceptJoiner = "accept_joiner"
    /// No activity for 30 days.
    case becomeInactive = "become_inactive"
    /// Activity again: a sign-in or a mail login.
    case resume
    /// Long leave, up to 18 months.
    case disable
    case enable
    /// After 30 more days as an unclaimed leaver or inactive.
    case delete
    /// Within 30 days of deletion.
    case restore
}

public enum AccountLifecycle {
    public static let joinerWindow: TimeInterval = 30 * 86400
    public static let inactivityLimit: TimeInterval = 30 * 86400
    public static let deletionAfter: TimeInterval = 30 * 86400
    public static let restoreWindow: TimeInterval = 30 * 86400

    /// The state after `event`, or nil when the event does not apply in `state`.
    public static func next(_ state: AccountState, on event: AccountEvent) -> AccountState? {
        switch (state, event) {
        case (.pendingActivation, .activate): .active
        case (.pendingActivation, .expire): .expired
        case (.expired, .reissue): .pendingActivation
        case (.active, .lock): .locked
        case (.locked, .unlock): .active
        case (.active, .markLeaver), (.locked, .markLeaver), (.inactive, .markLeaver), (.disabled, .markLeaver):
            .leaver
        case (.leaver, .acceptJoiner): .active
        case (.active, .becomeInactive): .inactive
        case (.inactive, .resume): .active
        case (.active, .disable), (.inactive, .disable): .disabled
        case (.disabled, .enable): .active
        case (.leaver, .delete), (.inactive, .delete): .deleted
        case (.deleted, .restore): .inactive
        default: nil
        }
    }

    /// Whether someone in this state may sign in (a locked account first needs unlocking).
    public static func canSignIn(_ state: AccountState) -> Bool {
        state == .active || state == .inactive || state == .pendingActivation
    }
}
