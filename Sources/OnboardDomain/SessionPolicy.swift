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

/// Where a sign-in may return to (`next`): only a path on this site. Browsers drop tabs and newlines from
/// URLs and read a backslash as a slash, so `/\t/evil.example` and `/\evil.example` are other hosts; the rule
/// therefore allows printable ASCII only, no backslash, and no second slash at the start.
public enum ReturnPath {
    public static let maximumLength = 512

    /// The path itself when it is safe, otherwise nil.
    public static func safe(_ raw: String) -> String? {
        let scalars = raw.unicodeScalars
        guard raw.hasPrefix("/"), scalars.count <= maximumLength,
            scalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" })
        else { return nil }
        let rest = raw.dropFirst()
        guard !rest.hasPrefix("/"), !raw.contains("://") else { return nil }
        return raw
    }
}
