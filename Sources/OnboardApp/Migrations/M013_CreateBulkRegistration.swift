import Fluent
import Foundation
import SQLKit

/// Bulk registration: uploaded sheets with their reports, the people each organisation registered by local
/// id, store mailboxes, data sharing agreements, and a stem on reservations so a batch finds every address
/// it must avoid in one query.
struct M013_CreateBulkRegistration: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await database.schema("bulk_uploads")
            .id()
            .field("kind", .string, .required)
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("uploaded_by_id", .uuid, .required, .references("accounts", "id"))
            .field("filename", .string, .required)
            .field("format", .string, .required)
            .field("content", .data)
            .field("byte_count", .int, .required)
            .field("status", .string, .required)
            .field("problem_count", .int, .required)
            .field("report", .string, .required)
            .field("activation_method", .string)
            .field("rows_total", .int, .required)
            .field("rows_done", .int, .required)
            .field("created_count", .int, .required)
            .field("updated_count", .int, .required)
            .field("unchanged_count", .int, .required)
            .field("left_count", .int, .required)
            .field("mailboxes_created", .int, .required)
            .field("failed_count", .int, .required)
            .field("applied_by_id", .uuid, .references("accounts", "id"))
            .field("created_at", .datetime, .required)
            .field("applied_at", .datetime)
            .field("finished_at", .datetime)
            .field("purge_after", .datetime, .required)
            .field("purged_at", .datetime)
            .create()
        try await sql.raw("CREATE INDEX bulk_uploads_org_idx ON bulk_uploads (organisation_id, created_at)").run()
        try await sql.raw("CREATE INDEX bulk_uploads_purge_idx ON bulk_uploads (purge_after)").run()

        // What applying did to each row: status and address only, never a credential.
        try await database.schema("bulk_results")
            .field("upload_id", .uuid, .required, .references("bulk_uploads", "id"))
            .field("sheet", .string, .required)
            .field("sheet_row", .int, .required)
            .field("local_key", .string, .required)
            .field("status", .string, .required)
            .field("address", .string)
            .compositeIdentifier(over: "upload_id", "sheet", "sheet_row")
            .create()

        // Who an organisation registered, by its own id for them: a later sheet updates, never duplicates.
        try await database.schema("bulk_people")
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("local_id", .string, .required)
            .field("account_id", .uuid, .required)
            .field("place_id", .uuid, .required, .references("organisations", "id"))
            .field("role", .string)
            .field("upload_id", .uuid, .required)
            .field("updated_at", .datetime, .required)
            .compositeIdentifier(over: "organisation_id", "local_id")
            .create()
        try await sql.raw("CREATE INDEX bulk_people_account_idx ON bulk_people (account_id)").run()

        try await database.schema("store_mailboxes")
            .field("organisation_id", .uuid, .identifier(auto: false), .references("organisations", "id"))
            .field("mailbox_id", .uuid, .required, .references("shared_mailboxes", "id"))
            .field("created_at", .datetime, .required)
            .create()

        try await database.schema("data_sharing_agreements")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("version", .string, .required)
            .field("accepted_by_id", .uuid, .required, .references("accounts", "id"))
            .field("accepted_at", .datetime, .required)
            .unique(on: "organisation_id", "version")
            .create()

        try await database.schema("address_reservations").field("stem", .string).update()
        // rtrim with a character set means the same on both databases; only finding the @ differs.
        let local: SQLQueryString =
            sql.dialect.name == "postgresql"
            ? "split_part(address, '@', 1)" : "substr(address, 1, instr(address, '@') - 1)"
        try await sql.raw("UPDATE address_reservations SET stem = rtrim(\(local), '0123456789')").run()
        try await sql.raw("CREATE INDEX address_reservations_stem_idx ON address_reservations (stem)").run()
    }

    func revert(on database: any Database) async throws {
        for table in ["data_sharing_agreements", "store_mailboxes", "bulk_people", "bulk_results", "bulk_uploads"] {
            try await database.schema(table).delete()
        }
    }
}
