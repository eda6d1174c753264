import Foundation
import OnboardDomain
import SQLKit

/// Finding the accounts an administrator looks after, by name or address and state, a page at a time. The
/// account list page and `GET /api/v1/accounts` both ask it, so both see exactly the same accounts.
struct AccountSearch: Sendable {
    var text = ""
    var state: AccountState?
    var page = 1
    var pageSize = 100
    /// Whose accounts: those the caller helps with (the account list), or all they see (People and roles).
    var reach: Principal.Reach = .helps

    static let maxPageSize = 100
    /// Deep enough for any organisation; a bound, so a page number cannot ask the database to skip for ever.
    static let maxPage = 100_000
    static let maxText = 100

    struct Row: Decodable, Sendable {
        let id: UUID
        let givenName: String
        let familyName: String
        let address: String
        let displayName: String?
        let organisation: String
        let ods: String?
        let state: String
        let lastMailLogin: Date?
        let mailboxErased: Date?

        var accountState: AccountState { AccountState(rawValue: state) ?? .disabled }
    }

    struct Page: Sendable {
        let rows: [Row]
        /// Whether another page follows: one more row than the page holds was found.
        let more: Bool
    }

    /// What is wrong with the search, by field (the page's `q`, the API's `q`, `page` and `pageSize`).
    func problems() -> ValidationErrors {
        var errors = ValidationErrors()
        if text.count > Self.maxText {
            errors.add("q", "Search text must be \(Self.maxText) characters or fewer")
        } else if let problem = Self.textProblem(text) {
            errors.add("q", problem)
        }
        if !(1...Self.maxPage).contains(page) { errors.add("page", "The page must be from 1 to \(Self.maxPage)") }
        if !(1...Self.maxPageSize).contains(pageSize) {
            errors.add("pageSize", "The page size must be from 1 to \(Self.maxPageSize)")
        }
        return errors
    }

    func run(for principal: Principal, on sql: any SQLDatabase) async throws -> Page {
        let scope = principal.scope(reach)
        let columns: SQLQueryString = """
            SELECT a.id, p.given_name, p.family_name, a.address, a.display_name, o.name AS organisation,
                o.ods_code AS ods, a.state, a.last_mail_login_at AS last_mail_login, a.mailbox_erased_at AS mailbox_erased
            """
        let q = text.tidied
        var statement: SQLQueryString
        if !q.isEmpty, !q.contains("@") {
            // Through the directory's index, at most `DirectorySearch.bound` matches in scope, then sorted.
            var condition: SQLQueryString = scope.contains(SQLColumn("organisation_id", table: "e"))
            if let state {
                condition.appendInterpolation(
                    " AND EXISTS (SELECT 1 FROM accounts s WHERE s.id = e.entry_id AND s.state = \(bind: state.rawValue))"
                        as SQLQueryString)
            }
            let bounded = DirectorySearch.bounded(DirectoryText.words(q), kind: .people, where: condition, on: sql)
            statement = """
                \(columns) FROM (\(bounded)) m JOIN accounts a ON a.id = m.entry_id
                JOIN people p ON p.id = a.person_id JOIN organisations o ON o.id = a.organisation_id
                ORDER BY m.sort_name, a.id
                """
        } else {
            statement = """
                \(columns) FROM accounts a JOIN people p ON p.id = a.person_id
                JOIN organisations o ON o.id = a.organisation_id
                WHERE \(scope.contains(SQLColumn("organisation_id", table: "a")))
                """
            if let state {
                statement.appendInterpolation(" AND a.state = \(bind: state.rawValue)" as SQLQueryString)
            }
            if !q.isEmpty {
                statement.appendInterpolation(" AND a.address = \(bind: q.lowercased())" as SQLQueryString)
            }
            statement.appendInterpolation(" ORDER BY p.family_name, p.given_name, a.id" as SQLQueryString)
        }
        statement.appendInterpolation(
            " LIMIT \(bind: pageSize + 1) OFFSET \(bind: (page - 1) * pageSize)" as SQLQueryString)
        let rows = try await sql.raw(statement).rows(Row.self)
        return Page(rows: Array(rows.prefix(pageSize)), more: rows.count > pageSize)
    }

    /// Why staff search text cannot run: a word shorter than the index can narrow. An address is exact.
    static func textProblem(_ text: String) -> String? {
        let q = text.tidied
        guard !q.isEmpty, !q.contains("@"), DirectoryText.problem(q) == .tooShort else { return nil }
        return
            "Enter at least \(DirectoryText.minimumWord) characters of each word of the name, or a whole email address"
    }
}
