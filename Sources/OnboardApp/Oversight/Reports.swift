import Foundation
import OnboardDomain
import SQLKit
import Vapor

enum ReportKind: String, CaseIterable, Sendable {
    case applications
    case accounts
    case activation
    case secondFactor = "second-factor"
    case programmes
    case pharmacyGateway = "pharmacy-gateway"

    var title: String {
        switch self {
        case .applications: "Applications"
        case .accounts: "Accounts by status"
        case .activation: "Activation"
        case .secondFactor: "Administrators without a second factor"
        case .programmes: "Waiting lists and cohorts"
        case .pharmacyGateway: "Pharmacy gateway"
        }
    }

    var summary: String {
        switch self {
        case .applications:
            "Applications by state, type, region and programme, and how long they take from submission to a decision."
        case .accounts: "How many accounts are in each state."
        case .activation: "How many accounts made have been activated, overall and by region."
        case .secondFactor: "People who hold a role above user but have no authenticator app."
        case .programmes: "Who is waiting for each programme, and its cohorts."
        case .pharmacyGateway:
            "Whether each pharmacy premises meets the programme's gateway: a shared mailbox with live linked accounts."
        }
    }
}

/// One report: sections, each a chart with the same figures as a table, and the whole as CSV.
struct Report: Sendable {
    struct Table: Sendable {
        var caption: String
        var columns: [String]
        var rows: [[String]]
        /// Set when the page shows only the first rows; the CSV has them all.
        var truncatedFrom: Int?
    }

    struct Section: Sendable {
        var heading: String
        var chart: BarChart?
        var table: Table
    }

    var kind: ReportKind
    var sections: [Section]

    /// Every section's table, one after another, each row led by its section's heading.
    var csv: String {
        var text = ""
        for section in sections {
            text += CSV.line(["section"] + section.table.columns) + "\r\n"
            for row in section.table.rows { text += CSV.line([section.heading] + row) + "\r\n" }
        }
        return text
    }
}

/// The figures come from SQL aggregates over the caller's scope; rows are never loaded to be counted.
enum Reports {
    /// Rows shown on a page for the reports that list people or premises; the CSV has them all.
    static let pageRows = 200

    static func build(
        _ kind: ReportKind, for principal: Principal, allRows: Bool = false, on sql: any SQLDatabase
    ) async throws -> Report {
        let context = Context(principal: principal, sql: sql, allRows: allRows)
        switch kind {
        case .applications: return try await applications(context)
        case .accounts: return try await accounts(context)
        case .activation: return try await activation(context)
        case .secondFactor: return try await secondFactor(context)
        case .programmes: return try await programmes(context)
        case .pharmacyGateway: return try await pharmacyGateway(context)
        }
    }

    struct Context {
        let principal: Principal
        let sql: any SQLDatabase
        let allRows: Bool

        /// Organisations (by the given column) within the caller's scope.
        func organisations(_ column: SQLColumn) -> SQLQueryString {
            if principal.seesEverything { return "1 = 1" }
            return principal.scope.contains(column)
        }

        var postgres: Bool { sql.dialect.name == "postgresql" }

        /// Seconds between two timestamp columns, in either database.
        func seconds(from start: String, to end: String) -> String {
            postgres ? "EXTRACT(EPOCH FROM (\(end) - \(start)))" : "(\(end) - \(start))"
        }
    }

    struct Count: Decodable {
        let label: String?
        let n: Int
    }

    private static func section(
        _ id: String, heading: String, description: String, counts: [(String, Int)], column: String
    ) -> Report.Section {
        Report.Section(
            heading: heading,
            chart: BarChart(
                id: id, title: heading, description: description, bars: counts.map { BarChart.Bar($0.0, $0.1) }),
            table: Report.Table(
                caption: heading, columns: [column, "Number"], rows: counts.map { [$0.0, String($0.1)] }))
    }

    // MARK: Applications

