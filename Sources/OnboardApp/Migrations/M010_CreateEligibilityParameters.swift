import Fluent
import Foundation
import OnboardDomain
import SQLKit

/// Eligibility rule parameters as versioned rows: a new version is a new row, never an edit.
struct M010_CreateEligibilityParameters: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("eligibility_parameter_versions")
            .id()
            .field("version", .string, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .field("created_by_id", .uuid, .references("accounts", "id"))
            .unique(on: "version")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw(
            "CREATE INDEX eligibility_parameter_versions_created_idx ON eligibility_parameter_versions (created_at)"
        ).run()
        let seed = EligibilityParameters.seed
        try await sql.insert(into: "eligibility_parameter_versions")
            .columns("id", "version", "body", "created_at")
            .values(
                SQLBind(UUID()), SQLBind(seed.version), SQLBind(try EligibilityParameterStore.encode(seed)),
                SQLBind(Date(timeIntervalSince1970: 1_483_228_800))
            )
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("eligibility_parameter_versions").delete()
    }
}
