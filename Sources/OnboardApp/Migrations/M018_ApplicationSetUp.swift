import Fluent
import SQLKit

/// What an approval set up is kept on the application: the account made from it and the shared mailbox, so
/// the tracking page can say what exists and the account page can name the application it came from.
struct M018_ApplicationSetUp: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column a statement: SQLite adds one column per ALTER TABLE.
        try await database.schema("applications")
            .field("created_account_id", .uuid, .references("accounts", "id")).update()
        try await database.schema("applications").field("created_mailbox_id", .uuid).update()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX applications_created_account_idx ON applications (created_account_id)").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX applications_created_account_idx").run()
        try await database.schema("applications").deleteField("created_mailbox_id").update()
        try await database.schema("applications").deleteField("created_account_id").update()
    }
}
