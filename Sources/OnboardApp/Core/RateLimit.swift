import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Counts requests per client address in fixed windows. Public routes use it so nobody can hammer them;
/// the clock is the app's, so tests move time instead of waiting.
final class RateLimiter: Sendable {
    let limit: Int
    let window: TimeInterval
    private let counts = NIOLockedValueBox([String: (start: Date, count: Int)]())

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Nil when allowed; otherwise the seconds to wait.
    func check(_ key: String, now: Date) -> Int? {
        counts.withLockedValue { table in
            if table.count > 100_000 {
                table = table.filter { now.timeIntervalSince($0.value.start) < window }
            }
            var entry = table[key] ?? (now, 0)
            if now.timeIntervalSince(entry.start) >= window { entry = (now, 0) }
            entry.count += 1
            table[key] = entry
            guard entry.count > limit else { return nil }
            return max(1, Int((window - now.timeIntervalSince(entry.start)).rounded(.up)))
        }
    }
}

/// Refuses a client that has used up its window with 429 and Retry-After.
struct RateLimitMiddleware: AsyncMiddleware {
    let limiter: RateLimiter
    let applies: @Sendable (Request) -> Bool

    init(limiter: RateLimiter, paths: Set<String>) {
        self.limiter = limiter
        self.applies = { paths.contains($0.url.path) }
    }

    /// Counts only the requests `applies` picks: a method and a path prefix, say.
    init(limiter: RateLimiter, when applies: @escaping @Sendable (Request) -> Bool) {
        self.limiter = limiter
        self.applies = applies
    }

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard applies(req) else { return try await next.respond(to: req) }
        if let wait = limiter.check(req.clientAddress ?? "unknown", now: req.now) {
            guard req.url.path.hasPrefix("/api/") else {
                throw Abort(
                    .tooManyRequests, headers: ["Retry-After": String(wait)],
                    reason: "You have made too many requests. Wait \(wait) seconds, then try again.")
            }
            let response = OnboardErrorMiddleware.problem(
                status: .tooManyRequests, detail: "Too many requests. Try again in \(wait) seconds.", fields: nil)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(wait))
            return response
        }
        return try await next.respond(to: req)
    }
}

/// The public eligibility check's allowance per client address.
enum EligibilityLimits {
    static let perWindow = 30
    static let window: TimeInterval = 60
}

extension Application {
    private struct EligibilityLimiterKey: StorageKey { typealias Value = RateLimiter }

    var eligibilityLimiter: RateLimiter {
        if let existing = storage[EligibilityLimiterKey.self] { return existing }
        let limiter = RateLimiter(limit: EligibilityLimits.perWindow, window: EligibilityLimits.window)
        storage[EligibilityLimiterKey.self] = limiter
        return limiter
    }
}

extension Application {
    private struct GuidedStartLimiterKey: StorageKey { typealias Value = RateLimiter }

    /// The guided start is a page per answer, so it allows more than the API check.
    var guidedStartLimiter: RateLimiter {
        if let existing = storage[GuidedStartLimiterKey.self] { return existing }
        let limiter = RateLimiter(limit: 300, window: 60)
        storage[GuidedStartLimiterKey.self] = limiter
        return limiter
    }
}

extension Application {
    private struct ApplicantCodeLimiterKey: StorageKey { typealias Value = RateLimiter }

    /// Email codes and code checks per client address: enough for a family doctor's surgery behind one
    /// address, too few to mail-bomb anyone or to guess codes across applications.
    var applicantCodeLimiter: RateLimiter {
        if let existing = storage[ApplicantCodeLimiterKey.self] { return existing }
        let limiter = RateLimiter(limit: 30, window: 10 * 60)
        storage[ApplicantCodeLimiterKey.self] = limiter
        return limiter
    }
}

extension Application {
    private struct SignInLimiterKey: StorageKey { typealias Value = RateLimiter }

    /// Sign-in posts per client address: enough for a practice or ward behind one address, too few for one
    /// address to lock out many accounts (10 wrong passwords each) or to spray passwords across them.
    var signInLimiter: RateLimiter {
        if let existing = storage[SignInLimiterKey.self] { return existing }
        let limiter = RateLimiter(limit: 100, window: 10 * 60)
        storage[SignInLimiterKey.self] = limiter
        return limiter
    }
}
