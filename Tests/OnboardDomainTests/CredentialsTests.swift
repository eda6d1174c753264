import Foundation
import Testing

@testable import OnboardDomain

@Suite("Temporary passwords, security codes and lockout")
struct CredentialsTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("A temporary password carries 120 bits as six readable groups of four")
    func temporaryPasswordShape() {
        let password = TemporaryPassword.make(from: Array(repeating: 0xff, count: 15))
        #expect(password == "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ")
        let mixed = TemporaryPassword.make(from: (0..<15).map { UInt8($0 * 17) })
        #expect(mixed.split(separator: "-").count == 6)
        #expect(!mixed.contains { "ILOU".contains($0) })
        #expect(TemporaryPassword.bytesNeeded * 8 >= 112)
    }

    @Test("Typed temporary passwords ignore case, spaces and hyphens, and read O, I and L as digits")
    func temporaryPasswordNormalising() {
        #expect(TemporaryPassword.normalise("abcd efgh-oil0") == "ABCDEFGH0110")
        #expect(TemporaryPassword.looksLike("zzzz zzzz zzzz zzzz zzzz zzzz"))
        #expect(!TemporaryPassword.looksLike("Onboard-demo-2026"))
    }

    @Test("Security codes are six digits, uniformly drawn")
    func securityCodeShape() {
        var calls = 0
        // The first draw is above the unbiased limit and must be rejected.
        let code = SecurityCode.make { count in
            calls += 1
            return calls == 1 ? Array(repeating: 0xff, count: count) : [0, 0, 0x30, 0x39]
        }
        #expect(code == "012345")
        #expect(calls == 2)
    }

    @Test(
        "A code is judged by its age, use, tries on it and tries across resends",
        arguments: [
            (true, 0.0, false, 0, 0, SecurityCode.Verdict.accepted),
            (false, 0.0, false, 0, 0, .wrong(remaining: 4)),
            (false, 0.0, false, 4, 4, .wrong(remaining: 0)),
            (true, 0.0, false, 5, 5, .noLiveCode),
            (true, 600.0, false, 0, 0, .expired),
            (true, 599.0, false, 0, 0, .accepted),
            (true, 0.0, true, 0, 0, .noLiveCode),
            (true, 0.0, false, 0, 10, .tooManyTries),
        ])
    func judging(
        matches: Bool, age: Double, spent: Bool, triesOnCode: Int, triesInWindow: Int, expected: SecurityCode.Verdict
    ) {
        let verdict = SecurityCode.judge(
            matches: matches, issuedAt: now.addingTimeInterval(-age), usedOrSuperseded: spent,
            triesOnCode: triesOnCode, triesInWindow: triesInWindow, now: now)
        #expect(verdict == expected)
    }

    @Test("Ten failures lock for 15 minutes, and each repeat doubles it")
    func lockoutDoubles() {
        let policy = LockoutPolicy.standard
        var counters = LockoutPolicy.cleared
        for _ in 0..<9 { counters = policy.afterFailure(counters, now: now) }
        #expect(!policy.isLocked(counters, now: now))
        counters = policy.afterFailure(counters, now: now)
        #expect(counters.lockedUntil == now.addingTimeInterval(15 * 60))
        let later = now.addingTimeInterval(15 * 60)
        #expect(!policy.isLocked(counters, now: later))
        for _ in 0..<10 { counters = policy.afterFailure(counters, now: later) }
        #expect(counters.lockedUntil == later.addingTimeInterval(30 * 60))
    }

    @Test("Attempts while locked neither count nor extend the lock")
    func lockedAttemptsIgnored() {
        let policy = LockoutPolicy(threshold: 2)
        let locked = policy.afterFailure(policy.afterFailure(LockoutPolicy.cleared, now: now), now: now)
        #expect(policy.isLocked(locked, now: now))
        #expect(policy.afterFailure(locked, now: now.addingTimeInterval(60)) == locked)
    }

    @Test("Text messages are capped per account, number and client address")
    func textCaps() {
        let caps = TextMessageCaps.standard
        #expect(caps.allows(sentToAccount: 4, sentToNumber: 4, sentFromClient: 29))
        #expect(!caps.allows(sentToAccount: 5, sentToNumber: 0, sentFromClient: 0))
        #expect(!caps.allows(sentToAccount: 0, sentToNumber: 5, sentFromClient: 0))
        #expect(!caps.allows(sentToAccount: 0, sentToNumber: 0, sentFromClient: 30))
    }

    @Test("Every role above an ordinary user needs a second factor")
    func secondFactorRoles() {
        #expect(!SecondFactorRule.required(for: [.user]))
        for role in Role.allCases where role != .user {
            #expect(SecondFactorRule.required(for: [.user, role]))
        }
    }
}

@Suite("TOTP (RFC 6238)")
struct TOTPTests {
    /// RFC 6238 appendix B's SHA-1 secret; its 8-digit answers end in these 6 digits.
    let totp = TOTP(secret: Array("12345678901234567890".utf8))

    @Test(
        "The RFC's test vectors",
        arguments: [
            (59.0, "287082"), (1_111_111_109.0, "081804"), (1_111_111_111.0, "050471"),
            (1_234_567_890.0, "005924"), (2_000_000_000.0, "279037"),
        ])
    func vectors(time: Double, code: String) {
        #expect(totp.code(at: Date(timeIntervalSince1970: time)) == code)
    }

    @Test("A code is accepted one step either side, and never twice")
    func driftAndReuse() throws {
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let step = TOTP.counter(at: now)
        let used = try #require(totp.verify(totp.code(at: now), at: now, lastUsedStep: nil))
        #expect(used == step)
        #expect(totp.verify(totp.code(at: now), at: now, lastUsedStep: used) == nil)
        #expect(totp.verify(totp.code(counter: step + 1), at: now, lastUsedStep: used) == step + 1)
        #expect(totp.verify(totp.code(counter: step - 2), at: now, lastUsedStep: nil) == nil)
        #expect(totp.verify("12345", at: now, lastUsedStep: nil) == nil)
    }

    @Test("Secrets travel as base32 and as an otpauth link")
    func encoding() {
        #expect(Base32.encode(Array("Hello!".utf8) + [0xde, 0xad, 0xbe, 0xef]) == "JBSWY3DPEHPK3PXP")
        #expect(Base32.decode("jbsw y3dp ehpk 3pxp") == Array("Hello!".utf8) + [0xde, 0xad, 0xbe, 0xef])
        let link = totp.provisioningURI(account: "jane.doe@nhs.net", issuer: "Onboard")
        #expect(link.hasPrefix("otpauth://totp/Onboard%3Ajane.doe@nhs.net?secret=GEZDGNBVGY3TQOJQ"))
        #expect(link.contains("issuer=Onboard"))
    }
}
