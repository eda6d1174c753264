import Fluent
import SQLKit

/// API tokens as people manage them: an expiry (90 days at most), read-only, narrowed to one organisation.
/// Sessions remember when the second factor was last checked, for steps that need it recently; accounts
/// when their personal data was erased.
struct M016_ScopeAPITokens: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("api_tokens").field("expires_at", .datetime).update()
        try await database.schema("api_tokens").field("read_only", .bool, .required, .sql(.default(false))).update()
        try await database.schema("api_tokens").field("organisation_id", .uuid).update()
        try await database.schema("sessions").field("factor_at", .datetime).update()
        // When a deleted account's personal data was erased (retention).
        try await database.schema("accounts").field("erased_at", .datetime).update()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX api_tokens_account_idx ON api_tokens (account_id, created_at)").run()
        // The pharmacy gateway report asks, per premises, for its shared mailboxes; erasure finds a person's
        // security events.
        try await sql.raw("CREATE INDEX shared_mailboxes_org_idx ON shared_mailboxes (organisation_id)").run()
        try await sql.raw("CREATE INDEX security_events_account_idx ON security_events (account_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("accounts").deleteField("erased_at").update()
        try await database.schema("sessions").deleteField("factor_at").update()
        for field in ["organisation_id", "read_only", "expires_at"] {
            try await database.schema("api_tokens").deleteField(.string(field)).update()
        }
    }
}
