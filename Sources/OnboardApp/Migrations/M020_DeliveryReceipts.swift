import Fluent
import SQLKit

/// GOV.UK Notify's delivery receipts, kept on the message they report on, so an administrator sees whether a
/// code or a password reached the person.
struct M020_DeliveryReceipts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("outbox").field("delivery", .string).update()
        try await database.schema("outbox").field("delivery_at", .datetime).update()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX outbox_provider_idx ON outbox (provider_id)").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX outbox_provider_idx").run()
        try await database.schema("outbox").deleteField("delivery_at").update()
        try await database.schema("outbox").deleteField("delivery").update()
    }
}
