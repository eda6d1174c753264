import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The rules of signing in (DOMAIN.md, "Accounts"): a password checked against the lockout policy, the
/// steps a person owes after it, and what each step changes. The sign-in pages and the mail server's logins
/// both call it. Like `AccountService` it takes its context explicitly and renders nothing, so the same
/// rule holds whoever asks.
struct SignInService: Sendable {
    let db: any Database
    let settings: Settings
    let hashing: HashingPool
    let now: Date
    let context: AuditContext

    private var sql: any SQLDatabase { db as! any SQLDatabase }
    private var lockout: LockoutPolicy { LockoutPolicy(threshold: settings.lockoutThreshold) }

    /// Who is signing in: the web accepts a temporary password (first sign-in, reset); a mail client never
    /// does, so an account still pending activation has no mail login.
    enum Channel: Sendable { case web, mail }

    /// What a password check found. `reason` is for the security log only: people are told no more than
    /// that the address or password is wrong, or, once they gave the right password, that the account is locked.
    enum PasswordCheck: Sendable {
        case accepted(Account, temporary: Bool)
        case refused(Account?, reason: String, lockedUntil: Date?)
    }

    /// One password attempt. Unknown addresses cost the same hash check as known ones; a wrong password
    /// counts toward the lock, whichever channel it came through.
    func checkPassword(_ password: String, address: String, channel: Channel) async throws -> PasswordCheck {
        try await checkPassword(
            password, account: try await Self.account(forAddress: address, on: db), channel: channel)
    }

    /// The same check for an account already read by address (nil when the address is unknown).
    func checkPassword(_ password: String, account: Account?, channel: Channel) async throws -> PasswordCheck {
        let hash = account?.passwordHash ?? PublicController.standInHash
        var verified = false
        if let candidate = PasswordPolicy.forVerification(password) {
            verified = try await hashing.verify(candidate, created: hash)
        }
        var temporary = false
        if !verified, channel == .web, let account, let stored = account.tempPasswordHash,
            let expires = account.tempPasswordExpiresAt, now < expires, TemporaryPassword.looksLike(password),
            SecretHash.constantTimeEquals(
                stored, Credentials.hashTemporary(password, key: settings.sessionSecretForCodes))
        {
            verified = true
            temporary = true
        }
        guard let account, let id = account.id else {
            return .refused(nil, reason: "unknown_address", lockedUntil: nil)
        }
        let counters = Self.counters(of: account)
        let locked = lockout.isLocked(counters, now: now)
        let usable: Bool =
            switch account.state {
            case .active, .inactive, .locked: true
            case .pendingActivation: temporary
            default: false
            }
        if verified, !locked, usable { return .accepted(account, temporary: temporary) }
        if !verified, !locked {
            let state = account.state
            let policy = lockout
            let now = now
            try await db.inTransaction { sql in
                try await Self.countFailure(
                    id, state: state, counters: counters, in: "failed_sign_ins", policy: policy,
                    reason: "failed sign-ins", now: now, on: sql)
            }
        }
        let reason = locked ? "locked" : !verified ? "wrong_password" : "account_\(account.state.rawValue)"
        return .refused(account, reason: reason, lockedUntil: locked && verified ? account.lockedUntil : nil)
    }

