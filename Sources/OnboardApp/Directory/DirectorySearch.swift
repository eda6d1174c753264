import Foundation
import OnboardDomain
import SQLKit

/// The national directory, for every signed-in person: people, organisations and shared mailboxes found by
/// folded text through the trigram index (`directory_entries`, M023), a bounded number at a time.
///
/// Only listed entries are found: active accounts, organisations that have not closed, and shared
/// mailboxes that are not hidden. Mobile numbers are never read here.
struct DirectorySearch: Sendable {
    var text = ""
    var kind: DirectoryKind = .people
    /// People or shared mailboxes of one organisation (from its directory entry); text is then optional.
    var organisation: UUID?
    var page = 1

    static let pageSize = 20
    /// At most this many matches are gathered and sorted; more asks the person to narrow the search.
    static let bound = 500
    static var maxPage: Int { bound / pageSize }

    struct Entry: Sendable, Encodable {
        let id: UUID
        let kind: DirectoryKind
        let name: String
        var displayName: String?
        var address: String?
        var organisationID: UUID?
        var organisation: String?
        var ods: String?
        var jobTitle: String?
        var department: String?
        var workPhone: String?
        var type: String?
        var postcode: String?
    }

    struct Page: Sendable {
        let entries: [Entry]
        /// How many matched, up to `bound`.
        let matched: Int
        /// More than `bound` matched.
        let overflow: Bool
        let page: Int
        var pages: Int { max(1, (matched + DirectorySearch.pageSize - 1) / DirectorySearch.pageSize) }
    }

    enum Outcome: Sendable {
        /// The text named one entry exactly (an address or an ODS code).
        case entry(DirectoryKind, UUID)
        case results(Page)
    }

    func problems() -> ValidationErrors {
        var errors = ValidationErrors()
        // Within one organisation, no text lists everyone listed there.
        if organisation == nil || !text.tidied.isEmpty {
            switch DirectoryText.problem(text) {
            case .empty: errors.add("q", "Enter a name, organisation, ODS code or email address to search for")
            case .tooLong: errors.add("q", "Search text must be \(DirectoryText.maximumText) characters or fewer")
            case .tooShort:
                errors.add(
                    "q", "Enter at least \(DirectoryText.minimumWord) characters of each word, like 'smi' for Smith")
            case nil: break
            }
        }
        if !(1...Self.maxPage).contains(page) { errors.add("page", "The page must be from 1 to \(Self.maxPage)") }
        return errors
    }

    func run(on sql: any SQLDatabase) async throws -> Outcome {
        if organisation == nil, let exact = try await Self.exact(text.tidied, on: sql) {
            return .entry(exact.0, exact.1)
        }
        var condition: SQLQueryString = "e.listed"
        if let organisation {
            condition.appendInterpolation(" AND e.organisation_id = \(bind: organisation)" as SQLQueryString)
        }
        let bounded = Self.bounded(DirectoryText.words(text), kind: kind, where: condition, on: sql)
        // Sorted and paged by the database, over the bounded set only; the window counts that set.
        let rows = try await sql.raw(
            """
            SELECT m.entry_id, m.sort_name, COUNT(*) OVER () AS matched FROM (\(bounded)) m
            ORDER BY m.sort_name, m.entry_id LIMIT \(bind: Self.pageSize) OFFSET \(bind: (page - 1) * Self.pageSize)
            """
        ).rows(Match.self)
        let matched = rows.first?.matched ?? 0
        let entries = try await Self.entries(rows.map(\.entryID), kind: kind, on: sql)
        return .results(
            Page(entries: entries, matched: min(matched, Self.bound), overflow: matched > Self.bound, page: page))
    }

    // MARK: - Matching

    struct Match: Decodable, Sendable {
        let entryID: UUID
        let sortName: String
        let matched: Int
    }

    /// `SELECT e.entry_id, e.sort_name` of up to `bound + 1` entries of a kind that hold every word and meet
    /// `condition` (on `e`, the `directory_entries` row), in no order: the index finds them without reading
    /// the rest, and sorting a bounded set costs little. No words: every entry meeting the condition.
    static func bounded(
        _ words: [String], kind: DirectoryKind, where condition: SQLQueryString, on sql: any SQLDatabase
    ) -> SQLQueryString {
        var statement = matching(words, kind: kind, on: sql)
        statement.appendInterpolation(" AND " as SQLQueryString)
        statement.appendInterpolation(condition)
        statement.appendInterpolation(" LIMIT \(bind: bound + 1)" as SQLQueryString)
        return statement
    }

    /// `SELECT e.entry_id, e.sort_name` of every entry of a kind whose folded text holds every word, through
    /// that kind's index, ending in a `WHERE` that more conditions can follow with `AND`.
    private static func matching(_ words: [String], kind: DirectoryKind, on sql: any SQLDatabase) -> SQLQueryString {
        if !words.isEmpty, sql.dialect.name != "postgresql" {
            let table = SQLRaw(ftsTable(kind))
            return """
                SELECT e.entry_id, e.sort_name FROM \(table) JOIN directory_entries e ON e.seq = \(table).rowid
                WHERE \(table) MATCH \(bind: phrase(words))
                """
        }
        // The kind is written into the text so PostgreSQL's planner picks that kind's partial trigram index.
        var statement: SQLQueryString =
            "SELECT e.entry_id, e.sort_name FROM directory_entries e WHERE e.kind = \(SQLRaw("'\(kind.entryKind)'"))"
        for word in words {
            statement.appendInterpolation(
                " AND e.folded LIKE \(bind: likeContaining(word)) ESCAPE '\\'" as SQLQueryString)
        }
        return statement
    }

