import FluentKit
import SQLKit

extension Database {
    /// Reads that must all see the same moment. PostgreSQL gives the transaction one snapshot; SQLite's
    /// transactions begin IMMEDIATE, so no other writer can commit between the reads.
    func consistentRead<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    {
        try await transaction { database in
            let sql = database as! any SQLDatabase
            if sql.dialect.name == "postgresql" {
                try await sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").run()
            }
            return try await body(sql)
        }
    }
}
