import Foundation
import Testing

@testable import OnboardDomain

@Suite("How long something has waited")
struct WaitingTests {
    @Test("Days once it is a day, hours before that, and never negative")
    func describe() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(Waiting.describe(since: now.addingTimeInterval(-600), now: now) == "less than an hour")
        #expect(Waiting.describe(since: now.addingTimeInterval(-3_600), now: now) == "1 hour")
        #expect(Waiting.describe(since: now.addingTimeInterval(-5 * 3_600), now: now) == "5 hours")
        #expect(Waiting.describe(since: now.addingTimeInterval(-86_400), now: now) == "1 day")
        #expect(Waiting.describe(since: now.addingTimeInterval(-3 * 86_400 - 100), now: now) == "3 days")
        #expect(Waiting.describe(since: now.addingTimeInterval(60), now: now) == "less than an hour")
    }
}
