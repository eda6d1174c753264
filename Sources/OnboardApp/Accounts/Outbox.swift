import AsyncHTTPClient
import Crypto
import Foundation
import NIOHTTP1
import OnboardDomain
import SQLKit
import Vapor

/// Every message the service sends to a person about their account. The same names are the Notify
/// template names in `NOTIFY_TEMPLATES`; the fields are their personalisation (docs/notifications.md).
enum MessageTemplate: String, CaseIterable, Sendable, Codable {
    /// SMS: `code`.
    case securityCode = "security_code"
    /// SMS: `address`, `password`; the automated form's second message, and an admin's reset.
    case credentials
    /// Email to the LA or super user: `name`, `address`, `organisation`.
    case activationStarted = "activation_started"
    /// Email to the new mailbox: `name`.
    case welcome
    /// SMS: `name`, `organisation`.
    case leaver
    /// SMS to the old number: `name`.
    case mobileChanged = "mobile_changed"
    /// Email: `subject`, `body`. The applications' messages (receipts, decisions, invitations), whose words
    /// the service writes: one Notify template of `((subject))` and `((body))`.
    case notice

    var channel: Channel { [.activationStarted, .welcome, .notice].contains(self) ? .email : .sms }

    enum Channel: String, Sendable, Codable {
        case sms, email
    }

    /// The words the development sink shows, with the same fields Notify's templates use.
    func render(_ fields: [String: String]) -> String {
        let f = { (key: String) in fields[key] ?? "" }
        return switch self {
        case .securityCode:
            "Your NHSmail security code is \(f("code")). It lasts 10 minutes. Nobody from the service will ask you "
                + "for it, except your administrator on a call you are expecting."
        case .credentials:
            "Your NHSmail username is \(f("address")) and your temporary password is \(f("password")). "
                + "Sign in within 7 days and choose your own password."
        case .activationStarted:
            "\(f("name")) (\(f("address"))) at \(f("organisation")) has been sent their security code and "
                + "temporary password by text."
        case .welcome:
            "Welcome to NHSmail, \(f("name")). Your mailbox is ready."
        case .leaver:
            "\(f("name")), your NHSmail account has been marked as leaving \(f("organisation")). A new organisation's "
                + "administrator can move it within 30 days."
        case .mobileChanged:
            "\(f("name")), the mobile number on your NHSmail account has been changed. If this was not you, call your "
                + "administrator."
        case .notice: "\(f("subject"))\n\(f("body"))"
        }
    }
}

/// What a job reveals only at send time, so no secret ever rests in the outbox.
enum OutboxSecret: String, Sendable {
    /// A new security code for the `security_codes` row named by `secret_ref`.
    case securityCode = "security_code"
    /// A new temporary password for the account named by `secret_ref`.
    case temporaryPassword = "temporary_password"
}

enum Outbox {
    static let jobKind = "outbox.send"

    struct Row: Decodable, Sendable {
        let id: UUID
        let channel: String
        let template: String
        let recipient: String
        let fields: String
        let secret: String?
        let secretRef: UUID?
        let accountID: UUID?
        let state: String
    }

