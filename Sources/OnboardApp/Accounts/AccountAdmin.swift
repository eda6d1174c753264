import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// What administrators do to accounts: each in the caller's transaction, audited, and guarded by the state
/// it was read in.
extension AccountService {
    static func refuse(_ field: String, _ message: String) -> ValidationErrors {
        ValidationErrors([FieldError(field: field, message: message)])
    }

    /// Unlock: clears the counters and, for an account in the locked state, moves it back to active.
    static func unlock(_ account: AccountSummary, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws
    {
        try await sql.raw(
            "UPDATE accounts SET failed_sign_ins = 0, lock_count = 0, locked_until = NULL WHERE id = \(bind: account.id)"
        ).run()
        if account.accountState == .locked {
            try await transition(account.id, from: .locked, on: .unlock, context: context, now: now, on: sql)
        } else {
            try await AuditLog.record(
                AuditEntry("account.unlock", target: "account", id: account.id.uuidString), context: context, at: now,
                on: sql)
        }
    }

    /// An administrator's reset: the old password stops working, every session and token ends, and a new
    /// temporary password goes to the person's own phone. The administrator never sees it.
    static func resetPassword(_ account: AccountSummary, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws
    {
        guard [.active, .locked, .inactive].contains(account.accountState) else {
            throw refuse("action", "Only an active or locked account can be reset. This one is \(account.stateLabel)")
        }
        guard let mobile = account.mobile else { throw refuse("mobile", "Add a UK mobile number first") }
        try await checkTextCaps(account: account.id, mobile: mobile, client: context.clientAddress, now: now, on: sql)
        try await unlock(account, context: context, now: now, on: sql)
        try await sql.raw(
            "UPDATE accounts SET password_hash = NULL, code_confirmed_at = COALESCE(code_confirmed_at, \(bind: now)) WHERE id = \(bind: account.id)"
        ).run()
        try await endAccess(account.id, now: now, on: sql)
        try await Outbox.enqueue(
            .credentials, to: mobile, fields: ["address": account.address], secret: .temporaryPassword,
            secretRef: account.id, account: account.id, client: context.clientAddress, now: now, on: sql)
        try await AuditLog.record(
            AuditEntry("account.reset", target: "account", id: account.id.uuidString), context: context, at: now,
            on: sql)
    }

    /// An expired account gets a fresh start: pending again, ready for a new code and temporary password.
    static func reissue(_ account: AccountSummary, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws
    {
        guard account.accountState == .expired else {
            throw refuse("action", "Only an expired account can be re-issued")
        }
        try await sql.raw(
            "UPDATE accounts SET temp_password_hash = NULL, temp_password_expires_at = NULL, code_confirmed_at = NULL WHERE id = \(bind: account.id)"
        ).run()
        try await transition(account.id, from: .expired, on: .reissue, context: context, now: now, on: sql)
    }

    /// Leaving: every role, mailbox membership, session and token goes, and the person is told.
    static func markLeaver(_ account: AccountSummary, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws
    {
        guard
            try await transition(
                account.id, from: account.accountState, on: .markLeaver, context: context, now: now, on: sql)
        else { throw refuse("action", "This account cannot be marked as a leaver while it is \(account.stateLabel)") }
        try await removeOrganisationAccess(account.id, by: context.actorAccountID, now: now, on: sql)
        if let mobile = account.mobile {
            try await Outbox.enqueue(
                .leaver, to: mobile, fields: ["name": account.givenName, "organisation": account.organisationName],
                account: account.id, now: now, on: sql)
        }
    }

    static func removeOrganisationAccess(_ account: UUID, by actor: UUID?, now: Date, on sql: any SQLDatabase)
        async throws
    {
        try await sql.raw(
            """
            UPDATE role_grants SET revoked_at = \(bind: now), revoked_by_id = \(bind: actor)
            WHERE account_id = \(bind: account) AND revoked_at IS NULL
            """
        ).run()
        try await sql.raw("DELETE FROM shared_mailbox_members WHERE account_id = \(bind: account)").run()
        try await endAccess(account, now: now, on: sql)
    }

    /// Another organisation's LA accepts a leaver within the window: same address, new organisation.
    static func acceptJoiner(
        _ account: AccountSummary, into organisation: UUID, windowDays: Int, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws {
        guard account.accountState == .leaver, let left = account.stateChangedAt,
            now.timeIntervalSince(left) < Double(windowDays) * 86400
        else { throw refuse("address", "This person cannot be accepted: they are not a recent leaver") }
        guard account.organisationID != organisation else {
            throw refuse("organisation", "Choose a different organisation from the one they left")
        }
        guard try await AccountStore.igRequirementMet(organisation, on: sql) else {
            throw refuse(
                "organisation",
                "This organisation has not met its information governance requirement, so accounts cannot join it")
        }
        struct Org: Decodable { let name: String }
        guard
            let org = try await sql.raw("SELECT name FROM organisations WHERE id = \(bind: organisation)").firstRow(
                Org.self)
        else { throw Abort(.notFound) }
        let display = AccountNaming.displayName(
            givenName: account.givenName, familyName: account.familyName, organisation: org.name)
        try await sql.raw(
            """
            UPDATE accounts SET organisation_id = \(bind: organisation), display_name = \(bind: display)
            WHERE id = \(bind: account.id)
            """
        ).run()
        try await transition(
            account.id, from: .leaver, on: .acceptJoiner, context: context, now: now,
            reason: "joined \(org.name) from \(account.organisationName)", on: sql)
    }

    static func disable(_ account: AccountSummary, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws
    {
        guard
            try await transition(
                account.id, from: account.accountState, on: .disable, context: context, now: now, on: sql)
        else { throw refuse("action", "This account cannot be disabled while it is \(account.stateLabel)") }
        // The transition to disabled has queued the end of its mail sessions already.
        try await endAccess(account.id, endingMailSessions: false, now: now, on: sql)
    }

    static func enable(_ account: AccountSummary, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws
    {
        guard
            try await transition(
                account.id, from: account.accountState, on: .enable, context: context, now: now, on: sql)
        else { throw refuse("action", "Only a disabled account can be enabled") }
    }

    /// Within 30 days of deletion an account comes back, inactive, with its address; after that it stays gone.
    static func restore(_ account: AccountSummary, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws
    {
        guard account.accountState == .deleted, let deleted = account.stateChangedAt,
            now.timeIntervalSince(deleted) < AccountLifecycle.restoreWindow
        else { throw refuse("action", "Only an account deleted in the last 30 days can be restored") }
        try await transition(account.id, from: .deleted, on: .restore, context: context, now: now, on: sql)
    }

    /// A lost phone: the authenticator and recovery codes go, and the next sign-in sets up a new one.
    static func resetAuthenticator(
        _ account: AccountSummary, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            UPDATE accounts SET totp_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL
            WHERE id = \(bind: account.id)
            """
        ).run()
        try await sql.raw("DELETE FROM recovery_codes WHERE account_id = \(bind: account.id)").run()
        try await endAccess(account.id, now: now, on: sql)
        try await AuditLog.record(
            AuditEntry("account.authenticator_reset", target: "account", id: account.id.uuidString),
            context: context, at: now, on: sql)
    }

    /// Organisation admin rights: unlock and reset within the account's own organisation, nothing else.
    static func setAdminRights(
        _ account: AccountSummary, granted: Bool, by actor: UUID?, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws {
        if granted {
            guard account.accountState != .leaver, account.accountState != .deleted else {
                throw refuse("action", "Admin rights can only be given to a current account")
            }
            let existing = try await sql.raw(
                """
                SELECT id FROM role_grants WHERE account_id = \(bind: account.id) AND role = 'organisation_admin'
                  AND organisation_id = \(bind: account.organisationID) AND revoked_at IS NULL
                """
            ).first()
            guard existing == nil else { return }
            try await sql.insert(
                into: "role_grants",
                row: [
                    "id": UUID(), "account_id": account.id, "role": Role.organisationAdmin.rawValue,
                    "organisation_id": account.organisationID, "granted_by_id": actor, "granted_at": now,
                ]
            ).run()
        } else {
            try await sql.raw(
                """
                UPDATE role_grants SET revoked_at = \(bind: now), revoked_by_id = \(bind: actor)
                WHERE account_id = \(bind: account.id) AND role = 'organisation_admin' AND revoked_at IS NULL
                """
            ).run()
            try await APITokens.revokeAll(of: account.id, now: now, on: sql)
        }
        try await AuditLog.record(
            AuditEntry(
                granted ? "account.admin_rights_granted" : "account.admin_rights_revoked", target: "account",
                id: account.id.uuidString, before: [String: String]?.none,
                after: ["organisation": account.organisationID.uuidString]),
            context: context, at: now, on: sql)
    }
}

extension AccountService {
    /// A name change (a new address, the old kept as an alias) and a mobile change (the old number is told,
    /// and resets by text wait a day).
    static func update(
        _ account: AccountSummary, firstName: String?, surname: String?, mobile: String?, settings: Settings,
        context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws {
        var errors = ValidationErrors()
        for problem in AccountNaming.nameProblems(
            givenName: firstName ?? account.givenName, familyName: surname ?? account.familyName)
        {
            errors.add(problem.field, problem.message)
        }
        let given = (firstName ?? account.givenName).tidied
        let family = (surname ?? account.familyName).tidied
        var newMobile: String?
        if let mobile {
            if let normalised = Identifiers.normaliseUKMobile(mobile) {
                newMobile = normalised
            } else {
                errors.add("mobile", "Enter a UK mobile number, like 07700 900123")
            }
        }
        let renamed = given != account.givenName || family != account.familyName
        var base: String?
        if renamed {
            base = AccountNaming.localPart(givenName: given, familyName: family)
            if base == nil { errors.add("firstName", "This name cannot be made into an address") }
        }
        try errors.throwIfAny()
        struct Person: Decodable {
            let personID: UUID
            let organisationName: String
        }
        guard
            let person = try await sql.raw(
                """
                SELECT a.person_id, o.name AS organisation_name FROM accounts a
                JOIN organisations o ON o.id = a.organisation_id WHERE a.id = \(bind: account.id)
                """
            ).firstRow(Person.self)
        else { throw Abort(.notFound) }
        if renamed, let base {
            let address = try await AccountStore.reserve(
                base: base, domain: settings.mailDomain, kind: "primary", now: now, on: sql)
            try await sql.raw(
                "UPDATE address_reservations SET kind = 'alias' WHERE address = \(bind: account.address)"
            ).run()
            try await sql.raw(
                "UPDATE address_reservations SET account_id = \(bind: account.id) WHERE address = \(bind: address)"
            ).run()
            try await sql.raw(
                """
                UPDATE people SET given_name = \(bind: given), family_name = \(bind: family) WHERE id = \(bind: person.personID)
                """
            ).run()
            try await sql.raw(
                """
                UPDATE accounts SET address = \(bind: address), updated_at = \(bind: now),
                    display_name = \(bind: AccountNaming.displayName(givenName: given, familyName: family, organisation: person.organisationName))
                WHERE id = \(bind: account.id)
                """
            ).run()
            try await AuditLog.record(
                AuditEntry(
                    "account.rename", target: "account", id: account.id.uuidString,
                    before: ["address": account.address], after: ["address": address]),
                context: context, at: now, on: sql)
        }
        if let newMobile, newMobile != account.mobile {
            try await sql.raw("UPDATE people SET mobile = \(bind: newMobile) WHERE id = \(bind: person.personID)")
                .run()
            try await sql.raw(
                "UPDATE accounts SET mobile_changed_at = \(bind: now) WHERE id = \(bind: account.id)"
            ).run()
            if let old = account.mobile {
                try await Outbox.enqueue(
                    .mobileChanged, to: old, fields: ["name": given], account: account.id, now: now, on: sql)
            }
            try await AuditLog.record(
                AuditEntry(
                    "account.mobile_changed", target: "account", id: account.id.uuidString,
                    before: ["mobile": account.mobile.map(masked) ?? ""], after: ["mobile": masked(newMobile)]),
                context: context, at: now, on: sql)
        }
    }
}

extension AccountSummary {
    var stateLabel: String { accountState.label }
}

extension AccountState {
    var label: String {
        switch self {
        case .pendingActivation: "waiting for activation"
        case .active: "active"
        case .locked: "locked"
        case .expired: "expired"
        case .leaver: "a leaver"
        case .inactive: "inactive"
        case .disabled: "disabled"
        case .deleted: "deleted"
        }
    }

    var tagColour: String {
        switch self {
        case .active: "green"
        case .pendingActivation: "blue"
        case .locked, .expired: "orange"
        case .leaver, .inactive: "yellow"
        case .disabled, .deleted: "grey"
        }
    }
}

/// The scheduled job that applies time-driven transitions. Each account moves in its own guarded update, so
/// two instances running at once apply each transition once, and each is audited once.
enum AccountLifecycleJob {
    static let kind = "accounts.lifecycle"

    struct Due: Decodable {
        let id: UUID
        let state: String
    }

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        _ = try await apply(app: app)
    }

    /// Returns how many transitions this run applied.
    static func apply(app: Application) async throws -> Int {
        let now = app.clock.now()
        let settings = app.settings.lifecycle
        let sql = app.db as! any SQLDatabase
        var candidates: [(UUID, AccountState, AccountEvent, String)] = []
        var applied = 0
        func due(_ query: SQLQueryString) async throws -> [Due] {
            try await sql.raw(query).rows(Due.self)
        }
        for row in try await due(
            """
            SELECT id, state FROM accounts WHERE state = 'pending_activation'
              AND temp_password_expires_at IS NOT NULL AND temp_password_expires_at < \(bind: now)
            """)
        {
            candidates.append((row.id, .pendingActivation, .expire, "temporary password lapsed"))
        }
        for row in try await due(
            "SELECT id, state FROM accounts WHERE state = 'locked' AND locked_until IS NOT NULL AND locked_until < \(bind: now)"
        ) {
            candidates.append((row.id, .locked, .unlock, "lock ended"))
        }
        if let days = settings.inactiveAfterDays {
            let cutoff = now.addingTimeInterval(-Double(days) * 86400)
            for row in try await due(
                """
                SELECT id, state FROM accounts WHERE state = 'active'
                  AND COALESCE(last_activity_at, last_sign_in_at, state_changed_at, created_at) < \(bind: cutoff)
                """)
            {
                candidates.append((row.id, .active, .becomeInactive, "no activity for \(days) days"))
            }
        }
        let deleteCutoff = now.addingTimeInterval(-Double(settings.deleteAfterDays) * 86400)
        for row in try await due(
            "SELECT id, state FROM accounts WHERE state = 'leaver' AND state_changed_at < \(bind: deleteCutoff)")
        {
            candidates.append((row.id, .leaver, .delete, "unclaimed leaver"))
        }
        if settings.deleteInactive {
            for row in try await due(
                "SELECT id, state FROM accounts WHERE state = 'inactive' AND state_changed_at < \(bind: deleteCutoff)")
            {
                candidates.append((row.id, .inactive, .delete, "inactive for \(settings.deleteAfterDays) more days"))
            }
        }
        applied += try await eraseMailboxes(app: app, now: now)
        for (id, state, event, reason) in candidates {
            let moved = try await app.db.inTransaction { db in
                try await AccountService.transition(
                    id, from: state, on: event, context: .system, now: now, reason: reason, on: db)
            }
            if moved { applied += 1 }
        }
        return applied
    }

    /// A deleted account's mail is kept through the restore window, so a restore brings it back; after it,
    /// the mailbox is emptied on the mail server and the erasure is audited. Without a mail server there is
    /// nothing to erase yet: the account waits until one is connected.
    static func eraseMailboxes(app: Application, now: Date) async throws -> Int {
        guard app.mailServer.connected else { return 0 }
        struct Gone: Decodable {
            let id: UUID
            let address: String
        }
        let cutoff = now.addingTimeInterval(-AccountLifecycle.restoreWindow)
        let gone = try await (app.db as! any SQLDatabase).raw(
            """
            SELECT id, address FROM accounts
            WHERE state = 'deleted' AND mailbox_erased_at IS NULL AND state_changed_at < \(bind: cutoff)
            """
        ).rows(Gone.self)
        var erased = 0
        for account in gone {
            try await app.mailServer.erase(account.address)
            let marked = try await app.db.inTransaction { sql -> Bool in
                let changed = try await sql.raw(
                    """
                    UPDATE accounts SET mailbox_erased_at = \(bind: now)
                    WHERE id = \(bind: account.id) AND mailbox_erased_at IS NULL RETURNING id
                    """
                ).first()
                guard changed != nil else { return false }
                try await AuditLog.record(
                    AuditEntry(
                        "mailbox.erased", target: "account", id: account.id.uuidString,
                        before: [String: String]?.none, after: ["reason": "restore window ended"]),
                    context: .system, at: now, on: sql)
                return true
            }
            if marked { erased += 1 }
        }
        return erased
    }

    static func scheduleIfNeeded(app: Application) async throws {
        try await JobRunner.scheduleIfNeeded(kind, every: 15 * 60, app: app)
    }
}
