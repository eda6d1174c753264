import Foundation
import Testing

@testable import OnboardDomain

@Suite("Session policy")
struct SessionPolicyTests {
    let policy = SessionPolicy.standard
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("Limits are 30 minutes idle and 12 hours in all")
    func standardLimits() {
        #expect(policy.idleLimit == 30 * 60)
        #expect(policy.absoluteLimit == 12 * 60 * 60)
    }

    @Test("Idle limit: valid one second before 30 minutes, ended at 30 minutes")
    func idleBoundary() {
        let lastSeen = start.addingTimeInterval(60)
        #expect(
            policy.verdict(createdAt: start, lastSeenAt: lastSeen, now: lastSeen.addingTimeInterval(1799)) == .valid)
        #expect(
            policy.verdict(createdAt: start, lastSeenAt: lastSeen, now: lastSeen.addingTimeInterval(1800))
                == .idleTooLong)
    }

    @Test("Absolute limit: ends at 12 hours even when the session was just used")
    func absoluteBoundary() {
        let almost = start.addingTimeInterval(12 * 3600 - 1)
        #expect(policy.verdict(createdAt: start, lastSeenAt: almost, now: almost) == .valid)
        let limit = start.addingTimeInterval(12 * 3600)
        #expect(policy.verdict(createdAt: start, lastSeenAt: limit, now: limit) == .tooOld)
    }

    @Test("A session past both limits is reported as too old")
    func bothLimits() {
        let now = start.addingTimeInterval(13 * 3600)
        #expect(policy.verdict(createdAt: start, lastSeenAt: start, now: now) == .tooOld)
    }

    @Test("Multi-factor outranks password")
    func signInLevels() {
        #expect(SignInLevel.password < SignInLevel.multiFactor)
    }
}

@Suite("Return paths after sign-in")
struct ReturnPathTests {
    @Test("A path on this site is kept")
    func local() {
        #expect(ReturnPath.safe("/organisations") == "/organisations")
        #expect(ReturnPath.safe("/accounts?page=2&q=ann") == "/accounts?page=2&q=ann")
    }

    @Test("Anything a browser could read as another host is refused")
    func otherHosts() {
        for raw in [
            "//evil.example", "/\t/evil.example/", "/\n/evil.example", "/\\evil.example", "\\\\evil.example",
            "https://evil.example/", "/x?u=https://evil.example", "evil.example", "", "/ /evil", "/caf\u{E9}",
            "/" + String(repeating: "a", count: 600),
        ] {
            #expect(ReturnPath.safe(raw) == nil, "\(raw.debugDescription)")
        }
    }
}
