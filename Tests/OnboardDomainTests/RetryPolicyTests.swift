import Testing

@testable import OnboardDomain

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("Backoff doubles after each failure")
    func doubles() {
        let policy = RetryPolicy.standard
        #expect(policy.afterFailure(attempts: 1) == .retry(after: 30))
        #expect(policy.afterFailure(attempts: 2) == .retry(after: 60))
        #expect(policy.afterFailure(attempts: 3) == .retry(after: 120))
        #expect(policy.afterFailure(attempts: 4) == .retry(after: 240))
    }

    @Test("Backoff is capped at the ceiling")
    func capped() {
        let policy = RetryPolicy(maxAttempts: 20, baseDelay: 30, maxDelay: 3600)
        #expect(policy.afterFailure(attempts: 7) == .retry(after: 1920))
        #expect(policy.afterFailure(attempts: 8) == .retry(after: 3600))
        #expect(policy.afterFailure(attempts: 15) == .retry(after: 3600))
    }

    @Test("Gives up once the attempts reach the maximum")
    func givesUp() {
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: 10, maxDelay: 100)
        #expect(policy.afterFailure(attempts: 2) == .retry(after: 20))
        #expect(policy.afterFailure(attempts: 3) == .giveUp)
        #expect(policy.afterFailure(attempts: 4) == .giveUp)
    }
}
