import Fluent
import Foundation
import SQLKit

/// Accounts in full: address reservations, activation, lockout, second factor, the outbox, shared
/// mailboxes and password history.
struct M012_CreateAccountSecurity: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        // One ADD COLUMN per statement: SQLite takes no more.
        let columns: [(String, DatabaseSchema.DataType)] = [
            ("display_name", .string),
            ("activation_method", .string),
            ("temp_password_hash", .string),
            ("temp_password_expires_at", .datetime),
            ("code_confirmed_at", .datetime),
            ("locked_until", .datetime),
            ("totp_secret", .string),
            ("totp_enrolled_at", .datetime),
            ("totp_last_step", .int64),
            ("password_changed_at", .datetime),
            ("mobile_changed_at", .datetime),
            ("state_changed_at", .datetime),
            ("last_activity_at", .datetime),
            ("created_by_id", .uuid),
        ]
        for (name, type) in columns {
            try await database.schema("accounts").field(.string(name), type).update()
        }
        try await database.schema("accounts").field("lock_count", .int, .required, .sql(.default(0))).update()

        try await database.schema("shared_mailboxes")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("address", .string, .required)
            .field("display_name", .string, .required)
            .field("created_by_id", .uuid, .references("accounts", "id"))
            .field("created_at", .datetime, .required)
            .unique(on: "address")
            .create()
        try await database.schema("shared_mailbox_members")
            .field("mailbox_id", .uuid, .required, .references("shared_mailboxes", "id"))
            .field("account_id", .uuid, .required, .references("accounts", "id"))
            .field("full_access", .bool, .required)
            .field("send_as", .bool, .required)
            .field("owner", .bool, .required)
            .field("added_at", .datetime, .required)
            .compositeIdentifier(over: "mailbox_id", "account_id")
            .create()

        // Every address ever handed out, whatever made it: never reused, so the unique constraint is the
        // one arbiter between creation paths running at once.
        try await database.schema("address_reservations")
            .field("address", .string, .identifier(auto: false))
            .field("kind", .string, .required)
            .field("account_id", .uuid, .references("accounts", "id"))
            .field("mailbox_id", .uuid, .references("shared_mailboxes", "id"))
            .field("reserved_at", .datetime, .required)
            .create()
        try await sql.raw(
            """
            INSERT INTO address_reservations (address, kind, account_id, reserved_at)
            SELECT address, 'primary', id, created_at FROM accounts
            """
        ).run()
        try await sql.raw("CREATE INDEX address_reservations_account_idx ON address_reservations (account_id)").run()

        try await database.schema("security_codes")
            .id()
            .field("account_id", .uuid, .required, .references("accounts", "id"))
            .field("purpose", .string, .required)
            .field("mobile", .string, .required)
            .field("code_hash", .string)
            .field("issued_at", .datetime)
            .field("tries", .int, .required)
            .field("used_at", .datetime)
            .field("superseded_at", .datetime)
            .field("created_at", .datetime, .required)
            .create()
        try await sql.raw("CREATE INDEX security_codes_account_idx ON security_codes (account_id, purpose)").run()

        try await database.schema("outbox")
            .id()
            .field("channel", .string, .required)
            .field("template", .string, .required)
            .field("recipient", .string, .required)
            .field("fields", .string, .required)
            .field("secret", .string)
            .field("secret_ref", .uuid)
            .field("account_id", .uuid, .references("accounts", "id"))
            .field("client_address", .string)
            .field("state", .string, .required)
            .field("attempts", .int, .required)
            .field("provider_id", .string)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("sent_at", .datetime)
            .create()
        try await sql.raw("CREATE INDEX outbox_account_idx ON outbox (account_id, created_at)").run()
        try await sql.raw("CREATE INDEX outbox_recipient_idx ON outbox (recipient, created_at)").run()

        // The development sink's deliveries: what a phone or inbox would have received. Never written in production.
        try await database.schema("dev_deliveries")
            .id()
            .field("seq", .int, .required)
            .field("outbox_id", .uuid, .required)
            .field("template", .string, .required)
            .field("recipient", .string, .required)
            .field("body", .string, .required)
            .field("delivered_at", .datetime, .required)
            .create()
        // A session that has passed the password but still has steps before it may act: the security code,
        // the AUP, a new password, the second factor. Null once complete.
        try await database.schema("sessions").field("stage", .string).update()

        try await database.schema("password_history")
            .id()
            .field("account_id", .uuid, .required, .references("accounts", "id"))
            .field("password_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("recovery_codes")
            .id()
            .field("account_id", .uuid, .required, .references("accounts", "id"))
            .field("code_hash", .string, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .create()
        try await sql.raw("CREATE INDEX recovery_codes_account_idx ON recovery_codes (account_id)").run()
        // The policy people accept at first sign-in. A newer version is added as a row and asked for at the next sign-in.
        try await sql.insert(into: "aup_versions")
            .columns("id", "version", "title", "summary", "effective_from", "created_at")
            .values(
                SQLBind(UUID()), SQLBind("2026.1"), SQLBind("NHSmail acceptable use policy"),
                SQLBind(
                    "Use your account only for health and care work. Keep your password and codes to yourself. Send "
                        + "personal data only to secure addresses, and report anything suspicious to your administrator."
                ),
                SQLBind(Date(timeIntervalSince1970: 1_767_225_600)), SQLBind(Date(timeIntervalSince1970: 1_767_225_600))
            ).run()
        try await sql.raw("CREATE INDEX accounts_state_idx ON accounts (state, state_changed_at)").run()
    }

    func revert(on database: any Database) async throws {
        for table in [
            "recovery_codes", "password_history", "dev_deliveries", "outbox", "security_codes", "address_reservations",
            "shared_mailbox_members", "shared_mailboxes",
        ] {
            try await database.schema(table).delete()
        }
    }
}
