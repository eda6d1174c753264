import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Signing in, and the steps that can follow the password: the security code, the AUP, a new password and
/// the second factor (DOMAIN.md, "Accounts"). Each step is its own page; `/sign-in/continue` sends the
/// person to the next one they still owe.
struct SignInController {
    struct SignInForm: Content {
        var email: String?
        var password: String?
        var next: String?
    }

    func signIn(req: Request) async throws -> Response {
        let form = try req.content.decode(SignInForm.self)
        let email = (form.email ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let password = form.password ?? ""
        let next = PublicController().safeNext(form.next ?? "")
        var errors = ValidationErrors()
        if email.isEmpty { errors.add("email", "Enter your email address") }
        if password.isEmpty { errors.add("password", "Enter your password") }
        if errors.isEmpty {
            if let response = try await attempt(req: req, email: email, password: password, next: next, errors: &errors)
            {
                return response
            }
        }
        return try await req.render(
            "sign-in", req.chrome("Sign in", errors: errors),
            PublicController.SignInPage(email: email, next: next, fieldErrors: errors.byField))
    }

    /// One sign-in attempt. Unknown addresses cost the same bcrypt check as known ones and get the same
    /// message; the lock is only mentioned to someone who gave the right password.
    private func attempt(
        req: Request, email: String, password: String, next: String, errors: inout ValidationErrors
    ) async throws -> Response? {
        let now = req.now
        let settings = req.settings
        let account = try await Self.account(forAddress: email, on: req)
        let candidate = PasswordPolicy.forVerification(password)
        let hash = account?.passwordHash ?? PublicController.standInHash
        var verified = false
        if let candidate { verified = try await req.application.hashing.verify(candidate, created: hash) }
        var viaTemporary = false
        if !verified, let account, let stored = account.tempPasswordHash,
            let expires = account.tempPasswordExpiresAt, now < expires, TemporaryPassword.looksLike(password),
            SecretHash.constantTimeEquals(
                stored, Credentials.hashTemporary(password, key: settings.sessionSecretForCodes))
        {
            verified = true
            viaTemporary = true
        }
        let policy = LockoutPolicy(threshold: settings.lockoutThreshold)
        let counters = account.map {
            LockoutPolicy.Counters(failures: $0.failedSignIns, locks: $0.lockCount, lockedUntil: $0.lockedUntil)
        }
        let locked = counters.map { policy.isLocked($0, now: now) } ?? false
        let usable: Bool =
            switch account?.state {
            case .active, .inactive, .locked: true
            case .pendingActivation: viaTemporary
            default: false
            }
        let passwordRight = verified
        let temporary = viaTemporary
        if let account, verified, !locked, usable {
            let accountID = try account.requireID()
            let stage: SignInStage = temporary ? .temporary : .password
            let response = Response(status: .seeOther)
            let context = req.auditContext.actor(accountID)
            let state = account.state
            let session = try await req.db.transaction { db -> UserSession in
                let sql = db as! any SQLDatabase
                try await sql.raw(
                    """
                    UPDATE accounts SET failed_sign_ins = 0, lock_count = 0, locked_until = NULL,
                        last_sign_in_at = \(bind: now), last_activity_at = \(bind: now)
                    WHERE id = \(bind: accountID)
                    """
                ).run()
                if state == .locked {
                    try await AccountService.transition(
                        accountID, from: .locked, on: .unlock, context: context, now: now, reason: "lock ended", on: sql
                    )
                } else if state == .inactive {
                    try await AccountService.transition(
                        accountID, from: .inactive, on: .resume, context: context, now: now, on: sql)
                }
                let session = try await SessionStore(req: req).startRecord(
                    accountID: accountID, level: .password, stage: stage, response: response, on: db)
                try await AuditLog.record(
                    AuditEntry(
                        "sign_in.password_accepted", target: "session", id: session.id?.uuidString,
                        before: [String: String]?.none, after: ["with": temporary ? "temporary_password" : "password"]),
                    context: context, at: now, on: sql)
                return session
            }
            // Straight on when nothing more is owed; otherwise to the first step.
            let pending = PendingSignIn(
                sessionID: try session.requireID(), accountID: accountID, stage: stage, level: session.level)
            let target: String
            if let step = try await Self.nextStep(pending, account: account, on: req) {
                target = step.url.path + Self.nextQuery(next)
            } else {
                try await complete(pending, req: req)
                target = next.isEmpty ? SiteURL.home.path : next
            }
            response.headers.replaceOrAdd(name: .location, value: target)
            return response
        }
        let reason =
            account == nil
            ? "unknown_address"
            : locked ? "locked" : !verified ? "wrong_password" : "account_\(account!.state.rawValue)"
        try await req.db.transaction { db in
            if let account, let counters, !passwordRight, !locked, let id = account.id {
                try await Self.countFailure(
                    id, state: account.state, counters: counters, in: "failed_sign_ins", policy: policy,
                    reason: "failed sign-ins", now: now, on: db as! any SQLDatabase)
            }
        }
        await SecurityEvents.record(.signInFailed, account: account?.id, attempted: email, detail: reason, on: req)
        if locked, verified, let until = account?.lockedUntil {
            errors.add(
                "email",
                "Your account is locked after too many wrong passwords. Try again after \(LondonTime.receipt(until)), "
                    + "or ask your administrator to unlock it")
        } else {
            errors.add("email", PublicController.failureMessage)
        }
        return nil
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

    static func nextQuery(_ next: String) -> String {
        guard !next.isEmpty, let encoded = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
        else { return "" }
        return "?next=" + encoded
    }

    /// The account behind an address or any of its aliases, in whatever letter case it was typed.
    static func account(forAddress address: String, on req: Request) async throws -> Account? {
        struct Row: Decodable { let accountID: UUID }
        guard
            let row = try await req.sql.raw(
                """
                SELECT account_id FROM address_reservations
                WHERE address = \(bind: address.lowercased()) AND account_id IS NOT NULL
                """
            ).firstRow(Row.self)
        else { return nil }
        return try await Account.find(row.accountID, on: req.db)
    }

    // MARK: the steps

    enum Step {
        case code, acceptableUse, newPassword, setUpAuthenticator, authenticator

        var url: SiteURL {
            switch self {
            case .code: .signInCode
            case .acceptableUse: .signInAcceptableUse
            case .newPassword: .signInNewPassword
            case .setUpAuthenticator: .signInAuthenticatorSetup
            case .authenticator: .signInAuthenticator
            }
        }
    }

    /// The next step a part-signed-in person owes, or nil when they may act.
    static func nextStep(_ pending: PendingSignIn, account: Account, on req: Request) async throws -> Step? {
        if pending.stage == .temporary && account.codeConfirmedAt == nil { return .code }
        if try await !acceptedCurrentAUP(pending.accountID, on: req.sql) { return .acceptableUse }
        if pending.stage == .temporary { return .newPassword }
        if pending.stage == .password, let days = req.settings.passwordExpiryDays,
            let changed = account.passwordChangedAt,
            req.now.timeIntervalSince(changed) >= Double(days) * 86400
        {
            return .newPassword
        }
        let roles = try await PrincipalLoader.roles(of: pending.accountID, on: req.sql)
        let needsFactor = SecondFactorRule.required(for: roles) || account.totpEnrolledAt != nil
        if needsFactor && account.totpEnrolledAt == nil { return .setUpAuthenticator }
        if needsFactor && pending.level < SignInLevel.multiFactor.rawValue { return .authenticator }
        return nil
    }

    static func acceptedCurrentAUP(_ account: UUID, on sql: any SQLDatabase) async throws -> Bool {
        guard let current = try await currentAUP(on: sql) else { return true }
        return try await sql.raw(
            "SELECT 1 AS ok FROM aup_acceptances WHERE account_id = \(bind: account) AND aup_version_id = \(bind: current.id)"
        ).first() != nil
    }

    struct AUPRow: Decodable, Encodable {
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

    private func pending(_ req: Request) async throws -> (PendingSignIn, Account)? {
        guard let pending = req.pendingSignIn, let account = try await Account.find(pending.accountID, on: req.db)
        else { return nil }
        return (pending, account)
    }

    private func nextParameter(_ req: Request) -> String {
        PublicController().safeNext((try? req.query.get(String.self, at: "next")) ?? "")
    }

    func continueSignIn(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        let next = nextParameter(req)
        if let step = try await Self.nextStep(pending, account: account, on: req) {
            return req.redirect(to: step.url.path + Self.nextQuery(next))
        }
        try await complete(pending, req: req)
        if pending.stage == .activated { return req.redirect(to: SiteURL.welcome.path) }
        return req.redirect(to: next.isEmpty ? SiteURL.home.path : next)
    }

    /// Every step is done: the session may act.
    private func complete(_ pending: PendingSignIn, req: Request) async throws {
        try await req.db.transaction { db in
            try await UserSession.query(on: db).filter(\.$id == pending.sessionID)
                .set(\.$stage, to: nil).update()
            try await AuditLog.record(
                AuditEntry("sign_in.succeeded", target: "session", id: pending.sessionID.uuidString),
                context: req.auditContext.actor(pending.accountID), at: req.now, on: db as! any SQLDatabase)
        }
    }

    struct StepPage: Encodable {
        let next: String
        let mobileEnding: String
        let fieldErrors: [String: String]
    }

    // MARK: security code

    func codePage(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        guard try await Self.nextStep(pending, account: account, on: req) == .code else {
            return req.redirect(to: SiteURL.signInContinue.path)
        }
        return try await renderCode(req, account: account, errors: ValidationErrors())
    }

    private func renderCode(_ req: Request, account: Account, errors: ValidationErrors) async throws -> Response {
        let person = try await account.$person.get(on: req.db)
        return try await req.render(
            "signin/code", req.chrome("Enter the security code", errors: errors, notice: req.notice),
            StepPage(
                next: nextParameter(req), mobileEnding: String((person.mobile ?? "").suffix(3)),
                fieldErrors: errors.byField))
    }

    struct CodeForm: Content { var code: String? }

    func code(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        let typed = SecurityCode.normalise(try req.content.decode(CodeForm.self).code ?? "")
        var errors = ValidationErrors()
        guard !typed.isEmpty else {
            errors.add("code", "Enter the security code from the text message")
            return try await renderCode(req, account: account, errors: errors)
        }
        let key = req.settings.sessionSecretForCodes
        let now = req.now
        let context = req.auditContext.actor(pending.accountID)
        let verdict = try await req.inTransaction { sql in
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
        guard verdict == .accepted else {
            errors.add("code", AccountService.message(for: verdict))
            return try await renderCode(req, account: account, errors: errors)
        }
        return req.redirect(to: SiteURL.signInContinue.path + Self.nextQuery(nextParameter(req)))
    }

    func resendCode(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        guard let summary = try await AccountStore.summary(pending.accountID, on: req.sql) else {
            throw Abort(.notFound)
        }
        do {
            let context = req.auditContext.actor(pending.accountID)
            let now = req.now
            try await req.inTransaction { sql in
                guard let mobile = summary.mobile else { return }
                try await AccountService.textCode(
                    account: summary.id, purpose: .activation, mobile: mobile, details: ["by": "account holder"],
                    context: context, now: now, on: sql)
            }
        } catch let errors as ValidationErrors {
            return try await renderCode(req, account: account, errors: errors)
        }
        return req.seeOther(.signInCode, notice: Notices.newCodeSent)
    }

    // MARK: acceptable use

    struct AUPPage: Encodable {
        let aup: AUPRow?
        let next: String
        let fieldErrors: [String: String]
    }

    func aupPage(req: Request) async throws -> Response {
        guard try await pending(req) != nil else { return req.redirect(to: SiteURL.signIn.path) }
        return try await renderAUP(req, errors: ValidationErrors())
    }

    private func renderAUP(_ req: Request, errors: ValidationErrors) async throws -> Response {
        try await req.render(
            "signin/acceptable-use", req.chrome("Accept the acceptable use policy", errors: errors),
            AUPPage(aup: try await Self.currentAUP(on: req.sql), next: nextParameter(req), fieldErrors: errors.byField))
    }

    struct AUPForm: Content { var accept: String? }

    func acceptAUP(req: Request) async throws -> Response {
        guard let (pending, _) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        guard try req.content.decode(AUPForm.self).accept == "yes" else {
            var errors = ValidationErrors()
            errors.add("accept", "Confirm that you accept the acceptable use policy to continue")
            return try await renderAUP(req, errors: errors)
        }
        guard let current = try await Self.currentAUP(on: req.sql) else {
            return req.redirect(to: SiteURL.signInContinue.path)
        }
        let now = req.now
        try await req.inTransaction { sql in
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
                context: req.auditContext.actor(pending.accountID), at: now, on: sql)
        }
        return req.redirect(to: SiteURL.signInContinue.path + Self.nextQuery(nextParameter(req)))
    }

    // MARK: new password

    func newPasswordPage(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req),
            try await Self.nextStep(pending, account: account, on: req) == .newPassword
        else { return req.redirect(to: SiteURL.signInContinue.path) }
        return try await req.render(
            "signin/new-password", req.chrome("Create your password"),
            StepPage(next: nextParameter(req), mobileEnding: "", fieldErrors: [:]))
    }

    struct PasswordForm: Content {
        var password: String?
        var confirm: String?
    }

    func setNewPassword(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req),
            try await Self.nextStep(pending, account: account, on: req) == .newPassword
        else { return req.redirect(to: SiteURL.signInContinue.path) }
        let form = try req.content.decode(PasswordForm.self)
        let person = try await account.$person.get(on: req.db)
        var errors = ValidationErrors()
        let checked = PasswordPolicy.acceptNew(
            form.password ?? "", givenName: person.givenName, familyName: person.familyName,
            isCommon: CommonPasswords.contains)
        var accepted: String?
        switch checked {
        case .failure(let problem): errors.add("password", problem.message)
        case .success(let password):
            if (form.confirm ?? "").precomposedStringWithCanonicalMapping != password {
                errors.add("confirm", "The passwords do not match. Type the same password twice")
            } else if try await Self.isRecent(password, account: pending.accountID, on: req) {
                errors.add("password", PasswordPolicy.Problem.recentlyUsed.message)
            } else {
                accepted = password
            }
        }
        guard let password = accepted else {
            return try await req.render(
                "signin/new-password", req.chrome("Create your password", errors: errors),
                StepPage(next: nextParameter(req), mobileEnding: "", fieldErrors: errors.byField))
        }
        let hash = try await req.application.hashing.hash(password)
        let now = req.now
        let activating = account.state == .pendingActivation
        let context = req.auditContext.actor(pending.accountID)
        let address = account.address
        let name = person.givenName.isEmpty ? person.familyName : person.givenName
        try await req.inTransaction { sql in
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
                // Delivered for real once the mail server reads this directory (the mail-server issue).
                try await Outbox.enqueue(
                    .welcome, to: address, fields: ["name": name], account: pending.accountID, now: now, on: sql)
            }
            // Other sessions started with the old credentials end here.
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
        return req.redirect(to: SiteURL.signInContinue.path + Self.nextQuery(nextParameter(req)))
    }

    /// Whether a new password matches one of the last four.
    static func isRecent(_ password: String, account: UUID, on req: Request) async throws -> Bool {
        struct Row: Decodable { let passwordHash: String }
        let rows = try await req.sql.raw(
            """
            SELECT password_hash FROM password_history WHERE account_id = \(bind: account)
            ORDER BY created_at DESC LIMIT \(literal: PasswordPolicy.historyDepth)
            """
        ).rows(Row.self)
        for row in rows where try await req.application.hashing.verify(password, created: row.passwordHash) {
            return true
        }
        return false
    }

    // MARK: second factor

    struct SetupPage: Encodable {
        let secret: String
        let link: String
        let action: String
        let fieldErrors: [String: String]
    }

    func setupPage(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        guard account.totpEnrolledAt == nil else { return req.redirect(to: SiteURL.signInContinue.path) }
        let secret: [UInt8]
        if let sealed = account.totpSecret, let existing = SecondFactor.open(sealed, settings: req.settings) {
            secret = existing
        } else {
            secret = req.application.dependencies.secrets.bytes(TOTP.secretBytes)
            let sealed = try SecondFactor.seal(secret, settings: req.settings)
            try await req.sql.raw(
                "UPDATE accounts SET totp_secret = \(bind: sealed) WHERE id = \(bind: pending.accountID) AND totp_enrolled_at IS NULL"
            ).run()
        }
        return try await renderSetup(req, secret: secret, address: account.address, errors: ValidationErrors())
    }

    private func renderSetup(_ req: Request, secret: [UInt8], address: String, errors: ValidationErrors) async throws
        -> Response
    {
        try await req.render(
            "signin/authenticator-setup", req.chrome("Set up your authenticator app", errors: errors),
            SetupPage(
                secret: Base32.grouped(Base32.encode(secret)),
                link: TOTP(secret: secret).provisioningURI(account: address, issuer: "NHSmail Onboard"),
                action: SiteURL.signInAuthenticatorSetup.path + Self.nextQuery(nextParameter(req)),
                fieldErrors: errors.byField))
    }

    struct RecoveryPage: Encodable {
        let codes: [String]
        let continueURL: String
    }

    func confirmSetup(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req), account.totpEnrolledAt == nil,
            let sealed = account.totpSecret, let secret = SecondFactor.open(sealed, settings: req.settings)
        else { return req.redirect(to: SiteURL.signInContinue.path) }
        let typed = try req.content.decode(CodeForm.self).code ?? ""
        let now = req.now
        guard let step = TOTP(secret: secret).verify(typed, at: now, lastUsedStep: account.totpLastStep) else {
            var errors = ValidationErrors()
            errors.add(
                "code",
                typed.isEmpty
                    ? "Enter the 6-digit code from your authenticator app"
                    : "The code is not right. Check the app shows this account, and enter the newest code")
            return try await renderSetup(req, secret: secret, address: account.address, errors: errors)
        }
        let secrets = req.application.dependencies.secrets
        let key = req.settings.sessionSecretForCodes
        let context = req.auditContext.actor(pending.accountID)
        let codes = try await req.inTransaction { sql in
            try await sql.raw(
                """
                UPDATE accounts SET totp_enrolled_at = \(bind: now), totp_last_step = \(bind: step)
                WHERE id = \(bind: pending.accountID)
                """
            ).run()
            try await sql.raw(
                "UPDATE sessions SET level = \(bind: SignInLevel.multiFactor.rawValue), factor_at = \(bind: now) WHERE id = \(bind: pending.sessionID)"
            ).run()
            try await AuditLog.record(
                AuditEntry("account.authenticator_added", target: "account", id: pending.accountID.uuidString),
                context: context, at: now, on: sql)
            return try await SecondFactor.issueRecoveryCodes(
                account: pending.accountID, secrets: secrets, key: key, now: now, on: sql)
        }
        // Shown once, on this response only: there is no page that shows them again.
        return try await req.render(
            "signin/recovery-codes", req.chrome("Save your recovery codes"),
            RecoveryPage(codes: codes, continueURL: SiteURL.signInContinue.path + Self.nextQuery(nextParameter(req))))
    }

