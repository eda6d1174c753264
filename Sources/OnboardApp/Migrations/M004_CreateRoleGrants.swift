import Fluent
import SQLKit

struct M004_CreateRoleGrants: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("role_grants")
            .id()
            .field("account_id", .uuid, .required, .references("accounts", "id"))
            .field("role", .string, .required)
            .field("organisation_id", .uuid, .references("organisations", "id"))
            .field("region", .string, .references("regions", "code"))
            .field("granted_by_id", .uuid, .references("accounts", "id"))
            .field("granted_at", .datetime, .required)
            .field("revoked_by_id", .uuid, .references("accounts", "id"))
            .field("revoked_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX role_grants_account_idx ON role_grants (account_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("role_grants").delete()
    }
}
