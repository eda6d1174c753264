import Fluent
import SQLKit

/// M016 made three indexes its revert does not drop, two of them nothing to do with API tokens. Committed
/// migrations are never edited, so this one takes them over: it makes them again under its own name and drops
/// them when reverted, so rolling back past M016 leaves nothing behind.
struct M021_OwnM016Indexes: AsyncMigration {
    static let indexes = [
        ("api_tokens_account_idx", "api_tokens (account_id, created_at)"),
        ("shared_mailboxes_org_idx", "shared_mailboxes (organisation_id)"),
        ("security_events_account_idx", "security_events (account_id)"),
    ]

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for (name, definition) in Self.indexes {
            try await sql.raw("DROP INDEX IF EXISTS \(ident: name)").run()
            try await sql.raw("CREATE INDEX \(ident: name) ON \(unsafeRaw: definition)").run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for (name, _) in Self.indexes {
            try await sql.raw("DROP INDEX IF EXISTS \(ident: name)").run()
        }
    }
}
