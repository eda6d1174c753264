import Foundation
import OnboardDomain
import SQLKit

/// The applications a reviewer may see, oldest first by when each was sent, narrowed by state, kind, region,
/// or to those waiting for the reviewer's own decision; a page at a time, by a cursor on (received, id).
struct ApplicationQueue: Sendable {
    var state: ApplicationState?
    var kind: ApplicationKind?
    /// A region's code, already checked against the regions on record.
    var region: String?
    var waitingForMe = false
    var after: NameCursor?

    static let pageSize = 50

    struct Row: Decodable, Sendable {
        let id: UUID
        let reference: String
        let kind: String
        let state: String
        let region: String?
        let submittedAt: Date?
        let answers: String
        /// When it was sent, or started if it never was.
        let received: Date
    }

    struct Page: Sendable {
        let rows: [Row]
        /// Where the next page starts, when there is one.
        let next: NameCursor?
    }

    func run(for principal: Principal, on sql: any SQLDatabase) async throws -> Page {
        let received: SQLQueryString = "COALESCE(a.submitted_at, a.created_at)"
        var query: SQLQueryString = """
            SELECT a.id, a.reference, a.kind, a.state, a.region, a.submitted_at, a.answers,
                \(received) AS received FROM applications a
            WHERE \(ApplicationStore.visible(to: principal))
            """
        var clauses: [SQLQueryString] = []
        if let state { clauses.append("a.state = \(bind: state.rawValue)") }
        if let kind { clauses.append("a.kind = \(bind: kind.rawValue)") }
        if let region { clauses.append("a.region = \(bind: region)") }
        if waitingForMe { clauses.append(WorkQueue.applicationCondition(for: principal) ?? "1 = 0") }
        if let after, let since = ISO8601DateFormatter().date(from: after.name) {
            clauses.append(
                "(\(received) > \(bind: since) OR (\(received) = \(bind: since) AND a.id > \(bind: after.id)))")
        }
        for clause in clauses {
            query.appendLiteral(" AND ")
            query.appendInterpolation(clause)
        }
        let order: SQLQueryString = " ORDER BY received, a.id LIMIT \(literal: Self.pageSize + 1)"
        query.appendInterpolation(order)
        let rows = try await sql.raw(query).rows(Row.self)
        let page = Array(rows.prefix(Self.pageSize))
        var next: NameCursor?
        if rows.count > Self.pageSize, let last = page.last {
            next = NameCursor(name: ISO8601DateFormatter().string(from: last.received), id: last.id)
        }
        return Page(rows: page, next: next)
    }
}