    private static func applications(_ context: Context) async throws -> Report {
        let visible = ApplicationStore.visible(to: context.principal)
        // Counted four ways. Within a scope, the applications in it are found once: four separate counts
        // expanded an LA's organisation tree twelve times (383 ms at national scale on SQLite). With no scope
        // to expand, four plain counts are cheapest (a sort of every row for one pass grouped by all four
        // columns cost more on both databases).
        struct Breakdown: Decodable {
            let dimension: String
            let label: String?
            let n: Int
        }
        let dimensions = ["state", "kind", "region", "programme"]
        let breakdowns: [Breakdown]
        if context.principal.seesEverything {
            var all: [Breakdown] = []
            for dimension in dimensions {
                all += try await context.sql.raw(
                    """
                    SELECT \(bind: dimension) AS dimension, a.\(unsafeRaw: dimension) AS label, COUNT(*) AS n
                    FROM applications a WHERE \(visible) GROUP BY a.\(unsafeRaw: dimension)
                    """
                ).rows(Breakdown.self)
            }
            breakdowns = all
        } else {
            breakdowns = try await context.sql.raw(
                """
                WITH v AS MATERIALIZED (SELECT a.state, a.kind, a.region, a.programme FROM applications a WHERE \(visible))
                SELECT 'state' AS dimension, state AS label, COUNT(*) AS n FROM v GROUP BY state
                UNION ALL SELECT 'kind', kind, COUNT(*) FROM v GROUP BY kind
                UNION ALL SELECT 'region', region, COUNT(*) FROM v GROUP BY region
                UNION ALL SELECT 'programme', programme, COUNT(*) FROM v GROUP BY programme
                """
            ).rows(Breakdown.self)
        }
        func grouped(_ dimension: String) -> [Count] {
            breakdowns.filter { $0.dimension == dimension }.map { Count(label: $0.label, n: $0.n) }
        }
        let byState = grouped("state")
        let states = ApplicationState.allCases.filter { $0 != .draft }.compactMap { state -> (String, Int)? in
            byState.first { $0.label == state.rawValue }.map { (state.displayName, $0.n) }
        }
        let kinds = grouped("kind").map { row in
            (row.label.flatMap(ApplicationKind.init(rawValue:))?.displayName ?? row.label ?? "Unknown", row.n)
        }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
        let regions = try await RegionDirectory.all(on: context.sql)
        let byRegion = grouped("region").map { row in
            (regions.first { $0.code == row.label }?.name ?? "Not given", row.n)
        }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
        let parameters = try await EligibilityParameterStore.current(on: context.sql)
        let byProgramme = grouped("programme").map { row in
            (programmeName(row.label, parameters), row.n)
        }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }

