import Fluent
import SQLKit

struct M002_CreateOrganisations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("organisations")
            .id()
            .field("ods_code", .string)
            .field("name", .string, .required)
            .field("type", .string, .required)
            .field("country", .string, .required)
            .field("region", .string, .references("regions", "code"))
            .field("postcode", .string)
            .field("status", .string, .required)
            .field("ig_status", .string, .required)
            .field("ig_completed_on", .datetime)
            .field("ig_completed_by_id", .uuid, .references("organisations", "id"))
            .field("delivers_nhs_care", .bool, .required)
            .field("other_public_email", .bool, .required)
            .field("helpdesk_contact", .string)
            .field("parent_id", .uuid, .references("organisations", "id"))
            .field("administered_by_id", .uuid, .references("organisations", "id"))
            .field("successor_id", .uuid, .references("organisations", "id"))
            .field("closed_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "ods_code")
            .create()
        let sql = database as! any SQLDatabase
        // The scope query walks these two edges downwards; the list pages order and search by name.
        try await sql.raw("CREATE INDEX organisations_parent_idx ON organisations (parent_id)").run()
        try await sql.raw("CREATE INDEX organisations_administered_by_idx ON organisations (administered_by_id)").run()
        try await sql.raw("CREATE INDEX organisations_name_idx ON organisations (name, id)").run()
        try await sql.raw("CREATE INDEX organisations_region_idx ON organisations (region)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organisations").delete()
    }
}
