import Fluent
import SQLKit

struct M006_CreateAuditEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("audit_events")
            .id()
            .field("occurred_at", .datetime, .required)
            .field("actor_account_id", .uuid)
            .field("actor_role", .string)
            .field("actor_scope", .string)
            .field("action", .string, .required)
            .field("target_type", .string, .required)
            .field("target_id", .string)
            .field("before", .string)
            .field("after", .string)
            .field("request_id", .string)
            .field("client_address", .string)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX audit_events_target_idx ON audit_events (target_type, target_id)").run()
        try await sql.raw("CREATE INDEX audit_events_time_idx ON audit_events (occurred_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("audit_events").delete()
    }
}
