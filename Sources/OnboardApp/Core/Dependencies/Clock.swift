import Foundation
import NIOConcurrencyHelpers
import OnboardDomain
import Vapor

/// The time, as a seam: live reads the system clock; tests set and advance it.
public struct AppClock: Sendable {
    public var now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let live = AppClock { Date() }

    /// A clock that only moves when told to.
    public static func fixed(_ start: Date) -> (AppClock, FixedClockControl) {
        let control = FixedClockControl(start)
        return (AppClock { control.current }, control)
    }
}

public final class FixedClockControl: Sendable {
    private let box: NIOLockedValueBox<Date>
    init(_ start: Date) { box = NIOLockedValueBox(start) }
    public var current: Date { box.withLockedValue { $0 } }
    public func advance(by seconds: TimeInterval) { box.withLockedValue { $0 += seconds } }
    public func set(_ date: Date) { box.withLockedValue { $0 = date } }
}

/// Random bytes for secrets, as a seam so tests can be repeatable.
public struct SecretGenerator: Sendable {
    public var bytes: @Sendable (Int) -> [UInt8]

    public init(bytes: @escaping @Sendable (Int) -> [UInt8]) { self.bytes = bytes }

    public static let live = SecretGenerator { count in
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// A URL-safe token carrying `count` random bytes.
    public func token(bytes count: Int = 32) -> String {
        Data(bytes(count)).base64URLEncoded
    }
}

/// Password hashing as a seam: bcrypt cost 12 live; tests may use a lower cost for speed.
public struct PasswordHashing: Sendable {
    public var cost: Int
    /// Threads that hash; nil for one fewer than the cores.
    public var threads: Int?
    /// Hashes that may wait for a thread before more are refused as busy.
    public var queueLimit: Int
    /// Stands in for bcrypt (tests); nil for bcrypt at `cost`.
    public var hasher: (any PasswordHasher)?

    public init(cost: Int, threads: Int? = nil, queueLimit: Int = 16, hasher: (any PasswordHasher)? = nil) {
        self.cost = cost
        self.threads = threads
        self.queueLimit = queueLimit
        self.hasher = hasher
    }

    public static let live = PasswordHashing(cost: 12)
}
