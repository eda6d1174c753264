import Fluent
import SQLKit

/// The migration guidance seeded by M014 pointed people at a placeholder address. Migration questions go to
/// the national helpdesk, as the source page says for every other question; an address an operator has
/// already changed is left alone.
struct M019_MigrationContact: AsyncMigration {
    static let placeholder = "mailto:migration.team@onboard.example"

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw(
            """
            UPDATE guidance_items SET url = 'mailto:helpdesk@nhs.net',
                title = 'Ask the national helpdesk about moving your mail'
            WHERE key = 'migration-contact' AND url = \(bind: Self.placeholder)
            """
        ).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw(
            """
            UPDATE guidance_items SET url = \(bind: Self.placeholder), title = 'Contact the national migration team'
            WHERE key = 'migration-contact' AND url = 'mailto:helpdesk@nhs.net'
            """
        ).run()
    }
}
