import Fluent
import SQLKit

struct M003_CreatePeopleAndAccounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("people")
            .id()
            .field("given_name", .string, .required)
            .field("family_name", .string, .required)
            .field("mobile", .string)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("accounts")
            .id()
            .field("person_id", .uuid, .required, .references("people", "id"))
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("address", .string, .required)
            .field("password_hash", .string)
            .field("state", .string, .required)
            .field("failed_sign_ins", .int, .required)
            .field("last_sign_in_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "address")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX accounts_organisation_idx ON accounts (organisation_id)").run()
        try await sql.raw("CREATE INDEX accounts_person_idx ON accounts (person_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("accounts").delete()
        try await database.schema("people").delete()
    }
}