    /// Queues one message, and the job that sends it, in the caller's transaction.
    @discardableResult
    static func enqueue(
        _ template: MessageTemplate, to recipient: String, fields: [String: String] = [:], secret: OutboxSecret? = nil,
        secretRef: UUID? = nil, account: UUID?, client: String? = nil, now: Date, on sql: any SQLDatabase
    ) async throws -> UUID {
        let id = UUID()
        let encoded = String(data: try JSONEncoder().encode(fields), encoding: .utf8) ?? "{}"
        try await sql.insert(
            into: "outbox",
            row: [
                "id": id, "channel": template.channel.rawValue, "template": template.rawValue, "recipient": recipient,
                "fields": encoded, "secret": secret?.rawValue, "secret_ref": secretRef, "account_id": account,
                "client_address": client, "state": "queued", "attempts": 0, "created_at": now,
            ]
        )
        .run()
        try await JobRunner.enqueue(jobKind, payload: #"{"outbox":"\#(id.uuidString)"}"#, runAt: now, on: sql)
        return id
    }

    /// Many messages at once, for bulk registration: the rows and their send jobs in a few statements.
    /// Each is (template, recipient, fields, secret, secret ref, account).
    static func enqueueMany(
        _ messages: [(MessageTemplate, String, [String: String], OutboxSecret, UUID, UUID)], now: Date,
        on sql: any SQLDatabase
    ) async throws {
        var rows: [[any Encodable & Sendable]] = []
        var jobs: [[any Encodable & Sendable]] = []
        let encoder = JSONEncoder()
        for (template, recipient, fields, secret, ref, account) in messages {
            let id = UUID()
            let encoded = String(data: try encoder.encode(fields), encoding: .utf8) ?? "{}"
            rows.append([
                id, template.channel.rawValue, template.rawValue, recipient, encoded, secret.rawValue, ref, account,
                String?.none, "queued", 0, now,
            ])
            jobs.append([
                UUID(), jobKind, #"{"outbox":"\#(id.uuidString)"}"#, JobState.queued.rawValue, 0,
                RetryPolicy.standard.maxAttempts, now, now,
            ])
        }
        try await sql.insertRows(
            "outbox",
            [
                "id", "channel", "template", "recipient", "fields", "secret", "secret_ref", "account_id",
                "client_address", "state", "attempts", "created_at",
            ], rows)
        try await sql.insertRows(
            "jobs", ["id", "kind", "payload", "state", "attempts", "max_attempts", "run_at", "created_at"], jobs)
    }

    /// Texts sent in the last hour to an account, a number and from a client address, for the caps.
    static func recentTexts(account: UUID, number: String, client: String?, now: Date, on sql: any SQLDatabase)
        async throws -> (account: Int, number: Int, client: Int)
    {
        struct Counts: Decodable {
            let a: Int
            let n: Int
            let c: Int
        }
        let since = now.addingTimeInterval(-TextMessageCaps.window)
        let counts = try await sql.raw(
            """
            SELECT
                CAST(COALESCE(SUM(CASE WHEN account_id = \(bind: account) THEN 1 ELSE 0 END), 0) AS INTEGER) AS a,
                CAST(COALESCE(SUM(CASE WHEN recipient = \(bind: number) THEN 1 ELSE 0 END), 0) AS INTEGER) AS n,
                CAST(COALESCE(SUM(CASE WHEN client_address = \(bind: client ?? "-") THEN 1 ELSE 0 END), 0) AS INTEGER) AS c
            FROM outbox WHERE channel = 'sms' AND created_at >= \(bind: since)
            """
        ).firstRow(Counts.self)
        return (counts?.a ?? 0, counts?.n ?? 0, counts?.c ?? 0)
    }

    /// The `outbox.send` job: reveal any secret (storing only its hash), send, then mark sent. A crash after
    /// the provider accepted the message but before the mark sends it again: at-least-once, never lost.
    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        struct Payload: Decodable { let outbox: UUID }
        let payload = try JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8))
        let sql = app.db as! any SQLDatabase
        guard
            let row = try await sql.raw(
                """
                SELECT id, channel, template, recipient, fields, secret, secret_ref, account_id, state
                FROM outbox WHERE id = \(bind: payload.outbox)
                """
            ).firstRow(Row.self),
            row.state == "queued",
            let template = MessageTemplate(rawValue: row.template)
        else { return }
        var fields = (try? JSONDecoder().decode([String: String].self, from: Data(row.fields.utf8))) ?? [:]
        let now = app.clock.now()
        let key = app.settings.sessionSecretForCodes
        switch row.secret.flatMap(OutboxSecret.init(rawValue:)) {
        case .securityCode:
            let code = SecurityCode.make(random: app.dependencies.secrets.bytes)
            // A resend supersedes this code: then there is nothing to send.
            let issued = try await sql.raw(
                """
                UPDATE security_codes SET code_hash = \(bind: SecretHash.hmac(code, key: key)), issued_at = \(bind: now)
                WHERE id = \(bind: row.secretRef) AND used_at IS NULL AND superseded_at IS NULL
                RETURNING id
                """
            ).first()
            guard issued != nil else {
                try await mark(row.id, state: "cancelled", error: "superseded before sending", on: sql)
                return
            }
            fields["code"] = code
        case .temporaryPassword:
            let password = TemporaryPassword.make(from: app.dependencies.secrets.bytes(TemporaryPassword.bytesNeeded))
            try await sql.raw(
                """
                UPDATE accounts SET temp_password_hash = \(bind: Credentials.hashTemporary(password, key: key)),
                    temp_password_expires_at = \(bind: now.addingTimeInterval(TemporaryPassword.lifetime))
                WHERE id = \(bind: row.secretRef)
                """
            ).run()
            fields["password"] = password
        case nil:
            break
        }
        // With a mail server connected, the welcome email lands in the new mailbox itself. A claim counts the
        // attempt, so the first run has attempts 1: only a later one may have delivered already.
        if template == .welcome, app.mailServer.connected {
            try await WelcomeEmail.deliver(
                outbox: row.id, to: row.recipient, name: fields["name"] ?? "", retry: job.attempts > 1, app: app)
            try await sql.raw(
                """
                UPDATE outbox SET state = 'sent', provider_id = 'mailbox', sent_at = \(bind: app.clock.now()),
                    attempts = attempts + 1, last_error = NULL
                WHERE id = \(bind: row.id)
                """
            ).run()
            return
        }
        let message = NotifierMessage(
            reference: row.id, template: template, recipient: row.recipient, personalisation: fields)
        do {
            let providerID = try await app.dependencies.notifier.send(message, app)
            try await sql.raw(
                """
                UPDATE outbox SET state = 'sent', provider_id = \(bind: providerID), sent_at = \(bind: app.clock.now()),
                    attempts = attempts + 1, last_error = NULL
                WHERE id = \(bind: row.id)
                """
            ).run()
            ServiceMetrics.notification(sent: true, channel: row.channel)
        } catch let error as NotifyError where !error.retryable {
            try await mark(row.id, state: "failed", error: error.description, on: sql)
            ServiceMetrics.notification(sent: false, channel: row.channel)
        } catch {
            ServiceMetrics.notification(sent: false, channel: row.channel)
            try await sql.raw(
                "UPDATE outbox SET attempts = attempts + 1, last_error = \(bind: String(describing: error).prefix(500).description) WHERE id = \(bind: row.id)"
            ).run()
            throw error
        }
    }

    private static func mark(_ id: UUID, state: String, error: String, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            "UPDATE outbox SET state = \(bind: state), last_error = \(bind: error), attempts = attempts + 1 WHERE id = \(bind: id)"
        ).run()
    }
}