    /// A right password: the failure count and an ended lock go, and an inactive account resumes.
    func passwordAccepted(_ account: Account, on sql: any SQLDatabase) async throws {
        let id = try account.requireID()
        try await sql.raw(
            """
            UPDATE accounts SET failed_sign_ins = 0, lock_count = 0, locked_until = NULL,
                last_sign_in_at = \(bind: now), last_activity_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
        try await resume(account, on: sql)
    }

    /// The state change a right password brings to a locked (lock ended) or inactive account.
    func resume(_ account: Account, on sql: any SQLDatabase) async throws {
        let id = try account.requireID()
        let context = context.actor(id)
        if account.state == .locked {
            try await AccountService.transition(
                id, from: .locked, on: .unlock, context: context, now: now, reason: "lock ended", on: sql)
        } else if account.state == .inactive {
            try await AccountService.transition(id, from: .inactive, on: .resume, context: context, now: now, on: sql)
        }
    }

    /// Records a right password and opens the session `start` makes, in one transaction.
    func startSession(
        _ account: Account, temporary: Bool,
        start: @escaping @Sendable (any Database) async throws -> UserSession
    ) async throws -> PendingSignIn {
        let accountID = try account.requireID()
        let stage: SignInStage = temporary ? .temporary : .password
        let context = context.actor(accountID)
        let now = now
        let session = try await db.transaction { db -> UserSession in
            try await passwordAccepted(account, on: db as! any SQLDatabase)
            let session = try await start(db)
            try await AuditLog.record(
                AuditEntry(
                    "sign_in.password_accepted", target: "session", id: session.id?.uuidString,
                    before: [String: String]?.none, after: ["with": temporary ? "temporary_password" : "password"]),
                context: context, at: now, on: db as! any SQLDatabase)
            return session
        }
        return PendingSignIn(
            sessionID: try session.requireID(), accountID: accountID, stage: stage, level: session.level)
    }

    static func counters(of account: Account) -> LockoutPolicy.Counters {
        LockoutPolicy.Counters(
            failures: account.failedSignIns, locks: account.lockCount, lockedUntil: account.lockedUntil)
    }

    /// Counts a wrong password or code in `column`, locking the account as `policy` says. True when it locked.
    @discardableResult
    static func countFailure(
        _ id: UUID, state: Account.State, counters: LockoutPolicy.Counters, in column: String, policy: LockoutPolicy,
        reason: String, now: Date, on sql: any SQLDatabase
    ) async throws -> Bool {
        let after = policy.afterFailure(counters, now: now)
        try await sql.raw(
            """
            UPDATE accounts SET \(ident: column) = \(bind: after.failures), lock_count = \(bind: after.locks),
                locked_until = \(bind: after.lockedUntil)
            WHERE id = \(bind: id)
            """
        ).run()
        guard after.locks > counters.locks else { return false }
        try await AuditLog.record(
            AuditEntry(
                "account.locked", target: "account", id: id.uuidString, before: [String: String]?.none,
                after: ["until": ISO8601DateFormatter().string(from: after.lockedUntil ?? now), "after": reason]),
            context: .system, at: now, on: sql)
        if state == .active {
            try await AccountService.transition(
                id, from: .active, on: .lock, context: .system, now: now, reason: reason, on: sql)
        }
        return true
    }

    /// The account behind an address or any of its aliases, in whatever letter case it was typed.
    static func account(forAddress address: String, on db: any Database) async throws -> Account? {
        struct Row: Decodable { let owner: UUID }
        guard
            let row = try await (db as! any SQLDatabase).raw(
                """
                SELECT account_id AS owner FROM address_reservations
                WHERE address = \(bind: address.lowercased()) AND account_id IS NOT NULL
                """
            ).firstRow(Row.self)
        else { return nil }
        return try await Account.find(row.owner, on: db)
    }

    // MARK: the steps after the password

    enum Step: Sendable {
        case code, acceptableUse, newPassword, setUpAuthenticator, authenticator
    }

    /// The next step a part-signed-in person owes, or nil when they may act.
    func nextStep(_ pending: PendingSignIn, account: Account) async throws -> Step? {
        if pending.stage == .temporary && account.codeConfirmedAt == nil { return .code }
        if try await !Self.acceptedCurrentAUP(pending.accountID, on: sql) { return .acceptableUse }
        if pending.stage == .temporary { return .newPassword }
        if pending.stage == .password, let days = settings.passwordExpiryDays, let changed = account.passwordChangedAt,
            now.timeIntervalSince(changed) >= Double(days) * 86400
        {
            return .newPassword
        }
        let roles = try await PrincipalLoader.roles(of: pending.accountID, on: sql)
        let needsFactor = SecondFactorRule.required(for: roles) || account.totpEnrolledAt != nil
        if needsFactor && account.totpEnrolledAt == nil { return .setUpAuthenticator }
        if needsFactor && pending.level < SignInLevel.multiFactor.rawValue { return .authenticator }
        return nil
    }

    /// Every step is done: the session may act.
    func complete(_ pending: PendingSignIn) async throws {
        let context = context.actor(pending.accountID)
        let now = now
        try await db.transaction { db in
            try await UserSession.query(on: db).filter(\.$id == pending.sessionID).set(\.$stage, to: nil).update()
            try await AuditLog.record(
                AuditEntry("sign_in.succeeded", target: "session", id: pending.sessionID.uuidString),
                context: context, at: now, on: db as! any SQLDatabase)
        }
    }

    /// Ends a sign-in that may go no further: the password is asked again.
    func end(_ pending: PendingSignIn) async throws {
        try await sql.raw("UPDATE sessions SET ended_at = \(bind: now) WHERE id = \(bind: pending.sessionID)").run()
    }

    /// The activation code typed at first sign-in.
    func confirmActivationCode(_ typed: String, _ pending: PendingSignIn) async throws -> SecurityCode.Verdict {
        let key = settings.sessionSecretForCodes
        let now = now
        let context = context.actor(pending.accountID)
        return try await db.inTransaction { sql in
            let (verdict, _) = try await AccountService.checkCodeAudited(
                typed, account: pending.accountID, purpose: .activation, by: "account holder", key: key,
                context: context, now: now, on: sql)
            if verdict == .accepted {
                try await sql.raw(
                    "UPDATE accounts SET code_confirmed_at = \(bind: now) WHERE id = \(bind: pending.accountID)"
                ).run()
            }
            return verdict
        }
    }

    // MARK: acceptable use

    struct AUPRow: Decodable, Encodable, Sendable {
        let id: UUID
        let version: String
        let title: String
        let summary: String
    }

    static func currentAUP(on sql: any SQLDatabase) async throws -> AUPRow? {
        try await sql.raw(
            "SELECT id, version, title, summary FROM aup_versions ORDER BY effective_from DESC LIMIT 1"
        ).firstRow(AUPRow.self)
    }

    static func acceptedCurrentAUP(_ account: UUID, on sql: any SQLDatabase) async throws -> Bool {
        guard let current = try await currentAUP(on: sql) else { return true }
        return try await sql.raw(
            "SELECT 1 AS ok FROM aup_acceptances WHERE account_id = \(bind: account) AND aup_version_id = \(bind: current.id)"
        ).first() != nil
    }

    /// The Acceptable Use Policy's version as people are shown it everywhere: the one accounts accept at first
    /// sign-in (`aup_versions`). The eligibility parameters' own version label is used only before any is
    /// recorded, so an organisation signs the same policy its people later accept.
    static func aupVersion(on sql: any SQLDatabase, fallback: String) async throws -> String {
        try await currentAUP(on: sql)?.version ?? fallback
    }

    /// Records that the person accepted the current policy (once, however often they submit).
    func acceptAUP(_ pending: PendingSignIn) async throws {
        guard let current = try await Self.currentAUP(on: sql) else { return }
        let now = now
        let context = context.actor(pending.accountID)
        try await db.inTransaction { sql in
            try await sql.raw(
                """
                INSERT INTO aup_acceptances (id, account_id, aup_version_id, accepted_at)
                VALUES (\(bind: UUID()), \(bind: pending.accountID), \(bind: current.id), \(bind: now))
                ON CONFLICT (account_id, aup_version_id) DO NOTHING
                """
            ).run()
            try await AuditLog.record(
                AuditEntry(
                    "aup.accept", target: "account", id: pending.accountID.uuidString, before: [String: String]?.none,
                    after: ["version": current.version]),
                context: context, at: now, on: sql)
        }
    }

    // MARK: a new password

    /// The new password the person chose, or what is wrong with it, by field.
    func checkNewPassword(_ password: String, confirm: String, account: UUID, person: Person) async throws
        -> Result<String, ValidationErrors>
    {
        var errors = ValidationErrors()
        switch PasswordPolicy.acceptNew(
            password, givenName: person.givenName, familyName: person.familyName, isCommon: CommonPasswords.contains)
        {
        case .failure(let problem): errors.add("password", problem.message)
        case .success(let password):
            if confirm.precomposedStringWithCanonicalMapping != password {
                errors.add("confirm", "The passwords do not match. Type the same password twice")
            } else if try await isRecent(password, account: account) {
                errors.add("password", PasswordPolicy.Problem.recentlyUsed.message)
            } else {
                return .success(password)
            }
        }
        return .failure(errors)
    }

    /// Whether a new password matches one of the last four.
    func isRecent(_ password: String, account: UUID) async throws -> Bool {
        struct Row: Decodable { let hash: String }
        let rows = try await sql.raw(
            """
            SELECT password_hash AS hash FROM password_history WHERE account_id = \(bind: account)
            ORDER BY created_at DESC LIMIT \(literal: PasswordPolicy.historyDepth)
            """
        ).rows(Row.self)
        for row in rows where try await hashing.verify(password, created: row.hash) { return true }
        return false
    }

    /// Sets the password chosen at a sign-in step. A first password activates the account and queues its
    /// welcome email; every other session of the account ends.
    func setPassword(_ password: String, _ pending: PendingSignIn, account: Account, person: Person) async throws {
        let hash = try await hashing.hash(password)
        let now = now
        let activating = account.state == .pendingActivation
        let context = context.actor(pending.accountID)
        let address = account.address
        let name = person.givenName.isEmpty ? person.familyName : person.givenName
        try await db.inTransaction { sql in
            try await sql.raw(
                """
                UPDATE accounts SET password_hash = \(bind: hash), temp_password_hash = NULL,
                    temp_password_expires_at = NULL, password_changed_at = \(bind: now), updated_at = \(bind: now)
                WHERE id = \(bind: pending.accountID)
                """
            ).run()
            try await sql.insert(
                into: "password_history",
                row: ["id": UUID(), "account_id": pending.accountID, "password_hash": hash, "created_at": now]
            ).run()
            try await AuditLog.record(
                AuditEntry("account.password_set", target: "account", id: pending.accountID.uuidString),
                context: context, at: now, on: sql)
            if activating {
                try await AccountService.transition(
                    pending.accountID, from: .pendingActivation, on: .activate, context: context, now: now, on: sql)
                try await Outbox.enqueue(
                    .welcome, to: address, fields: ["name": name], account: pending.accountID, now: now, on: sql)
            }
            // Other sessions started with the old credentials end here, mail clients' too.
            if !activating { try await MailSessions.end(account: pending.accountID, now: now, on: sql) }
            try await sql.raw(
                """
                UPDATE sessions SET ended_at = \(bind: now)
                WHERE account_id = \(bind: pending.accountID) AND id <> \(bind: pending.sessionID) AND ended_at IS NULL
                """
            ).run()
            try await sql.raw(
                """
                UPDATE sessions SET stage = \(bind: (activating ? SignInStage.activated : .password).rawValue)
                WHERE id = \(bind: pending.sessionID)
                """
            ).run()
        }
    }

    // MARK: the second factor

    /// The authenticator secret being set up: the one already sealed for this account, or a new one.
    func authenticatorSecret(for account: Account, secrets: SecretGenerator) async throws -> [UInt8] {
        if let sealed = account.totpSecret, let existing = SecondFactor.open(sealed, settings: settings) {
            return existing
        }
        let secret = secrets.bytes(TOTP.secretBytes)
        let sealed = try SecondFactor.seal(secret, settings: settings)
        try await sql.raw(
            """
            UPDATE accounts SET totp_secret = \(bind: sealed)
            WHERE id = \(bind: try account.requireID()) AND totp_enrolled_at IS NULL
            """
        ).run()
        return secret
    }

    /// Confirms a new authenticator with its first code. The recovery codes it returns are shown once;
    /// nil means the code was not right.
    func confirmAuthenticator(
        _ typed: String, secret: [UInt8], account: Account, session: UUID?, secrets: SecretGenerator
    ) async throws -> [String]? {
        let now = now
        guard let step = TOTP(secret: secret).verify(typed, at: now, lastUsedStep: account.totpLastStep) else {
            return nil
        }
        let accountID = try account.requireID()
        let key = settings.sessionSecretForCodes
        let context = context.actor(accountID)
        return try await db.inTransaction { sql in
            try await sql.raw(
                """
                UPDATE accounts SET totp_enrolled_at = \(bind: now), totp_last_step = \(bind: step)
                WHERE id = \(bind: accountID)
                """
            ).run()
            if let session {
                try await sql.raw(
                    """
                    UPDATE sessions SET level = \(bind: SignInLevel.multiFactor.rawValue), factor_at = \(bind: now)
                    WHERE id = \(bind: session)
                    """
                ).run()
            }
            try await AuditLog.record(
                AuditEntry("account.authenticator_added", target: "account", id: accountID.uuidString),
                context: context, at: now, on: sql)
            return try await SecondFactor.issueRecoveryCodes(
                account: accountID, secrets: secrets, key: key, now: now, on: sql)
        }
    }

    enum FactorOutcome: Sendable {
        /// The session moves on under the new token, so an id seen before the second factor is worth nothing.
        case accepted(newToken: String)
        case refused
        /// Too many wrong codes: the sign-in ends and the password is asked again.
        case ended
        /// The account was locked before the code was checked: the sign-in ends.
        case locked
    }

    /// A code from the authenticator app, or a recovery code, at sign-in.
    func checkSecondFactor(_ typed: String, _ pending: PendingSignIn, account: Account, newToken: String)
        async throws -> FactorOutcome
    {
        let now = now
        let settings = settings
        let context = context.actor(pending.accountID)
        let policy = lockout
        let counters = LockoutPolicy.Counters(
            failures: account.failedFactorAttempts, locks: account.lockCount, lockedUntil: account.lockedUntil)
        // A locked account's codes are not even checked: the sign-in ends.
        if policy.isLocked(counters, now: now) {
            try await end(pending)
            return .locked
        }
        let accepted = try await db.inTransaction { sql -> Bool in
            var how = "totp"
            var ok = try await SecondFactor.verify(typed, account: account, settings: settings, now: now, on: sql)
            if !ok, typed.count > 6 {
                ok = try await SecondFactor.useRecoveryCode(
                    typed, account: pending.accountID, key: settings.sessionSecretForCodes, now: now, on: sql)
                how = "recovery_code"
            }
            guard ok else { return false }
            try await sql.raw(
                """
                UPDATE sessions SET level = \(bind: SignInLevel.multiFactor.rawValue), factor_at = \(bind: now),
                    token_hash = \(bind: SecretHash.sha256Hex(newToken))
                WHERE id = \(bind: pending.sessionID)
                """
            ).run()
            try await sql.raw("UPDATE accounts SET failed_factor_attempts = 0 WHERE id = \(bind: pending.accountID)")
                .run()
            try await AuditLog.record(
                AuditEntry(
                    "sign_in.second_factor_accepted", target: "account", id: pending.accountID.uuidString,
                    before: [String: String]?.none, after: ["with": how]),
                context: context, at: now, on: sql)
            return true
        }
        if accepted { return .accepted(newToken: newToken) }
        guard !typed.isEmpty else { return .refused }
        let state = account.state
        let ended = try await db.inTransaction { sql -> Bool in
            struct Tries: Decodable { let tries: Int }
            let tries =
                try await sql.raw(
                    """
                    UPDATE sessions SET factor_failures = factor_failures + 1 WHERE id = \(bind: pending.sessionID)
                    RETURNING factor_failures AS tries
                    """
                ).firstRow(Tries.self)?.tries ?? 0
            let locked = try await Self.countFailure(
                pending.accountID, state: state, counters: counters, in: "failed_factor_attempts", policy: policy,
                reason: "wrong authenticator codes", now: now, on: sql)
            return locked || tries >= LockoutPolicy.codeTriesPerSignIn
        }
        guard ended else { return .refused }
        try await end(pending)
        return .ended
    }
}

extension Request {
    /// The sign-in rules, in this request's context.
    var signIn: SignInService {
        SignInService(db: db, settings: settings, hashing: application.hashing, now: now, context: auditContext)
    }
}
