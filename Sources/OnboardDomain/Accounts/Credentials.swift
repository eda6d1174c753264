import Foundation

/// A temporary password an administrator reads aloud or a text message carries: Crockford base32, which
/// has no I, L, O or U, in groups of four. 24 characters carry 120 bits of randomness.
public enum TemporaryPassword {
    public static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    public static let characters = 24
    public static let bytesNeeded = 15
    /// Lifetime before first use (DOMAIN.md): the account then shows as expired and is re-issued.
    public static let lifetime: TimeInterval = 7 * 86400

    /// Formats 15 random bytes as `ABCD-EFGH-…`.
    public static func make(from bytes: [UInt8]) -> String {
        precondition(bytes.count >= bytesNeeded, "a temporary password needs \(bytesNeeded) random bytes")
        var out: [Character] = []
        var buffer = 0
        var bits = 0
        for byte in bytes.prefix(bytesNeeded) {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[(buffer >> bits) & 31])
            }
        }
        return stride(from: 0, to: out.count, by: 4).map { String(out[$0..<min($0 + 4, out.count)]) }
            .joined(separator: "-")
    }

    /// What a person typed, made comparable: case, spaces and hyphens ignored, and the letters Crockford
    /// reads as digits (O as 0; I and L as 1) mapped as it says.
    public static func normalise(_ typed: String) -> String {
        var out = ""
        for character in typed.uppercased() {
            switch character {
            case " ", "-", "\t": continue
            case "O": out.append("0")
            case "I", "L": out.append("1")
            default: out.append(character)
            }
        }
        return out
    }

    /// Whether `typed` has the shape of a temporary password, so sign-in knows which check to run.
    public static func looksLike(_ typed: String) -> Bool {
        let normalised = normalise(typed)
        return normalised.count == characters && normalised.allSatisfy { alphabet.contains($0) }
    }
}

/// The six-digit codes sent by text: activation, reset, and a new mobile number.
public enum SecurityCode {
    public static let digits = 6
    public static let lifetime: TimeInterval = 10 * 60
    /// Wrong tries allowed on one code.
    public static let triesPerCode = 5
    /// Wrong tries allowed across every code of one purpose in `attemptWindow`, so resending never buys
    /// unlimited guesses.
    public static let triesPerWindow = 10
    public static let attemptWindow: TimeInterval = 24 * 3600

    /// A uniformly random code from a byte source: rejection sampling, so no digit string is likelier.
    public static func make(random: (Int) -> [UInt8]) -> String {
        let limit = UInt32.max - UInt32.max % 1_000_000
        while true {
            let bytes = random(4)
            let value = bytes.reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
            if value < limit { return String(format: "%06u", value % 1_000_000) }
        }
    }

    /// Only digits, spaces and hyphens removed: people read codes back in pairs.
    public static func normalise(_ typed: String) -> String {
        typed.filter { !$0.isWhitespace && $0 != "-" }
    }

    public enum Verdict: Equatable, Sendable {
        case accepted
        case wrong(remaining: Int)
        /// No code is live: none sent, already used, superseded by a resend, or out of tries.
        case noLiveCode
        case expired
        /// Too many wrong tries across resends: a new code will not be sent or accepted for a while.
        case tooManyTries
    }

    /// Judges one attempt. `matches` is whether the typed code hashes to the stored hash.
    public static func judge(
        matches: Bool, issuedAt: Date?, usedOrSuperseded: Bool, triesOnCode: Int, triesInWindow: Int, now: Date
    ) -> Verdict {
        if triesInWindow >= triesPerWindow { return .tooManyTries }
        guard let issuedAt, !usedOrSuperseded, triesOnCode < triesPerCode else { return .noLiveCode }
        if now.timeIntervalSince(issuedAt) >= lifetime { return .expired }
        if matches { return .accepted }
        return .wrong(remaining: max(0, triesPerCode - triesOnCode - 1))
    }
}

/// Timed lockout after consecutive failed sign-ins (Keycloak's brute-force model): the lock doubles on
/// each repeat, attempts while locked neither count nor extend it, and a success resets the count.
public struct LockoutPolicy: Sendable, Equatable {
    public var threshold: Int
    public var firstLock: TimeInterval
    public var longestLock: TimeInterval

    public init(threshold: Int = 10, firstLock: TimeInterval = 15 * 60, longestLock: TimeInterval = 24 * 3600) {
        self.threshold = threshold
        self.firstLock = firstLock
        self.longestLock = longestLock
    }

    public static let standard = LockoutPolicy()

    /// Wrong authenticator codes one sign-in may try before it ends and the password is asked for again.
    /// Each also counts against the account, towards the same timed lock as wrong passwords.
    public static let codeTriesPerSignIn = 5

    public struct Counters: Equatable, Sendable {
        public var failures: Int
        /// How many times the account has been locked since its last successful sign-in.
        public var locks: Int
        public var lockedUntil: Date?

        public init(failures: Int, locks: Int, lockedUntil: Date?) {
            self.failures = failures
            self.locks = locks
            self.lockedUntil = lockedUntil
        }
    }

    public func isLocked(_ counters: Counters, now: Date) -> Bool {
        counters.lockedUntil.map { now < $0 } ?? false
    }

    /// The counters after a wrong password. Unchanged while locked.
    public func afterFailure(_ counters: Counters, now: Date) -> Counters {
        if isLocked(counters, now: now) { return counters }
        let failures = counters.failures + 1
        guard failures >= threshold else {
            return Counters(failures: failures, locks: counters.locks, lockedUntil: counters.lockedUntil)
        }
        let duration = min(longestLock, firstLock * pow(2, Double(counters.locks)))
        return Counters(failures: 0, locks: counters.locks + 1, lockedUntil: now.addingTimeInterval(duration))
    }

    /// A correct password (outside a lock) or an administrator's unlock.
    public static let cleared = Counters(failures: 0, locks: 0, lockedUntil: nil)
}

/// Caps on text messages per hour, so the service cannot be used to flood a phone or run up a bill.
public struct TextMessageCaps: Sendable, Equatable {
    public var perAccount: Int
    public var perNumber: Int
    public var perClientAddress: Int
    public static let window: TimeInterval = 3600

    public init(perAccount: Int = 5, perNumber: Int = 5, perClientAddress: Int = 30) {
        self.perAccount = perAccount
        self.perNumber = perNumber
        self.perClientAddress = perClientAddress
    }

    public static let standard = TextMessageCaps()

    public func allows(sentToAccount: Int, sentToNumber: Int, sentFromClient: Int) -> Bool {
        sentToAccount < perAccount && sentToNumber < perNumber && sentFromClient < perClientAddress
    }
}

/// Which roles must use a second factor: every role above an ordinary user.
public enum SecondFactorRule {
    public static func required(for roles: Set<Role>) -> Bool {
        roles.contains { $0 != .user }
    }
}