        // Submission to the first decision that ends review: approved, not approved, or completed.
        struct Timing: Decodable {
            let kind: String
            let decided: Int
            let meanSeconds: Double?
            let withinWeek: Int
            let withinMonth: Int
        }
        let finals = [ApplicationState.approved, .rejected, .completed].map(\.rawValue)
        let duration = context.seconds(from: "a.submitted_at", to: "d.decided_at")
        let timings = try await context.sql.raw(
            """
            SELECT a.kind, COUNT(*) AS decided, AVG(\(unsafeRaw: duration)) AS mean_seconds,
                SUM(CASE WHEN \(unsafeRaw: duration) <= 604800 THEN 1 ELSE 0 END) AS within_week,
                SUM(CASE WHEN \(unsafeRaw: duration) <= 2592000 THEN 1 ELSE 0 END) AS within_month
            FROM applications a
            JOIN (SELECT application_id, MIN(occurred_at) AS decided_at FROM application_events
                  WHERE to_state IN (\(binds: finals)) GROUP BY application_id) d ON d.application_id = a.id
            WHERE \(visible) AND a.submitted_at IS NOT NULL
            GROUP BY a.kind ORDER BY a.kind
            """
        ).rows(Timing.self)
        let decided = timings.reduce(0) { $0 + $1.decided }
        let week = timings.reduce(0) { $0 + $1.withinWeek }
        let month = timings.reduce(0) { $0 + $1.withinMonth }
        let speed = Report.Section(
            heading: "Time from submission to a decision",
            chart: BarChart(
                id: "applications-time", title: "Time from submission to a decision",
                description: "Of \(decided) decided applications, \(week) were decided within a week, "
                    + "\(month - week) within a month, and \(decided - month) took longer.",
                bars: [
                    .init("Within a week", week), .init("Within a month", month - week),
                    .init("Longer than a month", decided - month),
                ]),
            table: Report.Table(
                caption: "Time from submission to a decision, by type",
                columns: ["Type", "Decided", "Average days", "Within a week", "Within a month"],
                rows: timings.map { row in
                    [
                        ApplicationKind(rawValue: row.kind)?.displayName ?? row.kind, String(row.decided),
                        row.meanSeconds.map { String(format: "%.1f", $0 / 86_400) } ?? "",
                        String(row.withinWeek), String(row.withinMonth),
                    ]
                }))
        return Report(
            kind: .applications,
            sections: [
                section(
                    "applications-state", heading: "By state",
                    description: "Applications you can see, by where they are in review.", counts: states,
                    column: "State"),
                section(
                    "applications-type", heading: "By type", description: "Applications by who is applying.",
                    counts: kinds, column: "Type"),
                section(
                    "applications-region", heading: "By region", description: "Applications by NHS England region.",
                    counts: byRegion, column: "Region"),
                section(
                    "applications-programme", heading: "By programme",
                    description: "Applications by the programme they joined through.", counts: byProgramme,
                    column: "Programme"),
                speed,
            ])
    }

    // MARK: Accounts

    private static func accounts(_ context: Context) async throws -> Report {
        // From the counts the triggers keep (M024): thousands of rows, not every account.
        let rows = try await context.sql.raw(
            """
            SELECT c.state AS label, CAST(SUM(c.n) AS BIGINT) AS n FROM account_state_counts c
            WHERE \(context.organisations(SQLColumn("organisation_id", table: "c"))) GROUP BY c.state
            """
        ).rows(Count.self)
        let counts = AccountState.allCases.map { state in
            (state.reportLabel, rows.first { $0.label == state.rawValue }?.n ?? 0)
        }
        let total = counts.reduce(0) { $0 + $1.1 }
        return Report(
            kind: .accounts,
            sections: [
                section(
                    "accounts-state", heading: "Accounts by status",
                    description: "\(BarChart.grouped(total)) accounts in your scope, by status.", counts: counts,
                    column: "Status")
            ])
    }

    // MARK: Activation

    private static func activation(_ context: Context) async throws -> Report {
        struct Row: Decodable {
            let region: String?
            let made: Int
            let activated: Int
            let waiting: Int
            let expired: Int
        }
        // Activated: anything past pending activation and expiry. From the counts per organisation and state
        // that the triggers keep (M024), so no account is read.
        let rows = try await context.sql.raw(
            """
            SELECT o.region, CAST(SUM(c.n) AS BIGINT) AS made,
                CAST(SUM(CASE WHEN c.state NOT IN ('pending_activation', 'expired') THEN c.n ELSE 0 END) AS BIGINT)
                    AS activated,
                CAST(SUM(CASE WHEN c.state = 'pending_activation' THEN c.n ELSE 0 END) AS BIGINT) AS waiting,
                CAST(SUM(CASE WHEN c.state = 'expired' THEN c.n ELSE 0 END) AS BIGINT) AS expired
            FROM account_state_counts c JOIN organisations o ON o.id = c.organisation_id
            WHERE \(context.organisations(SQLColumn("organisation_id", table: "c")))
            GROUP BY o.region ORDER BY o.region
            """
        ).rows(Row.self)
        let regions = try await RegionDirectory.all(on: context.sql)
        let made = rows.reduce(0) { $0 + $1.made }
        let activated = rows.reduce(0) { $0 + $1.activated }
        let waiting = rows.reduce(0) { $0 + $1.waiting }
        let expired = rows.reduce(0) { $0 + $1.expired }
        func rate(_ part: Int, _ whole: Int) -> Int {
            whole == 0 ? 0 : Int((Double(part) * 100 / Double(whole)).rounded())
        }
        return Report(
            kind: .activation,
            sections: [
                Report.Section(
                    heading: "Activation overall",
                    chart: BarChart(
                        id: "activation-overall", title: "Activation overall",
                        description: "\(rate(activated, made))% of \(BarChart.grouped(made)) accounts made have been "
                            + "activated; \(waiting) are waiting and \(expired) expired before activation.",
                        bars: [
                            .init("Activated", activated), .init("Waiting for activation", waiting),
                            .init("Expired before activation", expired),
                        ]),
                    table: Report.Table(
                        caption: "Activation overall", columns: ["Accounts", "Number"],
                        rows: [
                            ["Made", String(made)], ["Activated", String(activated)],
                            ["Waiting for activation", String(waiting)],
                            ["Expired before activation", String(expired)],
                            ["Activation rate (%)", String(rate(activated, made))],
                        ])),
                Report.Section(
                    heading: "Activation rate by region",
                    chart: BarChart(
                        id: "activation-region", title: "Activation rate by region",
                        description: "The share of accounts made in each region that have been activated.",
                        bars: rows.map { row in
                            .init(
                                regions.first { $0.code == row.region }?.name ?? "No region",
                                rate(row.activated, row.made))
                        }, unit: "%", scale: 100),
                    table: Report.Table(
                        caption: "Activation by region",
                        columns: ["Region", "Made", "Activated", "Waiting", "Expired", "Rate (%)"],
                        rows: rows.map { row in
                            [
                                regions.first { $0.code == row.region }?.name ?? "No region", String(row.made),
                                String(row.activated), String(row.waiting), String(row.expired),
                                String(rate(row.activated, row.made)),
                            ]
                        })),
            ])
    }

    // MARK: Second factor

    private static func secondFactor(_ context: Context) async throws -> Report {
        // From the gaps the triggers keep (M026): each live grant above user held by a live account without
        // an authenticator, with the holder's organisation and address, so no account is read until the
        // page's own people are named.
        let scope = context.organisations(SQLColumn("organisation_id", table: "s"))
        let counted = try await context.sql.raw(
            """
            SELECT s.role AS label, COUNT(DISTINCT s.account_id) AS n FROM second_factor_gaps s WHERE \(scope)
            GROUP BY s.role
            UNION ALL SELECT NULL AS label, COUNT(DISTINCT s.account_id) AS n FROM second_factor_gaps s WHERE \(scope)
            """
        ).rows(Count.self)
        // Every role above user, noughts included: a nought is the figure people want to see here.
        let counts = Role.allCases.filter { $0 != .user }.sorted { $0.rank > $1.rank }.map { role in
            (role.displayName, counted.first { $0.label == role.rawValue }?.n ?? 0)
        }
        let total = counted.first { $0.label == nil }?.n ?? 0
        let roles: SQLQueryString = context.postgres ? "string_agg(s.role, ',')" : "group_concat(s.role, ',')"
        let limit: SQLQueryString = context.allRows ? "" : "LIMIT \(unsafeRaw: String(pageRows))"
        struct Listed: Decodable {
            let givenName: String
            let familyName: String
            let address: String
            let organisation: String
            let roles: String
        }
        let listed = try await context.sql.raw(
            """
            SELECT p.given_name, p.family_name, t.address, t.organisation, t.roles FROM (
                SELECT s.account_id, s.address, o.name AS organisation, \(roles) AS roles
                FROM second_factor_gaps s JOIN organisations o ON o.id = s.organisation_id WHERE \(scope)
                GROUP BY s.account_id, s.address, o.name ORDER BY o.name, s.address \(limit)
            ) t JOIN accounts a ON a.id = t.account_id JOIN people p ON p.id = a.person_id
            ORDER BY t.organisation, t.address
            """
        ).rows(Listed.self)
        return Report(
            kind: .secondFactor,
            sections: [
                section(
                    "second-factor-role", heading: "By role",
                    description: "\(total) people hold a role above user without an authenticator app, by role.",
                    counts: counts, column: "Role"),
                Report.Section(
                    heading: "People to follow up", chart: nil,
                    table: Report.Table(
                        caption: "People with a role above user and no authenticator app",
                        columns: ["Name", "Address", "Organisation", "Roles"],
                        rows: listed.map { person in
                            [
                                "\(person.givenName) \(person.familyName)", person.address, person.organisation,
                                person.roles.split(separator: ",").map {
                                    Role(rawValue: String($0))?.displayName ?? String($0)
                                }.sorted().joined(separator: ", "),
                            ]
                        }, truncatedFrom: total > listed.count ? total : nil)),
            ])
    }

    // MARK: Programmes

    /// A programme as people know it (NUMSAS, not numsas); applications that joined through none say so.
    private static func programmeName(_ code: String?, _ parameters: EligibilityParameters) -> String {
        guard let code else { return "No programme" }
        return parameters.programme(code)?.name ?? code
    }

    private static func programmes(_ context: Context) async throws -> Report {
        let parameters = try await EligibilityParameterStore.current(on: context.sql)
        let visible = ApplicationStore.visible(to: context.principal)
        let waiting = try await context.sql.raw(
            """
            SELECT a.programme AS label, COUNT(*) AS n FROM applications a
            WHERE \(visible) AND a.state = \(bind: ApplicationState.waitlisted.rawValue)
            GROUP BY a.programme ORDER BY a.programme
            """
        ).rows(Count.self)
        struct Cohort: Decodable {
            let programme: String
            let name: String
            let capacity: Int
            let releasedAt: Date?
            let members: Int
        }
        let cohorts = try await context.sql.raw(
            """
            SELECT c.programme, c.name, c.capacity, c.released_at,
                (SELECT COUNT(*) FROM applications a WHERE a.cohort_id = c.id AND \(visible)) AS members
            FROM programme_cohorts c ORDER BY c.programme, c.created_at
            """
        ).rows(Cohort.self)
        return Report(
            kind: .programmes,
            sections: [
                section(
                    "programmes-waiting", heading: "Waiting lists",
                    description: "Applications on each programme's waiting list.",
                    counts: waiting.map { (programmeName($0.label, parameters), $0.n) }, column: "Programme"),
                Report.Section(
                    heading: "Cohorts",
                    chart: BarChart(
                        id: "programmes-cohorts", title: "Applications in each cohort",
                        description: "How many applications each cohort holds.",
                        bars: cohorts.map {
                            .init("\(programmeName($0.programme, parameters)): \($0.name)", $0.members)
                        }),
                    table: Report.Table(
                        caption: "Cohorts", columns: ["Programme", "Cohort", "Capacity", "Applications", "Released"],
                        rows: cohorts.map { cohort in
                            [
                                programmeName(cohort.programme, parameters), cohort.name, String(cohort.capacity),
                                String(cohort.members),
                                cohort.releasedAt.map(Format.date) ?? "Not yet",
                            ]
                        })),
            ])
    }

    // MARK: Pharmacy gateway

    private static func pharmacyGateway(_ context: Context) async throws -> Report {
        let scope = context.organisations(SQLColumn("id", table: "o"))
        struct Premises: Decodable {
            let odsCode: String?
            let name: String
            let region: String?
            let met: Bool
        }
        // Met: the premises has a shared mailbox with at least one active member. The met premises are found
        // first, from the members (thousands), each member's account looked up by its key; asked per
        // premises instead, PostgreSQL hashed every active account (201 ms nationally). One pass over the
        // premises in scope then gives both the counts by region and the list.
        let all = try await context.sql.raw(
            """
            WITH met AS MATERIALIZED (
                SELECT DISTINCT m.organisation_id FROM shared_mailboxes m
                JOIN shared_mailbox_members mm ON mm.mailbox_id = m.id
                WHERE \(context.organisations(SQLColumn("organisation_id", table: "m")))
                    AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = mm.account_id AND a.state || '' = 'active'))
            SELECT o.ods_code, o.name, o.region, (CASE WHEN o.id IN (SELECT organisation_id FROM met) THEN 1 ELSE 0 END) = 1 AS met
            FROM organisations o
            WHERE o.type = 'community_pharmacy' AND o.status <> 'closed' AND \(scope)
            ORDER BY met, o.name
            """
        ).rows(Premises.self)
        struct Row {
            let region: String?
            var premises: Int
            var met: Int
        }
        var totals: [String?: Row] = [:]
        for item in all {
            totals[item.region, default: Row(region: item.region, premises: 0, met: 0)].premises += 1
            if item.met { totals[item.region]?.met += 1 }
        }
        let byRegion = totals.values.sorted { ($0.region ?? "~") < ($1.region ?? "~") }
        let regions = try await RegionDirectory.all(on: context.sql)
        let premises = all.count
        let metCount = all.filter(\.met).count
        let list = context.allRows ? all : Array(all.prefix(pageRows))
        func regionName(_ code: String?) -> String { regions.first { $0.code == code }?.name ?? "No region" }
        return Report(
            kind: .pharmacyGateway,
            sections: [
                Report.Section(
                    heading: "Premises meeting the gateway",
                    chart: BarChart(
                        id: "gateway-overall", title: "Premises meeting the gateway",
                        description: "\(metCount) of \(premises) pharmacy premises have a shared mailbox with live "
                            + "linked accounts; \(premises - metCount) do not.",
                        bars: [.init("Met", metCount), .init("Not met", premises - metCount)]),
                    table: Report.Table(
                        caption: "Premises meeting the gateway, by region",
                        columns: ["Region", "Premises", "Met", "Not met"],
                        rows: byRegion.map { row in
                            [
                                regionName(row.region), String(row.premises), String(row.met),
                                String(row.premises - row.met),
                            ]
                        })),
                Report.Section(
                    heading: "Each premises", chart: nil,
                    table: Report.Table(
                        caption: "Each pharmacy premises, those not meeting the gateway first",
                        columns: ["ODS code", "Premises", "Region", "Gateway"],
                        rows: list.map { row in
                            [row.odsCode ?? "", row.name, regionName(row.region), row.met ? "Met" : "Not met"]
                        }, truncatedFrom: premises > list.count ? premises : nil)),
            ])
    }
}

extension AccountState {
    /// As a heading or a table row, not inside a sentence.
    var reportLabel: String {
        switch self {
        case .pendingActivation: "Waiting for activation"
        case .active: "Active"
        case .locked: "Locked"
        case .expired: "Expired before activation"
        case .leaver: "Leaver"
        case .inactive: "Inactive"
        case .disabled: "Disabled"
        case .deleted: "Deleted"
        }
    }
}