/// Keys and hashes for short-lived secrets. They are random, so a keyed SHA-256 is enough: no slow hash.
enum Credentials {
    static func hashTemporary(_ password: String, key: [UInt8]) -> String {
        SecretHash.hmac("temporary:" + TemporaryPassword.normalise(password), key: key)
    }

    static func hashCode(_ code: String, key: [UInt8]) -> String {
        SecretHash.hmac(SecurityCode.normalise(code), key: key)
    }
}

extension Settings {
    /// Codes and temporary passwords must outlive a development restart (the session secret does not), so
    /// they are keyed from the MFA key, which is fixed in development and required in production.
    var sessionSecretForCodes: [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("codes".utf8), using: SymmetricKey(data: mfaKey)))
    }
}

// MARK: - sending

struct NotifierMessage: Sendable {
    let reference: UUID
    let template: MessageTemplate
    let recipient: String
    let personalisation: [String: String]
}

/// Why a send failed, by Notify's error names: some are worth retrying, the rest never will succeed.
struct NotifyError: Error, CustomStringConvertible {
    let status: Int
    let name: String
    let message: String

    var retryable: Bool { status == 429 || status >= 500 || name == "RateLimitError" || name == "TooManyRequestsError" }
    var description: String { "Notify \(status) \(name): \(message)" }
}

