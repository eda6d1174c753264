import Testing

@testable import OnboardDomain

@Suite("Log redaction")
struct LogRedactionTests {
    @Test("Credentials in headers, bearer tokens and the service's tokens are taken out")
    func headers() {
        let text = """
            ServerError(operationID: "getAccount", request: GET /api/v1/accounts/1 [Authorization: Bearer \
            onb_Zk3JqLm0xYtR8vWs, Cookie: onboard-session=9f8e7d6c5b4a; other=1, Accept: application/json])
            """
        let redacted = LogRedaction.redact(text)
        #expect(!redacted.contains("onb_Zk3JqLm0xYtR8vWs"))
        #expect(!redacted.contains("9f8e7d6c5b4a"))
        #expect(redacted.contains("Authorization: [redacted]"))
        #expect(redacted.contains("Accept: application/json"))
        #expect(LogRedaction.redact("token onb_abcdefghijkl seen") == "token onb_[redacted] seen")
    }

    @Test("Fields named like a password, code, token or secret lose their values; others keep theirs")
    func fields() {
        let form = LogRedaction.redact("email=ann%40nhs.net&password=Correct-Horse-9&code=123456&next=%2Fhome")
        #expect(form == "email=ann%40nhs.net&password=[redacted]&code=[redacted]&next=%2Fhome")
        let json = LogRedaction.redact(#"{"newPassword":"Secret-1","securityCode": "654321","name":"Ann"}"#)
        #expect(!json.contains("Secret-1") && !json.contains("654321") && json.contains(#""name":"Ann""#))
        #expect(LogRedaction.redact("api_key: k-123456 status=200") == "api_key: [redacted] status=200")
    }

    @Test("Only text holding a word a pattern starts from is searched; any case, and any non-ASCII text, is")
    func cues() {
        #expect(!LogRedaction.mightHoldSecret("request GET /api/v1/organisations/:ods 200 1.2"))
        #expect(LogRedaction.mightHoldSecret("AUTHORIZATION: x"))
        #expect(LogRedaction.mightHoldSecret("newPassWord=x"))
        #expect(LogRedaction.mightHoldSecret("ODSCode=RR8"))
        #expect(LogRedaction.mightHoldSecret("pa\u{17F}sword=x"), "ſ folds onto s in a case-insensitive pattern")
        #expect(LogRedaction.redact("route=/health status=200") == "route=/health status=200")
    }

    @Test("Digests are written as lower-case hexadecimal, two digits a byte")
    func hex() {
        #expect([0x00, 0x0f, 0xa5, 0xff].lowercaseHex == "000fa5ff")
        #expect([UInt8]().lowercaseHex == "")
    }
}
