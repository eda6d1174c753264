import Foundation
import SQLKit

/// The directory's entries as a whole: rebuilt from the source tables when something bypassed the triggers.
enum DirectoryIndex {
    /// Replaces every entry with one made from the current rows, with the same SQL the migration's triggers
    /// use; returns how many entries there are now.
    static func rebuild(on sql: any SQLDatabase) async throws -> Int {
        let postgres = sql.dialect.name == "postgresql"
        try await sql.raw("DELETE FROM directory_entries").run()
        for statement in M023_Directory.backfill(postgres: postgres) {
            try await sql.raw(SQLQueryString(statement)).run()
        }
        struct Count: Decodable { let n: Int }
        return try await sql.raw("SELECT COUNT(*) AS n FROM directory_entries").firstRow(Count.self)?.n ?? 0
    }

    /// Recounts accounts per organisation and state (M024), and the grants held without a second factor
    /// (M026), from the accounts and grants themselves.
    static func recount(on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM account_state_counts").run()
        try await sql.raw(SQLQueryString(M024_AccountCounts.backfill)).run()
        try await sql.raw("DELETE FROM second_factor_gaps").run()
        try await sql.raw(SQLQueryString(M026_SecondFactorGaps.backfill)).run()
    }
}
