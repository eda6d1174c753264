import Foundation
import SQLKit
import Vapor

/// The development sink's deliveries: what phones and inboxes received, secrets included. Development only:
/// the route and the `outbox` command refuse to exist elsewhere.
enum DevOutbox {
    struct Delivery: Decodable, Encodable {
        let recipient: String
        let template: String
        let body: String
        let deliveredAt: Date
    }

    static func recent(limit: Int = 50, on sql: any SQLDatabase) async throws -> [Delivery] {
        try await sql.raw(
            "SELECT recipient, template, body, delivered_at FROM dev_deliveries ORDER BY seq DESC LIMIT \(literal: limit)"
        ).rows(Delivery.self)
    }

    struct Item: Encodable {
        let recipient: String
        let template: String
        let body: String
        let when: String
    }

    struct Page: Encodable {
        let deliveries: [Item]
        let hasDeliveries: Bool
    }

    @Sendable
    static func page(req: Request) async throws -> Response {
        let items = try await recent(on: req.sql).map {
            Item(recipient: $0.recipient, template: $0.template, body: $0.body, when: Format.dateTime($0.deliveredAt))
        }
        return try await req.render(
            "dev/outbox", req.chrome("Text messages and account emails (development)"),
            Page(deliveries: items, hasDeliveries: !items.isEmpty))
    }
}
