import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Searching the audit log by actor, target, action, organisation and date, newest first, keyset-paged by
/// sequence number and limited to the viewer's scope.
enum AuditSearch {
    struct Filters: Sendable, Equatable {
        var actor = ""
        var target = ""
        var action = ""
        var organisation = ""
        var from = ""
        var to = ""

        var isEmpty: Bool { [actor, target, action, organisation, from, to].allSatisfy(\.isEmpty) }

        /// The filters as a query string, for paging links and the CSV link.
        var query: String {
            let pairs = [
                ("actor", actor), ("target", target), ("action", action), ("organisation", organisation),
                ("from", from), ("to", to),
            ].filter { !$0.1.isEmpty }
            return pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                .joined(separator: "&")
        }
    }

    /// Filters checked and turned into bounds.
    struct Query: Sendable {
        var filters: Filters
        var fromMicros: Int64?
        var toMicros: Int64?
        var before: Int64?
        var limit = 50
        /// The account a target given as an email address names, once looked up.
        var targetAccount: UUID?
    }

    static func validate(_ raw: Filters, before: String?, limit: Int? = nil) -> Result<Query, ValidationErrors> {
        var filters = raw
        var errors = ValidationErrors()
        filters.actor = raw.actor.trimmingCharacters(in: .whitespaces).lowercased()
        filters.target = raw.target.trimmingCharacters(in: .whitespaces)
        filters.action = raw.action.trimmingCharacters(in: .whitespaces).lowercased()
        filters.organisation = raw.organisation.trimmingCharacters(in: .whitespaces).uppercased()
        filters.from = raw.from.trimmingCharacters(in: .whitespaces)
        filters.to = raw.to.trimmingCharacters(in: .whitespaces)
        if !filters.actor.isEmpty, !filters.actor.contains("@") || filters.actor.count > 254 {
            errors.add("actor", "Enter the actor's email address, like name@nhs.net")
        }
        if filters.target.count > 254 { errors.add("target", "Target must be 254 characters or fewer") }
        if filters.action.count > 100 || filters.action.contains(where: { !($0.isLetter || $0 == "." || $0 == "_") }) {
            errors.add("action", "Enter an action such as account.create, or the start of one such as account")
        }
        if !filters.organisation.isEmpty, !OrganisationRules.isValidODS(filters.organisation) {
            errors.add("organisation", "Enter an ODS code, like RR8")
        }
        let from = filters.from.isEmpty ? nil : londonMidnight(filters.from)
        if !filters.from.isEmpty, from == nil { errors.add("from", "Enter the start date as a real date") }
        let to = filters.to.isEmpty ? nil : londonMidnight(filters.to)
        if !filters.to.isEmpty, to == nil { errors.add("to", "Enter the end date as a real date") }
        if let from, let to, to < from { errors.add("to", "The end date must be the same as or after the start date") }
        var cursor: Int64?
        if let before, !before.isEmpty {
            guard let parsed = Int64(before), parsed > 0 else {
                errors.add("before", "This page link is not valid. Search again")
                return .failure(errors)
            }
            cursor = parsed
        }
        if let limit, !(1...200).contains(limit) { errors.add("limit", "Limit must be from 1 to 200") }
        guard errors.errors.isEmpty else { return .failure(errors) }
        return .success(
            Query(
                filters: filters, fromMicros: from.map(AuditLog.micros),
                toMicros: to.map { AuditLog.micros($0.addingTimeInterval(86_400)) }, before: cursor,
                limit: limit ?? 50))
    }

    /// The start of a London calendar day, typed as D/M/YYYY (as people write dates here) or YYYY-MM-DD.
    static func londonMidnight(_ text: String) -> Date? {
        let numbers = text.split(whereSeparator: { $0 == "/" || $0 == "-" || $0 == "." }).map { Int($0) }
        guard numbers.count == 3, let a = numbers[0], let b = numbers[1], let c = numbers[2] else { return nil }
        let (year, month, day) = text.contains("/") || text.contains(".") ? (c, b, a) : (a, b, c)
        guard (1900...9999).contains(year) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date
    }

    struct Row: Decodable, Sendable {
        let seq: Int64
        let occurredAt: Date
        let occurredUs: Int64
        let actorRole: String?
        let actorAddress: String?
        let tokenID: UUID?
        let action: String
        let targetType: String
        let targetID: String?
        let organisationName: String?
        let organisationODS: String?
        let requestID: String?
    }

    struct Page: Sendable {
        let rows: [Row]
        /// The cursor for the next (older) page.
        let next: Int64?
    }

    /// The part of the log this person may see.
    static func visibility(for principal: Principal) -> SQLQueryString {
        if principal.seesEverything { return "1 = 1" }
        let administered = principal.administering([.localAdmin])
        guard !administered.treeRoots.isEmpty else { return "1 = 0" }
        return "(e.organisation_id IS NOT NULL AND \(administered.contains(SQLColumn("organisation_id", table: "e"))))"
    }

