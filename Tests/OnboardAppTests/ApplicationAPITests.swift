import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Applications through the API")
struct ApplicationAPITests {
    struct Created: Decodable {
        let reference: String
        let state: String
        let history: [History]
        struct History: Decodable {
            let action: String
            let state: String
        }
    }

    func json(_ text: String) -> HTTPHeaders { ["Content-Type": "application/json"] }

    func body(email: String = "api@wetherbyvision.co.uk", mobile: String = "07700 900123", ods: String = "TP004")
        -> ByteBuffer
    {
        ByteBuffer(
            string: """
                {"kind":"optometrist","applicantEmail":"\(email)","answers":{"applicantName":"Ada Lovelace",
                "applicantRole":"Optometrist","mobile":"\(mobile)","odsCode":"\(ods)","practiceName":"Wetherby Vision Centre",
                "postcode":"LS22 6DD","region":"north_east_and_yorkshire","registrationNumber":"01-12345",
                "exchangesPatientInformation":"regular","usesOtherPubliclyFundedEmail":"no","wantsSharedMailbox":"no"}}
                """)
    }

    func headers(_ token: String) -> HTTPHeaders {
        var headers = bearer(token)
        headers.add(name: .contentType, value: "application/json")
        return headers
    }

    func count(_ app: Application) async throws -> Int {
        struct Row: Decodable { let n: Int }
        return try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM applications").firstRow(
            Row.self)?.n ?? -1
    }

    @Test("A regional contact submits, reads and decides an application in their region")
    func submitReadDecide() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.rachel)
            let created = try await app.send(.POST, "/api/v1/applications", headers: headers(token), body: body())
            #expect(created.status == .created)
            let application = try JSONDecoder().decode(Created.self, from: Data(created.body.readableBytesView))
            #expect(application.state == "submitted")
            #expect(application.reference.wholeMatch(of: /APP-[A-Z0-9]{4}-[A-Z0-9]{4}/) != nil)

            let again = try await app.send(.POST, "/api/v1/applications", headers: headers(token), body: body())
            #expect(again.status == .conflict)
            #expect(again.body.string.contains(application.reference))

            let read = try await app.send(
                .GET, "/api/v1/applications/\(application.reference.lowercased())", headers: bearer(token))
            #expect(read.status == .ok)

            let noReason = try await app.send(
                .POST, "/api/v1/applications/\(application.reference)/decisions", headers: headers(token),
                body: ByteBuffer(string: #"{"action":"pass_to_la","assigneeOds":"QWO"}"#))
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.problemFields.contains("reason"))

            let passed = try await app.send(
                .POST, "/api/v1/applications/\(application.reference)/decisions", headers: headers(token),
                body: ByteBuffer(string: #"{"action":"pass_to_la","assigneeOds":"QWO","reason":"Regular referrals."}"#))
            #expect(passed.status == .ok)
            let after = try JSONDecoder().decode(Created.self, from: Data(passed.body.readableBytesView))
            #expect(after.state == "passed_to_la")
            #expect(after.history.map(\.action) == ["submit", "pass_to_la"])

            // The LA it was passed to completes it; the regional contact no longer can.
            let chloe = try await apiToken(app, email: Demo.chloe)
            let rachelComplete = try await app.send(
                .POST, "/api/v1/applications/\(application.reference)/decisions", headers: headers(token),
                body: ByteBuffer(string: #"{"action":"complete","reason":"Done."}"#))
            #expect(rachelComplete.status == .unprocessableEntity)
            let done = try await app.send(
                .POST, "/api/v1/applications/\(application.reference)/decisions", headers: headers(chloe),
                body: ByteBuffer(string: #"{"action":"complete","reason":"Account set up.","activation":"assisted"}"#))
            #expect(done.status == .ok)
            struct Made: Decodable { let account: UUID? }
            let made = try await (app.db as! any SQLDatabase).raw(
                "SELECT created_account_id AS account FROM applications WHERE reference = \(bind: application.reference)"
            ).firstRow(Made.self)
            let account = try #require(made?.account, "completing through the API sets the account up")
            let summary = try await AccountStore.summary(account, on: app.db as! any SQLDatabase)
            #expect(summary?.activationMethod == "assisted", "activated as the LA chose")
        }
    }

    @Test("Every bad answer is named, and nothing is saved")
    func badAnswers() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.rachel)
            let response = try await app.send(
                .POST, "/api/v1/applications", headers: headers(token), body: body(mobile: "0113 496 0000", ods: "!"))
            #expect(response.status == .unprocessableEntity)
            #expect(response.isProblemJSON)
            let fields = response.problemFields
            #expect(fields.contains("answers.mobile"))
            #expect(fields.contains("answers.odsCode"))
            #expect(try await count(app) == 0)
        }
    }

    @Test("Another region's contact can neither submit for, nor read, nor decide the region's applications")
    func otherRegion() async throws {
        try await withTestApp { app, _ in
            let grace = try await apiToken(app, email: Demo.grace)
            let refused = try await app.send(.POST, "/api/v1/applications", headers: headers(grace), body: body())
            #expect(refused.status == .forbidden)
            #expect(try await count(app) == 0, "a refused submission leaves nothing behind")
            let rachel = try await apiToken(app, email: Demo.rachel)
            let created = try await app.send(.POST, "/api/v1/applications", headers: headers(rachel), body: body())
            let reference = try JSONDecoder().decode(Created.self, from: Data(created.body.readableBytesView)).reference
            #expect(
                try await app.send(.GET, "/api/v1/applications/\(reference)", headers: bearer(grace)).status
                    == .notFound)
            let decide = try await app.send(
                .POST, "/api/v1/applications/\(reference)/decisions", headers: headers(grace),
                body: ByteBuffer(string: #"{"action":"reject","reason":"No."}"#))
            #expect(decide.status == .notFound)
        }
    }
}
