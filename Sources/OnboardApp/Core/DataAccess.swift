import FluentKit
import SQLKit
import Vapor

extension Database {
    /// The one way to run a transaction in SQL: the body gets the transaction's connection. On SQLite it
    /// begins IMMEDIATE (`ImmediateSQLite`); on PostgreSQL, READ COMMITTED.
    func inTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await transaction { database in try await body(database as! any SQLDatabase) }
    }

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

extension Request {
    /// A transaction on the request's database.
    func inTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await db.inTransaction(body)
    }
}

extension SQLDatabase {
    /// One row, each column written beside its value, so that the two lists cannot drift apart.
    func insert(into table: String, row: KeyValuePairs<String, any Encodable & Sendable>) -> SQLInsertBuilder {
        insert(into: table).columns(row.map(\.key)).values(row.map { SQLBind($0.value) })
    }
}