/// The seam every message leaves through: GOV.UK Notify, or the development sink.
struct Notifier: Sendable {
    var send: @Sendable (NotifierMessage, Application) async throws -> String

    /// Keeps what it "sends" in a table of its own, secrets included, for /dev/outbox and `onboard outbox`.
    /// Development only: `configure` never installs it in production.
    static let developmentSink = Notifier { message, app in
        let sql = app.db as! any SQLDatabase
        try await sql.raw(
            """
            INSERT INTO dev_deliveries (id, seq, outbox_id, template, recipient, body, delivered_at)
            SELECT \(bind: UUID()), COALESCE(MAX(seq), 0) + 1, \(bind: message.reference),
                \(bind: message.template.rawValue), \(bind: message.recipient),
                \(bind: message.template.render(message.personalisation)), \(bind: app.clock.now())
            FROM dev_deliveries
            """
        ).run()
        return "dev-\(message.reference.uuidString.lowercased())"
    }

    /// GOV.UK Notify REST v2.
    static func govukNotify(_ settings: NotifySettings) -> Notifier {
        Notifier { message, app in
            try await GOVUKNotify(settings: settings).send(
                message, client: app.http.client.shared, now: app.clock.now())
        }
    }
}

struct GOVUKNotify: Sendable {
    let settings: NotifySettings

    /// A fresh token per request (Notify refuses one older than 30 seconds): HS256, `iss` and `iat` only.
    func token(now: Date) -> String {
        let header = Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8).base64URLEncoded
        let claims = Data(#"{"iss":"\#(settings.serviceID)","iat":\#(Int(now.timeIntervalSince1970))}"#.utf8)
            .base64URLEncoded
        let signature = HMAC<SHA256>.authenticationCode(
            for: Data("\(header).\(claims)".utf8), using: SymmetricKey(data: Data(settings.secret.utf8)))
        return "\(header).\(claims).\(Data(signature).base64URLEncoded)"
    }

    func send(_ message: NotifierMessage, client: HTTPClient, now: Date) async throws -> String {
        guard let templateID = settings.templates[message.template.rawValue] else {
            throw NotifyError(status: 0, name: "MissingTemplate", message: message.template.rawValue)
        }
        var body: [String: AnyCodableValue] = [
            "template_id": .string(templateID),
            "reference": .string(message.reference.uuidString.lowercased()),
            "personalisation": .object(message.personalisation),
        ]
        let path: String
        switch message.template.channel {
        case .sms:
            path = "/v2/notifications/sms"
            body["phone_number"] = .string(message.recipient)
        case .email:
            path = "/v2/notifications/email"
            body["email_address"] = .string(message.recipient)
        }
        var request = HTTPClientRequest(url: settings.baseURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token(now: now))")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "onboard")
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        let response = try await client.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let data = Data(buffer: bytes)
        guard response.status == .created else {
            struct Failure: Decodable {
                struct Item: Decodable {
                    let error: String
                    let message: String
                }
                let errors: [Item]?
            }
            let first = (try? JSONDecoder().decode(Failure.self, from: data))?.errors?.first
            throw NotifyError(
                status: Int(response.status.code), name: first?.error ?? "HTTPError",
                message: first?.message ?? response.status.reasonPhrase)
        }
        struct Created: Decodable { let id: String }
        return (try? JSONDecoder().decode(Created.self, from: data))?.id ?? ""
    }
}

/// Just enough JSON for Notify's request body.
enum AnyCodableValue: Encodable {
    case string(String)
    case object([String: String])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension MessageSender {
    /// The applications' emails through GOV.UK Notify's `notice` template. They are sent from jobs, which
    /// retry on failure, so delivery is at-least-once like the outbox's.
    static func govukNotify(_ settings: NotifySettings) -> MessageSender {
        MessageSender { message in
            _ = try await GOVUKNotify(settings: settings).send(
                NotifierMessage(
                    reference: UUID(), template: .notice, recipient: message.to,
                    personalisation: ["subject": message.subject, "body": message.body]),
                client: HTTPClient.shared, now: Date())
        }
    }
}
