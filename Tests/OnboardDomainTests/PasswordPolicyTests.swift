import Testing

@testable import OnboardDomain

@Suite("Password policy")
struct PasswordPolicyTests {
    @Test("Decomposed and precomposed accents give the same bytes after NFC normalisation")
    func nfcNormalisation() {
        let decomposed = "Caf" + "e\u{301}" + "-password-1"
        let precomposed = "Caf" + "\u{E9}" + "-password-1"
        #expect(Array(decomposed.utf8) != Array(precomposed.utf8))
        #expect(Array(PasswordPolicy.normalise(decomposed).utf8) == Array(PasswordPolicy.normalise(precomposed).utf8))
        #expect(PasswordPolicy.acceptNew(decomposed) == PasswordPolicy.acceptNew(precomposed))
        #expect(PasswordPolicy.forVerification(decomposed) == PasswordPolicy.forVerification(precomposed))
    }

    @Test("64 ASCII characters always fit")
    func sixtyFourASCIIFit() {
        let password = String(repeating: "a", count: 64)
        #expect(PasswordPolicy.acceptNew(password) == .success(password))
    }

    @Test("Exactly 72 bytes is accepted; 73 bytes is refused as too long")
    func seventyTwoByteLimit() {
        let exact = String(repeating: "b", count: 72)
        #expect(PasswordPolicy.acceptNew(exact) == .success(exact))
        #expect(PasswordPolicy.acceptNew(exact + "c") == .failure(.tooLong))
        // 36 two-byte letters are 72 bytes; one more is 74.
        let accented = String(repeating: "\u{E9}", count: 36)
        #expect(PasswordPolicy.acceptNew(accented) == .success(accented))
        #expect(PasswordPolicy.acceptNew(accented + "\u{E9}") == .failure(.tooLong))
    }

    @Test("Bytes are counted after normalisation, not before")
    func countedAfterNormalisation() {
        // 36 decomposed é are 108 bytes as typed but 72 bytes in NFC.
        let decomposed = String(repeating: "e\u{301}", count: 36)
        #expect(decomposed.utf8.count == 108)
        #expect(PasswordPolicy.acceptNew(decomposed) == .success(String(repeating: "\u{E9}", count: 36)))
    }

    @Test("Short and empty passwords are refused with their own reason")
    func shortAndEmpty() {
        #expect(PasswordPolicy.acceptNew("") == .failure(.empty))
        #expect(PasswordPolicy.acceptNew("ninechars") == .failure(.tooShort))
        #expect(PasswordPolicy.acceptNew("ten-chars!") == .success("ten-chars!"))
    }

    @Test("Verification refuses anything beyond 72 bytes, so bcrypt never sees it")
    func verificationRefusesLong() {
        let exact = String(repeating: "d", count: 72)
        #expect(PasswordPolicy.forVerification(exact) == exact)
        #expect(PasswordPolicy.forVerification(exact + "X") == nil)
        #expect(PasswordPolicy.forVerification(exact + "Y") == nil)
        #expect(PasswordPolicy.forVerification("") == nil)
    }

    @Test("The too-long message tells a person what to do")
    func tooLongMessage() {
        #expect(PasswordPolicy.Problem.tooLong.message.contains("64 characters"))
    }
}

@Suite("Password policy: personal rules")
struct PasswordPersonalRuleTests {
    let common: Set<String> = ["password1234", "qwertyuiop"]

    func check(_ password: String) -> Result<String, PasswordPolicy.Problem> {
        PasswordPolicy.acceptNew(password, givenName: "Siân", familyName: "O'Brien", isCommon: common.contains)
    }

    @Test("At least 10 characters, with no composition rules")
    func length() {
        #expect(check("plainwords") == .success("plainwords"))
        #expect(check("ninechars") == .failure(.tooShort))
    }

    @Test("Not the person's names, whatever the case or accents")
    func names() {
        #expect(check("my-name-is-SIAN!") == .failure(.containsName))
        #expect(check("o'brien-and-co") == .failure(.containsName))
    }

    @Test("Not on the blocklist, in any letter case")
    func blocklist() {
        #expect(check("Password1234") == .failure(.common))
        #expect(check("QwertyUIOP") == .failure(.common))
    }
}