    func authenticatorPage(req: Request) async throws -> Response {
        guard try await pending(req) != nil else { return req.redirect(to: SiteURL.signIn.path) }
        return try await req.render(
            "signin/authenticator", req.chrome("Enter the code from your authenticator app"),
            StepPage(next: nextParameter(req), mobileEnding: "", fieldErrors: [:]))
    }

    func authenticator(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        let typed = (try req.content.decode(CodeForm.self).code ?? "").trimmingCharacters(in: .whitespaces)
        let now = req.now
        let settings = req.settings
        let context = req.auditContext.actor(pending.accountID)
        let policy = LockoutPolicy(threshold: settings.lockoutThreshold)
        let counters = LockoutPolicy.Counters(
            failures: account.failedFactorAttempts, locks: account.lockCount, lockedUntil: account.lockedUntil)
        // A locked account's codes are not even checked: the sign-in ends.
        if policy.isLocked(counters, now: now) { return try await endSignIn(pending, req: req) }
        let newToken = req.application.dependencies.secrets.token()
        let accepted = try await req.inTransaction { sql -> Bool in
            var how = "totp"
            var ok = try await SecondFactor.verify(typed, account: account, settings: settings, now: now, on: sql)
            if !ok, typed.count > 6 {
                ok = try await SecondFactor.useRecoveryCode(
                    typed, account: pending.accountID, key: settings.sessionSecretForCodes, now: now, on: sql)
                how = "recovery_code"
            }
            if ok {
                // A new session id once the second factor is in: one seen before it (in a log, a shared
                // machine) is worth nothing after.
                try await sql.raw(
                    """
                    UPDATE sessions SET level = \(bind: SignInLevel.multiFactor.rawValue), factor_at = \(bind: now),
                        token_hash = \(bind: SecretHash.sha256Hex(newToken))
                    WHERE id = \(bind: pending.sessionID)
                    """
                ).run()
                try await sql.raw(
                    "UPDATE accounts SET failed_factor_attempts = 0 WHERE id = \(bind: pending.accountID)"
                ).run()
            }
            if ok {
                try await AuditLog.record(
                    AuditEntry(
                        "sign_in.second_factor_accepted", target: "account", id: pending.accountID.uuidString,
                        before: [String: String]?.none, after: ["with": how]),
                    context: context, at: now, on: sql)
            }
            return ok
        }
        if !accepted { await SecurityEvents.record(.secondFactorRefused, account: pending.accountID, on: req) }
        if !accepted, !typed.isEmpty {
            let state = account.state
            let ended = try await req.inTransaction { sql -> Bool in
                struct Tries: Decodable { let factorFailures: Int }
                let tries =
                    try await sql.raw(
                        """
                        UPDATE sessions SET factor_failures = factor_failures + 1 WHERE id = \(bind: pending.sessionID)
                        RETURNING factor_failures
                        """
                    ).firstRow(Tries.self)?.factorFailures ?? 0
                let locked = try await Self.countFailure(
                    pending.accountID, state: state, counters: counters, in: "failed_factor_attempts", policy: policy,
                    reason: "wrong authenticator codes", now: now, on: sql)
                return locked || tries >= LockoutPolicy.codeTriesPerSignIn
            }
            if ended { return try await endSignIn(pending, req: req) }
        }
        guard accepted else {
            var errors = ValidationErrors()
            errors.add(
                "code",
                typed.isEmpty
                    ? "Enter the 6-digit code from your authenticator app"
                    : "The code is not right, or has been used already. Wait for the next code and enter it")
            return try await req.render(
                "signin/authenticator", req.chrome("Enter the code from your authenticator app", errors: errors),
                StepPage(next: nextParameter(req), mobileEnding: "", fieldErrors: errors.byField))
        }
        let response = req.redirect(to: SiteURL.signInContinue.path + Self.nextQuery(nextParameter(req)))
        response.cookies[SessionCookie.name] = SessionCookie.make(
            newToken, maxAge: Int(SessionPolicy.standard.absoluteLimit))
        return response
    }

