import Fluent
import SQLKit

struct M005_CreateAUP: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("aup_versions")
            .id()
            .field("version", .string, .required)
            .field("title", .string, .required)
            .field("summary", .string, .required)
            .field("effective_from", .datetime, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "version")
            .create()
        try await database.schema("aup_acceptances")
            .id()
            .field("account_id", .uuid, .required, .references("accounts", "id"))
            .field("aup_version_id", .uuid, .required, .references("aup_versions", "id"))
            .field("accepted_at", .datetime, .required)
            .unique(on: "account_id", "aup_version_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("aup_acceptances").delete()
        try await database.schema("aup_versions").delete()
    }
}
