import Foundation
import NIOCore
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// GOV.UK Notify's delivery receipts reach the message they report on, and the administrator sees them.
@Suite("Delivery receipts")
struct DeliveryReceiptTests {
    let token = "notify-callback-token-0123456789abcdef"

    func receipt(_ app: Application, id: String, status: String, token: String?) async throws
        -> TestingHTTPResponse
    {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let token { headers.add(name: .authorization, value: "Bearer \(token)") }
        return try await app.send(
            .POST, "/notify/delivery-receipts", headers: headers,
            body: ByteBuffer(string: #"{"id":"\#(id)","reference":null,"to":"07700900555","status":"\#(status)"}"#))
    }

    @Test("Without a configured token the address does not exist; a wrong token is refused")
    func refused() async throws {
        try await withTestApp(seed: false) { app, _ in
            let unconfigured = try await receipt(app, id: "x", status: "delivered", token: token)
            #expect(unconfigured.status == .notFound)
            app.dependencies.settings.notifyCallbackToken = token
            let missing = try await receipt(app, id: "x", status: "delivered", token: nil)
            #expect(missing.status == .unauthorized)
            let wrong = try await receipt(app, id: "x", status: "delivered", token: token + "x")
            #expect(wrong.status == .unauthorized)
            let right = try await receipt(app, id: "x", status: "delivered", token: token)
            #expect(right.status == .noContent)
        }
    }

    @Test("A failed text shows on the account page, so a wrong number is noticed before anyone waits for a code")
    func shownToTheAdministrator() async throws {
        try await withTestApp { app, _ in
            app.dependencies.settings.notifyCallbackToken = token
            let liam = try await apiToken(app, email: Demo.liam)
            var headers = bearer(liam)
            headers.contentType = .json
            let created = try await app.send(
                .POST, "/api/v1/accounts", headers: headers,
                body: ByteBuffer(
                    string:
                        #"{"firstName":"Nina","surname":"Wells","mobile":"07700900555","organisation":"RR801","activation":"automated"}"#
                ))
            struct Body: Decodable { let id: UUID }
            let account = try JSONDecoder().decode(Body.self, from: Data(buffer: created.body)).id
            let sql = app.db as! any SQLDatabase
            try await sql.raw(
                """
                UPDATE outbox SET state = 'sent', provider_id = 'notify-code-1'
                WHERE account_id = \(bind: account) AND template = 'security_code'
                """
            ).run()
            #expect(
                try await receipt(app, id: "notify-code-1", status: "permanent-failure", token: token).status
                    == .noContent)
            let session = try await signIn(app, email: Demo.liam)
            let page = try await app.get("/accounts/\(lower(account))", headers: session.headers).body.string
            #expect(page.contains("Texts and emails sent to them"))
            #expect(page.contains("Security code (text)"))
            #expect(page.contains("Not delivered: the mobile number may be wrong"))
            #expect(try await count(app, "FROM audit_events WHERE action = 'message.delivery'") == 1)
        }
    }
}
