import Fluent
import SQLKit

/// What the mail server needs from the directory: when each account last logged in with a mail client, when
/// a deleted account's mail was erased, an organisation's own mailbox size, and a member's shared mailboxes
/// found from the member (every mail login asks).
struct M022_Mailboxes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("accounts").field("last_mail_login_at", .datetime).update()
        try await database.schema("accounts").field("mailbox_erased_at", .datetime).update()
        try await database.schema("organisations").field("mail_quota_mb", .int).update()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX shared_mailbox_members_account_idx ON shared_mailbox_members (account_id)")
            .run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX IF EXISTS shared_mailbox_members_account_idx").run()
        try await database.schema("organisations").deleteField("mail_quota_mb").update()
        try await database.schema("accounts").deleteField("mailbox_erased_at").update()
        try await database.schema("accounts").deleteField("last_mail_login_at").update()
    }
}