    /// Ends a sign-in that may go no further (too many wrong codes, or a lock): the password is asked again.
    private func endSignIn(_ pending: PendingSignIn, req: Request) async throws -> Response {
        let now = req.now
        try await req.sql.raw("UPDATE sessions SET ended_at = \(bind: now) WHERE id = \(bind: pending.sessionID)")
            .run()
        let response = req.seeOther(.signIn, notice: Notices.tooManyCodes)
        response.cookies[SessionCookie.name] = SessionCookie.expired
        return response
    }

    // MARK: welcome

    struct WelcomePage: Encodable {
        let address: String
        let guidance: [Guidance.Item]
    }

    func welcome(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        guard let account = try await Account.find(principal.accountID, on: req.db) else { throw Abort(.notFound) }
        let guidance = try await Guidance.items(for: ["everyone", "users"], on: req.sql)
        return try await req.render(
            "signin/welcome", req.chrome("Welcome to NHSmail"),
            WelcomePage(address: account.address, guidance: guidance))
    }
}

extension AuditContext {
    /// The same request, acted by `account`: for steps taken before the session has a principal.
    func actor(_ account: UUID) -> AuditContext {
        var copy = self
        copy.actorAccountID = account
        return copy
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

extension SignInController {
    /// The Acceptable Use Policy's version as people are shown it everywhere: the one accounts accept at first
    /// sign-in (`aup_versions`). The eligibility parameters' own version label is used only before any is
    /// recorded, so an organisation signs the same policy its people later accept.
    static func aupVersion(on sql: any SQLDatabase, fallback: String) async throws -> String {
        try await currentAUP(on: sql)?.version ?? fallback
    }
}
