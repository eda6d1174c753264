import Fluent
import SQLKit

/// The seven NHS England regions: reference data every organisation in England points at.
struct M001_CreateRegions: AsyncMigration {
    static let regions: [(code: String, name: String)] = [
        ("east_of_england", "East of England"),
        ("london", "London"),
        ("midlands", "Midlands"),
        ("north_east_and_yorkshire", "North East and Yorkshire"),
        ("north_west", "North West"),
        ("south_east", "South East"),
        ("south_west", "South West"),
    ]

    func prepare(on database: any Database) async throws {
        try await database.schema("regions")
            .field("code", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .create()
        let sql = database as! any SQLDatabase
        for region in Self.regions {
            try await sql.insert(into: "regions").columns("code", "name").values(
                SQLBind(region.code), SQLBind(region.name)
            ).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("regions").delete()
    }
}
