import Fluent
import SQLKit

/// Accounts without an authenticator, by organisation: the second-factor report's starting point. About one
/// account in a hundred, so the report reads that small index instead of every account.
struct M025_SecondFactorIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw(
            """
            CREATE INDEX accounts_without_second_factor_idx ON accounts (organisation_id, id)
            WHERE totp_enrolled_at IS NULL
            """
        ).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX IF EXISTS accounts_without_second_factor_idx").run()
    }
}