    static func ftsTable(_ kind: DirectoryKind) -> String {
        switch kind {
        case .people: "directory_people_fts"
        case .organisations: "directory_organisations_fts"
        case .shared: "directory_shared_fts"
        }
    }

    /// An address of a listed account or shared mailbox, or the ODS code of a listed organisation.
    static func exact(_ text: String, on sql: any SQLDatabase) async throws -> (DirectoryKind, UUID)? {
        struct Row: Decodable { let id: UUID }
        if text.contains("@") {
            let address = text.lowercased()
            if let row = try await sql.raw(
                "SELECT id FROM accounts WHERE address = \(bind: address) AND state = 'active'"
            ).firstRow(Row.self) {
                return (.people, row.id)
            }
            if let row = try await sql.raw(
                "SELECT id FROM shared_mailboxes WHERE address = \(bind: address) AND NOT hidden_from_directory"
            ).firstRow(Row.self) {
                return (.shared, row.id)
            }
            return nil
        }
        let code = text.uppercased()
        guard (3...10).contains(code.count), code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
            code.contains(where: \.isNumber)
        else { return nil }
        if let row = try await sql.raw(
            "SELECT id FROM organisations WHERE ods_code = \(bind: code) AND status <> 'closed'"
        ).firstRow(Row.self) {
            return (.organisations, row.id)
        }
        return nil
    }

    // MARK: - What a result shows

    struct PersonRow: Decodable {
        let id: UUID
        let givenName: String
        let familyName: String
        let displayName: String?
        let address: String
        let organisationID: UUID
        let organisation: String
        let ods: String?
        let jobTitle: String?
        let department: String?
        let workPhone: String?

        var entry: Entry {
            Entry(
                id: id, kind: .people, name: "\(givenName) \(familyName)", displayName: displayName, address: address,
                organisationID: organisationID, organisation: organisation, ods: ods, jobTitle: jobTitle.nonEmpty,
                department: department.nonEmpty, workPhone: workPhone.nonEmpty)
        }
    }

    struct OrganisationRow: Decodable {
        let id: UUID
        let name: String
        let ods: String?
        let type: String
        let postcode: String?

        var entry: Entry {
            Entry(
                id: id, kind: .organisations, name: name, organisationID: id, ods: ods,
                type: OrganisationType(rawValue: type)?.displayName ?? type, postcode: postcode)
        }
    }

    struct SharedRow: Decodable {
        let id: UUID
        let displayName: String
        let address: String
        let organisationID: UUID
        let organisation: String
        let ods: String?

        var entry: Entry {
            Entry(
                id: id, kind: .shared, name: displayName, address: address, organisationID: organisationID,
                organisation: organisation, ods: ods)
        }
    }

    /// The entries with these ids, in this order, that are still listed.
    static func entries(_ ids: [UUID], kind: DirectoryKind, on sql: any SQLDatabase) async throws -> [Entry] {
        guard !ids.isEmpty else { return [] }
        let found: [Entry]
        switch kind {
        case .people:
            found = try await sql.raw(
                """
                SELECT a.id, p.given_name, p.family_name, a.display_name, a.address, o.id AS organisation_id,
                    o.name AS organisation, o.ods_code AS ods, a.job_title, a.department, a.work_phone
                FROM accounts a JOIN people p ON p.id = a.person_id JOIN organisations o ON o.id = a.organisation_id
                WHERE a.id IN (\(binds: ids)) AND a.state = 'active'
                """
            ).rows(PersonRow.self).map(\.entry)
        case .organisations:
            found = try await sql.raw(
                """
                SELECT id, name, ods_code AS ods, type, postcode FROM organisations
                WHERE id IN (\(binds: ids)) AND status <> 'closed'
                """
            ).rows(OrganisationRow.self).map(\.entry)
        case .shared:
            found = try await sql.raw(
                """
                SELECT s.id, s.display_name, s.address, o.id AS organisation_id, o.name AS organisation,
                    o.ods_code AS ods
                FROM shared_mailboxes s JOIN organisations o ON o.id = s.organisation_id
                WHERE s.id IN (\(binds: ids)) AND NOT s.hidden_from_directory
                """
            ).rows(SharedRow.self).map(\.entry)
        }
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }

    /// One listed entry, or nil: what is hidden, inactive or closed reads exactly like what does not exist.
    static func entry(_ id: UUID, kind: DirectoryKind, on sql: any SQLDatabase) async throws -> Entry? {
        try await entries([id], kind: kind, on: sql).first
    }
}

extension Optional where Wrapped == String {
    fileprivate var nonEmpty: String? { self?.tidied.nilIfEmpty }
}

extension DirectorySearch {
    /// `column IN (entries of this kind whose folded text holds every word)`, listed or not: the staff searches
    /// (accounts, people and roles, organisations) use the directory's index this way, then apply their own
    /// scope. Every word must have `DirectoryText.minimumWord` characters.
    static func containing(_ words: [String], kind: DirectoryKind, column: SQLColumn, on sql: any SQLDatabase)
        -> SQLQueryString
    {
        "\(column) IN (SELECT m.entry_id FROM (\(matching(words, kind: kind, on: sql))) m)"
    }

    /// The FTS5 query for every word as a quoted phrase (a trigram phrase matches anywhere in the text).
    static func phrase(_ words: [String]) -> String {
        words.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " AND ")
    }
}
