import Foundation
import SQLKit
import Testing

@testable import OnboardApp

@Suite("Data access")
struct DataAccessTests {
    @Test(
        "A row's Swift name is read from its snake_case column, a run of capitals being one word",
        arguments: [
            ("id", "id"),
            ("state", "state"),
            ("accountID", "account_id"),
            ("odsCode", "ods_code"),
            ("createdAt", "created_at"),
            ("administeredByODS", "administered_by_ods"),
            ("igCompletedByID", "ig_completed_by_id"),
            ("dataVolumeGB", "data_volume_gb"),
            ("tempPasswordExpiresAt", "temp_password_expires_at"),
            ("occurredUs", "occurred_us"),
            ("nextURL", "next_url"),
            ("URLPath", "url_path"),
            ("parentODSCode", "parent_ods_code"),
            ("ID", "id"),
            // A CodingKeys value already in snake_case is its own column.
            ("actor_account_id", "actor_account_id"),
        ])
    func columnNames(name: String, column: String) {
        #expect(SQLRowDecoder.KeyDecodingStrategy.column(for: name) == column)
    }

    @Test("rows and firstRow decode snake_case columns into Swift names, optional ones included")
    func decodesRows() async throws {
        try await withTestApp(seed: false) { app, _ in
            let sql = app.db as! any SQLDatabase
            struct Row: Decodable, Equatable {
                let id: Int
                let accountID: String
                let odsCode: String?
                let administeredByODS: String?
                let dataVolumeGB: Int
                let closedAt: String?
            }
            let query: SQLQueryString = """
                SELECT 1 AS id, 'a' AS account_id, 'RR8' AS ods_code, 'X26' AS administered_by_ods,
                    5 AS data_volume_gb, NULL AS closed_at
                """
            let expected = Row(
                id: 1, accountID: "a", odsCode: "RR8", administeredByODS: "X26", dataVolumeGB: 5, closedAt: nil)
            let rows = try await sql.raw(query).rows(Row.self)
            let first = try await sql.raw(query).firstRow(Row.self)
            #expect(rows == [expected])
            #expect(first == expected)
        }
    }

    @Test("Rows are decoded only through rows and firstRow, outside the committed migrations")
    func oneWayToDecode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let direct = try Regex(#"\.(all|first)\(\s*decoding:"#)
        var found: [String] = []
        for folder in ["Sources", "Tests"] {
            let base = root.appendingPathComponent(folder)
            let files = FileManager.default.enumerator(atPath: base.path)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                let path = "\(folder)/\(file)"
                if path.hasPrefix("Sources/OnboardApp/Migrations/") || path.hasSuffix("Core/DataAccess.swift") {
                    continue
                }
                let text = try String(contentsOf: base.appendingPathComponent(file), encoding: .utf8)
                if text.contains(direct) { found.append(path) }
            }
        }
        #expect(found.isEmpty, "decode rows with rows(_:) or firstRow(_:), which use the .columns strategy")
    }
}
