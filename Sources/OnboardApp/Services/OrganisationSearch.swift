import Foundation
import OnboardDomain
import SQLKit

/// The scope-filtered, keyset-paged organisation list shared by the pages and the API.
enum OrganisationSearch {
    struct Item: Decodable, Sendable, Encodable {
        let id: UUID
        let odsCode: String?
        let name: String
        let type: String
        let country: String
        let region: String?
        let postcode: String?
        let status: String
        let parentODS: String?
        let administeredByODS: String?
    }

    struct Page: Sendable {
        let items: [Item]
        let next: NameCursor?
    }

    static func run(_ query: OrganisationQuery, scope: Scope, on sql: any SQLDatabase) async throws -> Page {
        var statement: SQLQueryString = """
            SELECT o.id, o.ods_code, o.name, o.type, o.country, o.region, o.postcode, o.status,
                p.ods_code AS parent_ods, a.ods_code AS administered_by_ods
            FROM organisations o
            LEFT JOIN organisations p ON p.id = o.parent_id
            LEFT JOIN organisations a ON a.id = o.administered_by_id
            WHERE \(scope.contains(SQLColumn("id", table: "o")))
            """
        if let text = query.text {
            // Text with no letters or digits gives an empty ODS prefix, which would match every code.
            let odsPrefix = text.uppercased().filter { $0.isLetter || $0.isNumber }
            statement.appendInterpolation(
                " AND ((\(bind: odsPrefix) <> '' AND o.ods_code LIKE \(bind: odsPrefix + "%"))" as SQLQueryString)
            // Names and postcodes through the directory's index, when every word is long enough to narrow it.
            if DirectoryText.problem(text) == nil {
                statement.appendInterpolation(" OR " as SQLQueryString)
                statement.appendInterpolation(
                    DirectorySearch.containing(
                        DirectoryText.words(text), kind: .organisations, column: SQLColumn("id", table: "o"), on: sql))
            }
            statement.appendInterpolation(")" as SQLQueryString)
        }
        if let type = query.type {
            statement.appendInterpolation(" AND o.type = \(bind: type.rawValue)" as SQLQueryString)
        }
        if let region = query.region {
            statement.appendInterpolation(" AND o.region = \(bind: region)" as SQLQueryString)
        }
        if let after = query.after {
            statement.appendInterpolation(
                // A row-value comparison is an index range on (name, id); the OR form rescans from the start.
                " AND (o.name, o.id) > (\(bind: after.name), \(bind: after.id))"
                    as SQLQueryString)
        }
        statement.appendInterpolation(" ORDER BY o.name, o.id LIMIT \(bind: query.limit + 1)" as SQLQueryString)
        var items = try await sql.raw(statement).rows(Item.self)
        var next: NameCursor?
        if items.count > query.limit {
            items.removeLast()
            if let last = items.last { next = NameCursor(name: last.name, id: last.id) }
        }
        return Page(items: items, next: next)
    }
}
