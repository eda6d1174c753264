import Crypto
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// A stand-in for GOV.UK Notify on a free port: it checks each request's JWT and body the way Notify does,
/// and answers with the statuses it is given, in turn.
final class FakeNotify: Sendable {
    struct Received: Sendable {
        let status: Int
        let phone: String?
        let template: String
        let reference: String
        let personalisation: [String: String]
    }

    let serviceID = UUID().uuidString.lowercased()
    let secret = UUID().uuidString.lowercased()
    private let script: NIOLockedValueBox<[Int]>
    private let log = NIOLockedValueBox<[Received]>([])
    private let problems = NIOLockedValueBox<[String]>([])
    let app: Application

    var received: [Received] { log.withLockedValue { $0 } }
    var delivered: [Received] { received.filter { $0.status == 201 } }
    var refusals: [String] { problems.withLockedValue { $0 } }

    init(statuses: [Int], now: @escaping @Sendable () -> Date) async throws {
        script = NIOLockedValueBox(statuses)
        app = try await Application.make(.testing)
        app.logger.logLevel = .critical
        let secret = self.secret
        let serviceID = self.serviceID
        let script = self.script
        let log = self.log
        let problems = self.problems
        let handler: @Sendable (Request) async throws -> Response = { req in
            // Notify's body is snake_case, as it arrives.
            struct Body: Decodable {
                let phoneNumber: String?
                let emailAddress: String?
                let templateID: String
                let reference: String?
                let personalisation: [String: String]?

                enum CodingKeys: String, CodingKey {
                    case phoneNumber = "phone_number"
                    case emailAddress = "email_address"
                    case templateID = "template_id"
                    case reference, personalisation
                }
            }
            // The JWT: HS256 over header.claims with the secret; iss is the service id, iat is now.
            let token = req.headers.bearerAuthorization?.token ?? ""
            let parts = token.split(separator: ".").map(String.init)
            var valid = parts.count == 3
            if valid {
                let mac = HMAC<SHA256>.authenticationCode(
                    for: Data("\(parts[0]).\(parts[1])".utf8), using: SymmetricKey(data: Data(secret.utf8)))
                valid = Data(mac).base64URLEncoded == parts[2]
                struct Claims: Decodable {
                    let iss: String
                    let iat: Int
                }
                let claims = Data(base64URLEncoded: parts[1]).flatMap {
                    try? JSONDecoder().decode(Claims.self, from: $0)
                }
                // Notify refuses a token issued more than 30 seconds from its own clock.
                let age = claims.map { abs(Int(now().timeIntervalSince1970) - $0.iat) } ?? Int.max
                valid = valid && claims?.iss == serviceID && age <= 30
            }
            guard valid else {
                problems.withLockedValue { $0.append("bad token") }
                return Response(
                    status: .forbidden,
                    body: .init(
                        string: #"{"status_code":403,"errors":[{"error":"AuthError","message":"Invalid token"}]}"#))
            }
            guard let body = try? req.content.decode(Body.self, as: .json), UUID(uuidString: body.templateID) != nil
            else {
                problems.withLockedValue { $0.append("bad body") }
                return Response(status: .badRequest)
            }
            let status = script.withLockedValue { $0.isEmpty ? 201 : $0.removeFirst() }
            log.withLockedValue {
                $0.append(
                    Received(
                        status: status, phone: body.phoneNumber ?? body.emailAddress, template: body.templateID,
                        reference: body.reference ?? "", personalisation: body.personalisation ?? [:]))
            }
            switch status {
            case 201:
                return Response(
                    status: .created,
                    body: .init(
                        string: #"{"id":"\#(UUID().uuidString.lowercased())","reference":"\#(body.reference ?? "")"}"#))
            case 400:
                return Response(
                    status: .badRequest,
                    body: .init(
                        string:
                            #"{"status_code":400,"errors":[{"error":"BadRequestError","message":"Can't send to this recipient"}]}"#
                    ))
            default:
                return Response(
                    status: HTTPResponseStatus(statusCode: status),
                    body: .init(
                        string:
                            #"{"status_code":\#(status),"errors":[{"error":"Exception","message":"Internal server error"}]}"#
                    ))
            }
        }
        app.post("v2", "notifications", "sms", use: handler)
        app.post("v2", "notifications", "email", use: handler)
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
    }

    func settings() throws -> NotifySettings {
        let port = app.http.server.shared.localAddress?.port ?? 0
        return try NotifySettings.parse(
            key: "onboard_test-\(serviceID)-\(secret)", baseURL: "http://127.0.0.1:\(port)",
            templates: MessageTemplate.allCases.map { "\($0.rawValue)=\(UUID().uuidString.lowercased())" }
                .joined(separator: ","))
    }

    func stop() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }
}

extension Data {
    init?(base64URLEncoded text: String) {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        self.init(base64Encoded: base)
    }
}

@Suite("GOV.UK Notify")
struct NotifyTests {
    /// A pending account with an activation code queued for its phone.
    func queuedCode(_ app: Application) async throws -> UUID {
        let organisation = try await organisationID(app, ods: "RR801")
        let request = try AccountRequest(
            givenName: "Ada", familyName: "Lovelace", mobile: "07700900123", organisationODS: "RR801", localPart: nil,
            method: .assisted
        ).validated()
        let settings = app.settings
        let now = app.clock.now()
        return try await app.db.transaction { db in
            let sql = db as! any SQLDatabase
            let created = try await AccountService.create(
                request, organisation: organisation, createdBy: nil, settings: settings, context: .system, now: now,
                on: sql)
            let summary = try #require(try await AccountStore.summary(created.id, on: sql))
            try await AccountService.sendAssistedCode(account: summary, context: .system, now: now, on: sql)
            return created.id
        }
    }

    func outboxState(_ app: Application) async throws -> (String, Int) {
        struct Row: Decodable {
            let state: String
            let attempts: Int
        }
        let row = try #require(
            try await (app.db as! any SQLDatabase).raw("SELECT state, attempts FROM outbox").firstRow(Row.self))
        return (row.state, row.attempts)
    }

    func codeWorks(_ app: Application, account: UUID, _ code: String) async throws -> Bool {
        let key = app.settings.sessionSecretForCodes
        let now = app.clock.now()
        return try await app.db.transaction { db in
            try await AccountService.checkCode(
                code, account: account, purpose: .activation, key: key, now: now, on: db as! any SQLDatabase
            ).0 == .accepted
        }
    }

    @Test("Notify answering 500 and then 201 gets the text exactly once, with a valid token and body")
    func retriesUntilAccepted() async throws {
        try await withTestApp { app, clock in
            let fake = try await FakeNotify(statuses: [500, 201], now: { clock.current })
            app.dependencies.notifier = .govukNotify(try fake.settings())
            let account = try await queuedCode(app)
            try await drainJobs(app)
            #expect(fake.received.count == 1)
            #expect(try await outboxState(app) == ("queued", 1))
            clock.advance(by: 3600)
            try await drainJobs(app)
            try await drainJobs(app)
            await fake.stop()
            #expect(fake.refusals.isEmpty, "every request carried a valid JWT and body: \(fake.refusals)")
            #expect(fake.received.count == 2)
            #expect(fake.delivered.count == 1, "the text arrives exactly once")
            #expect(try await outboxState(app) == ("sent", 2))
            let text = try #require(fake.delivered.first)
            #expect(text.phone == "+447700900123")
            #expect(UUID(uuidString: text.reference) != nil, "the reference is the outbox id")
            let code = try #require(text.personalisation["code"])
            #expect(try await codeWorks(app, account: account, code))
        }
    }

    @Test("A refusal that can never succeed is recorded and not retried")
    func permanentFailure() async throws {
        try await withTestApp { app, clock in
            let fake = try await FakeNotify(statuses: [400], now: { clock.current })
            app.dependencies.notifier = .govukNotify(try fake.settings())
            _ = try await queuedCode(app)
            try await drainJobs(app)
            clock.advance(by: 3600)
            try await drainJobs(app)
            await fake.stop()
            #expect(fake.received.count == 1)
            #expect(try await outboxState(app) == ("failed", 1))
        }
    }

    struct Killed: Error {}

    @Test("A worker killed right after Notify's 201 loses nothing: the text is sent again and the newest code works")
    func killedAfterAcceptance() async throws {
        try await withTestApp { app, clock in
            let fake = try await FakeNotify(statuses: [201, 201], now: { clock.current })
            let real = Notifier.govukNotify(try fake.settings())
            let account = try await queuedCode(app)
            // The worker takes the job, Notify accepts the text, and the worker dies before recording it.
            let job = try #require(try await app.jobs.claim(on: app.db, now: clock.current))
            app.dependencies.notifier = Notifier { message, app in
                _ = try await real.send(message, app)
                throw Killed()
            }
            await #expect(throws: Killed.self) { try await Outbox.run(job, app) }
            #expect(fake.delivered.count == 1)
            #expect(try await outboxState(app).0 == "queued", "nothing recorded the send")

            // Another worker finds the lapsed lease and sends again.
            app.dependencies.notifier = real
            clock.advance(by: app.jobs.leaseDuration + 1)
            try await drainJobs(app)
            await fake.stop()
            #expect(fake.delivered.count == 2, "delivery is at least once")
            #expect(try await outboxState(app).0 == "sent")
            let newest = try #require(fake.delivered.last?.personalisation["code"])
            #expect(try await codeWorks(app, account: account, newest))
        }
    }
}

@Suite("GOV.UK Notify: the applications' emails")
struct NotifyEmailTests {
    @Test("With a Notify key, an application's email leaves through the notice template")
    func noticeTemplate() async throws {
        let fake = try await FakeNotify(statuses: [201], now: { Date() })
        let settings = try fake.settings()
        try await MessageSender.govukNotify(settings).send(
            OutboundMessage(
                to: "ada@example.org", subject: "We have your application", body: "Thank you", sentAt: Date()))
        await fake.stop()
        #expect(fake.refusals.isEmpty)
        let sent = try #require(fake.delivered.first)
        #expect(sent.phone == "ada@example.org")
        #expect(sent.template == settings.templates["notice"])
        #expect(sent.personalisation == ["subject": "We have your application", "body": "Thank you"])
    }
}
