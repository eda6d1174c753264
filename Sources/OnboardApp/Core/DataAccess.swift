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

extension SQLRowDecoder.KeyDecodingStrategy {
    /// How every row type is read: its properties have Swift names (`accountID`, `odsCode`, `administeredByODS`,
    /// `createdAt`) and each is found under its snake_case column (`account_id`, `ods_code`,
    /// `administered_by_ods`, `created_at`). SQL aliases stay snake_case.
    ///
    /// Why not SQLKit's `.convertFromSnakeCase`: SQLKit applies a key strategy from the Swift name to the column
    /// (not, as `JSONDecoder` does, from the column to the Swift name), and its conversion lowercases only the
    /// first letter of each word, so `accountID` is looked up as `account_iD`: a required property then fails to
    /// decode, and an optional one is silently nil. Here a run of capitals is one word, as in this code base's
    /// initialisms (ID, ODS, GB, URL), so no list of initialisms is needed.
    static let columns = Self.custom { path in
        SomeCodingKey(stringValue: column(for: path.last?.stringValue ?? ""))
    }

    /// The column a Swift name is read from: `accountID` → `account_id`, `URLPath` → `url_path`. A name with no
    /// capitals (`id`, or a snake_case `CodingKeys` value) is its own column.
    static func column(for name: String) -> String {
        let bytes = Array(name.utf8)
        func isUpper(_ i: Int) -> Bool { bytes[i] >= 0x41 && bytes[i] <= 0x5A }
        guard bytes.indices.contains(where: isUpper) else { return name }
        var column: [UInt8] = []
        column.reserveCapacity(bytes.count + 4)
        for i in bytes.indices {
            guard isUpper(i) else {
                column.append(bytes[i])
                continue
            }
            // A capital starts a word after a small letter or digit (`accountID`), and the last capital of a run
            // starts one when a small letter follows it (`URLPath`).
            let afterSmall = i > 0 && !isUpper(i - 1) && bytes[i - 1] != 0x5F
            let endsRun = i > 0 && isUpper(i - 1) && i + 1 < bytes.count && bytes[i + 1] >= 0x61 && bytes[i + 1] <= 0x7A
            if afterSmall || endsRun { column.append(0x5F) }
            column.append(bytes[i] + 0x20)
        }
        return String(decoding: column, as: UTF8.self)
    }
}

extension SQLQueryFetcher {
    /// Every row of the result, decoded with `.columns`. The one way to decode rows, so no call site can forget
    /// the strategy.
    func rows<Row: Decodable>(_ type: Row.Type) async throws -> [Row] {
        try await all(decoding: type, keyDecodingStrategy: .columns)
    }

    /// The first row of the result, if any, decoded with `.columns`.
    func firstRow<Row: Decodable>(_ type: Row.Type) async throws -> Row? {
        try await first(decoding: type, keyDecodingStrategy: .columns)
    }
}
