import Foundation

/// How long a staff session lasts.
public struct SessionPolicy: Sendable, Equatable {
    public var idleLimit: TimeInterval
    public var absoluteLimit: TimeInterval

    public static let standard = SessionPolicy(idleLimit: 30 * 60, absoluteLimit: 12 * 60 * 60)

    public init(idleLimit: TimeInterval, absoluteLimit: TimeInterval) {
        self.idleLimit = idleLimit
        self.absoluteLimit = absoluteLimit
    }

    public enum Verdict: Equatable, Sendable {
        case valid
        case idleTooLong
        case tooOld
    }

    public func verdict(createdAt: Date, lastSeenAt: Date, now: Date) -> Verdict {
        if now.timeIntervalSince(createdAt) >= absoluteLimit { return .tooOld }
        if now.timeIntervalSince(lastSeenAt) >= idleLimit { return .idleTooLong }
        return .valid
    }
}

/// How strongly a session's holder has proved who they are.
public enum SignInLevel: Int, Sendable, Codable, Comparable {
    case password = 1
    /// Password and a second factor (step-up).
    case multiFactor = 2

    public static func < (lhs: SignInLevel, rhs: SignInLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
