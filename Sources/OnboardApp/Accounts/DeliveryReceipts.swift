import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// GOV.UK Notify's callback for delivery receipts: it posts each final status with the bearer token the
/// service was configured with (`NOTIFY_CALLBACK_TOKEN`). Without that setting the address answers 404; with
/// a wrong or missing token, 401. The receipt is recorded on the message it names, and nowhere else.
struct DeliveryReceiptsController {
    struct Receipt: Content {
        let id: String
        let status: String
    }

    func receive(req: Request) async throws -> Response {
        guard let expected = req.settings.notifyCallbackToken else { throw Abort(.notFound) }
        let given = req.headers.bearerAuthorization?.token ?? ""
        guard Self.matches(given, expected) else {
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer")
            throw Abort(.unauthorized, headers: headers)
        }
        let receipt = try req.content.decode(Receipt.self)
        guard let delivery = Delivery(notifyStatus: receipt.status) else { return Response(status: .noContent) }
        let now = req.now
        try await req.inTransaction { sql in
            struct Row: Decodable { let id: UUID }
            let updated = try await sql.raw(
                """
                UPDATE outbox SET delivery = \(bind: delivery.rawValue), delivery_at = \(bind: now)
                WHERE provider_id = \(bind: receipt.id) RETURNING id
                """
            ).rows(Row.self)
            for row in updated {
                try await AuditLog.record(
                    AuditEntry(
                        "message.delivery", target: "message", id: row.id.uuidString, before: [String: String]?.none,
                        after: ["delivery": delivery.rawValue]),
                    context: .system, at: now, on: sql)
            }
        }
        return Response(status: .noContent)
    }

    /// Compares digests: equal lengths, and the time taken says nothing about how much was right.
    static func matches(_ given: String, _ expected: String) -> Bool {
        SecretHash.constantTimeEquals(SecretHash.sha256Hex(given), SecretHash.sha256Hex(expected))
    }
}

/// The messages sent to a person, newest first, as their administrator sees them on the account page.
enum MessageHistory {
    struct Item: Encodable, Sendable {
        let when: String
        let what: String
        let status: String
        let failed: Bool
    }

    static func recent(for account: UUID, on sql: any SQLDatabase) async throws -> [Item] {
        struct Row: Decodable {
            let template: String
            let channel: String
            let state: String
            let delivery: String?
            let createdAt: Date
        }
        let rows = try await sql.raw(
            """
            SELECT template, channel, state, delivery, created_at FROM outbox
            WHERE account_id = \(bind: account) ORDER BY created_at DESC LIMIT 10
            """
        ).rows(Row.self)
        return rows.map { row in
            let sms = row.channel == MessageTemplate.Channel.sms.rawValue
            let delivery = row.delivery.flatMap(Delivery.init(rawValue:))
            let status: String
            if let delivery {
                status = delivery.describe(sms: sms)
            } else {
                switch row.state {
                case "sent": status = "Sent; not yet confirmed as delivered"
                case "failed": status = "Could not be sent. Send it again"
                default: status = "Waiting to be sent"
                }
            }
            let name = MessageTemplate(rawValue: row.template)?.title ?? "Message"
            return Item(
                when: Format.dateTime(row.createdAt), what: "\(name) (\(sms ? "text" : "email"))", status: status,
                failed: delivery?.failed ?? (row.state == "failed"))
        }
    }
}

extension MessageTemplate {
    /// What the message is, as its administrator would call it.
    var title: String {
        switch self {
        case .securityCode: "Security code"
        case .credentials: "Username and temporary password"
        case .activationStarted: "Activation started"
        case .welcome: "Welcome"
        case .leaver: "Marked as leaving"
        case .mobileChanged: "Mobile number changed"
        case .notice: "Notice"
        }
    }
}
