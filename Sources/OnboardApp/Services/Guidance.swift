import Foundation
import SQLKit

/// Guidance links are rows, shown where people need them: all of them on the front page, and those for
/// the reader's audiences elsewhere.
enum Guidance {
    struct Item: Decodable, Encodable, Sendable {
        let key: String
        let title: String
        let url: String
        let audience: String
    }

    static func items(for audiences: [String]? = nil, on sql: any SQLDatabase) async throws -> [Item] {
        guard let audiences else {
            return try await sql.raw("SELECT key, title, url, audience FROM guidance_items ORDER BY sort_order")
                .rows(Item.self)
        }
        return try await sql.raw(
            """
            SELECT key, title, url, audience FROM guidance_items
            WHERE audience IN (\(binds: audiences)) ORDER BY sort_order
            """
        ).rows(Item.self)
    }
}
