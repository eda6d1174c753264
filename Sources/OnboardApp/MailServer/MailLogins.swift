import Crypto
import Foundation
import NIOConcurrencyHelpers
import OnboardDomain
import SQLKit
import Vapor

/// Dovecot asks Onboard about every mail login and every mailbox it serves (docs/mail.md, "Who decides a
/// login"). Onboard answers from its own rules: the same password, lockout and states as the web, and the
/// answer is always live, so a lock or a disable refuses the very next login.
struct MailLogins: Sendable {
    let signIn: SignInService
    let directory: MailDirectory
    let cache: MailLoginCache
    let limiter: RateLimiter

    /// What Dovecot is told about a mailbox.
    struct Answer: Content, Equatable {
        var ok: Bool
        var user: String?
        var quotaBytes: Int64?
        var aclGroups: String?

        static let no = Answer(ok: false)

        enum CodingKeys: String, CodingKey {
            case ok, user
            case quotaBytes = "quota_bytes"
            case aclGroups = "acl_groups"
        }
    }

    /// Mail logins are activity, but recording each would write at every reconnect: once an hour is enough
    /// for the inactivity rules and for the account page.
    static let activityGranularity: TimeInterval = 3600

    /// A login from a mail client: the account's own address (or an alias) and its own password.
    func login(_ typed: String, password: String) async throws -> (Answer, refusal: String?) {
        let address = Identifiers.normaliseEmail(typed)
        if limiter.check(address, now: signIn.now) != nil { return (.no, "too_many_attempts") }
        // A repeated login with the same password skips the hash; the account's state is still read live.
        let found = try await SignInService.account(forAddress: address, on: signIn.db)
        if let account = found, let id = account.id, let hash = account.passwordHash,
            cache.contains(id, hash: hash, password: password, now: signIn.now),
            Self.mayLogIn(account, lockout: LockoutPolicy(threshold: signIn.settings.lockoutThreshold), now: signIn.now)
        {
            return (try await accepted(account), nil)
        }
        switch try await signIn.checkPassword(password, account: found, channel: .mail) {
        case .accepted(let account, _):
            if let id = account.id, let hash = account.passwordHash {
                cache.remember(id, hash: hash, password: password, now: signIn.now)
            }
            return (try await accepted(account), nil)
        case .refused(_, let reason, _):
            return (.no, reason)
        }
    }

    static func mayLogIn(_ account: Account, lockout: LockoutPolicy, now: Date) -> Bool {
        guard [.active, .inactive, .locked].contains(account.state) else { return false }
        return !lockout.isLocked(SignInService.counters(of: account), now: now)
    }

    private func accepted(_ account: Account) async throws -> Answer {
        try await recordActivity(account)
        return try await user(account.address) ?? .no
    }

    /// Records the login at most once an hour, clearing failures and resuming an inactive account or one
    /// whose lock has ended, as a web sign-in does.
    private func recordActivity(_ account: Account) async throws {
        let id = try account.requireID()
        let now = signIn.now
        let due = account.lastMailLoginAt.map { now.timeIntervalSince($0) >= Self.activityGranularity } ?? true
        guard due || account.failedSignIns > 0 || account.state != .active else { return }
        let service = signIn
        try await signIn.db.inTransaction { sql in
            try await sql.raw(
                """
                UPDATE accounts SET failed_sign_ins = 0, lock_count = 0, locked_until = NULL,
                    last_mail_login_at = \(bind: now), last_activity_at = \(bind: now)
                WHERE id = \(bind: id)
                """
            ).run()
            try await service.resume(account, on: sql)
        }
    }

    /// A mailbox lookup (delivery, or a login's user data): any address that takes mail.
    func user(_ typed: String) async throws -> Answer? {
        guard let mailbox = try await directory.mailbox(for: typed) else { return nil }
        var groups: [String] = []
        if case .account(let id) = mailbox.kind { groups = try await directory.sharedMailboxes(of: id) }
        return Answer(
            ok: true, user: mailbox.address, quotaBytes: mailbox.quotaBytes,
            aclGroups: groups.joined(separator: ","))
    }
}

/// Logins already checked with a password, kept for a while so a mail client's reconnects cost no hash.
/// Entries are keyed by a keyed hash of the account, its stored hash and the password, so a changed password
/// never matches, and the table holds no password.
final class MailLoginCache: Sendable {
    let lifetime: TimeInterval
    let capacity: Int
    private let key = SymmetricKey(size: .bits256)
    private let entries = NIOLockedValueBox([String: Date]())

    init(lifetime: TimeInterval = 900, capacity: Int = 200_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    private func fingerprint(_ account: UUID, hash: String, password: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(account.uuidString)\n\(hash)\n\(password)".utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    func contains(_ account: UUID, hash: String, password: String, now: Date) -> Bool {
        let print = fingerprint(account, hash: hash, password: password)
        return entries.withLockedValue { table in
            guard let expires = table[print] else { return false }
            if expires <= now { table[print] = nil }
            return expires > now
        }
    }

    func remember(_ account: UUID, hash: String, password: String, now: Date) {
        let print = fingerprint(account, hash: hash, password: password)
        entries.withLockedValue { table in
            if table.count >= capacity { table = table.filter { $0.value > now } }
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[print] = now.addingTimeInterval(lifetime)
        }
    }
}

extension Application {
    private struct MailLoginCacheKey: StorageKey { typealias Value = MailLoginCache }
    private struct MailLimiterKey: StorageKey { typealias Value = RateLimiter }

    var mailLoginCache: MailLoginCache {
        if let existing = storage[MailLoginCacheKey.self] { return existing }
        let cache = MailLoginCache()
        storage[MailLoginCacheKey.self] = cache
        return cache
    }

    /// Mail logins per address: enough for a client's parallel connections, too few to guess passwords.
    var mailLoginLimiter: RateLimiter {
        if let existing = storage[MailLimiterKey.self] { return existing }
        let limiter = RateLimiter(limit: 60, window: 60)
        storage[MailLimiterKey.self] = limiter
        return limiter
    }
}