    static func conditions(_ query: Query, principal: Principal) -> SQLQueryString {
        var clause: SQLQueryString = "\(visibility(for: principal))"
        let filters = query.filters
        if !filters.actor.isEmpty {
            clause.appendInterpolation(
                " AND e.actor_account_id IN (SELECT id FROM accounts WHERE address = \(bind: filters.actor))"
                    as SQLQueryString)
        }
        if !filters.target.isEmpty {
            var names = [filters.target, filters.target.uppercased(), filters.target.lowercased()]
            if let account = query.targetAccount { names += [account.uuidString, account.uuidString.lowercased()] }
            clause.appendInterpolation(" AND e.target_id IN (\(binds: names))" as SQLQueryString)
        }
        if !filters.action.isEmpty {
            clause.appendInterpolation(
                " AND (e.action = \(bind: filters.action) OR e.action LIKE \(bind: filters.action + ".%"))"
                    as SQLQueryString)
        }
        if !filters.organisation.isEmpty {
            clause.appendInterpolation(
                " AND e.organisation_id IN (SELECT id FROM organisations WHERE ods_code = \(bind: filters.organisation))"
                    as SQLQueryString)
        }
        if let from = query.fromMicros {
            clause.appendInterpolation(" AND e.occurred_us >= \(bind: from)" as SQLQueryString)
        }
        if let to = query.toMicros { clause.appendInterpolation(" AND e.occurred_us < \(bind: to)" as SQLQueryString) }
        return clause
    }

    static func run(_ query: Query, principal: Principal, on sql: any SQLDatabase) async throws -> Page {
        var query = query
        if query.filters.target.contains("@"), query.targetAccount == nil {
            struct Found: Decodable { let id: UUID }
            query.targetAccount = try await sql.raw(
                "SELECT id FROM accounts WHERE address = \(bind: query.filters.target.lowercased())"
            ).firstRow(Found.self)?.id
        }
        var clause = conditions(query, principal: principal)
        if let before = query.before { clause.appendInterpolation(" AND e.seq < \(bind: before)" as SQLQueryString) }
        let rows = try await sql.raw(
            """
            SELECT e.seq, e.occurred_at, e.occurred_us, e.actor_role, a.address AS actor_address, e.token_id, e.action,
                e.target_type, e.target_id, o.name AS organisation_name, o.ods_code AS organisation_ods, e.request_id
            FROM audit_events e
            LEFT JOIN accounts a ON a.id = e.actor_account_id
            LEFT JOIN organisations o ON o.id = e.organisation_id
            WHERE \(clause)
            ORDER BY e.seq DESC LIMIT \(literal: query.limit + 1)
            """
        ).rows(Row.self)
        let page = Array(rows.prefix(query.limit))
        return Page(rows: page, next: rows.count > query.limit ? page.last?.seq : nil)
    }

    /// One event with its details, if the viewer may see it.
    struct Detail: Decodable, Sendable {
        let seq: Int64
        let id: UUID
        let occurredAt: Date
        let occurredUs: Int64
        let actorRole: String?
        let actorScope: String?
        let actorAddress: String?
        let tokenID: UUID?
        let action: String
        let targetType: String
        let targetID: String?
        let organisationName: String?
        let organisationODS: String?
        let requestID: String?
        let before: String?
        let after: String?
        let clientAddress: String?
        let redactedAt: Date?
    }

    static func event(_ seq: Int64, principal: Principal, on sql: any SQLDatabase) async throws -> Detail? {
        try await sql.raw(
            """
            SELECT e.seq, e.id, e.occurred_at, e.occurred_us, e.actor_role, e.actor_scope, a.address AS actor_address,
                e.token_id, e.action, e.target_type, e.target_id, o.name AS organisation_name,
                o.ods_code AS organisation_ods, e.request_id, d."before", d."after", d.client_address, d.redacted_at
            FROM audit_events e
            LEFT JOIN accounts a ON a.id = e.actor_account_id
            LEFT JOIN organisations o ON o.id = e.organisation_id
            LEFT JOIN audit_details d ON d.event_id = e.id
            WHERE e.seq = \(bind: seq) AND \(visibility(for: principal))
            """
        ).firstRow(Detail.self)
    }

    static let csvHeader = [
        "sequence", "time_utc", "actor", "actor_role", "api_token", "action", "target_type", "target",
        "organisation_ods",
        "organisation", "request_id",
    ]

    /// Every matching event as CSV, newest first, read a page at a time. Cells are neutralised against
    /// formulas; personal details (before and after) are not exported.
    static func csv(_ query: Query, principal: Principal, maximum: Int = 100_000, on sql: any SQLDatabase)
        async throws -> (text: String, rows: Int)
    {
        var paged = query
        paged.limit = 5_000
        var text = CSV.line(csvHeader) + "\r\n"
        var count = 0
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        while count < maximum {
            let page = try await run(paged, principal: principal, on: sql)
            for row in page.rows {
                text +=
                    CSV.line([
                        String(row.seq), formatter.string(from: row.occurredAt), row.actorAddress ?? "",
                        row.actorRole ?? "", row.tokenID?.uuidString.lowercased() ?? "", row.action, row.targetType,
                        row.targetID ?? "", row.organisationODS ?? "", row.organisationName ?? "",
                        row.requestID ?? "",
                    ]) + "\r\n"
            }
            count += page.rows.count
            guard let next = page.next else { break }
            paged.before = next
        }
        return (text, count)
    }
}
