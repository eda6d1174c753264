import Foundation

/// How background work is retried.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval

    public static let standard = RetryPolicy(maxAttempts: 5, baseDelay: 30, maxDelay: 3600)

    public init(maxAttempts: Int, baseDelay: TimeInterval, maxDelay: TimeInterval) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public enum Next: Equatable, Sendable {
        case retry(after: TimeInterval)
        case giveUp
    }

    /// After `attempts` failed tries: wait twice as long each time, up to a ceiling, then stop.
    public func afterFailure(attempts: Int) -> Next {
        guard attempts < maxAttempts else { return .giveUp }
        let exponent = Double(max(0, attempts - 1))
        return .retry(after: min(maxDelay, baseDelay * pow(2, exponent)))
    }
}

public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed
}
