import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// `onboard bench-reports`: fills the database with a national-scale estate (1.7 million accounts over
/// 30,000 organisations by default, with applications, administrators and pharmacy mailboxes), generated
/// by SQL, then times every report as a national administrator and as a Local Administrator, and the first
/// page of the audit search. Development databases only.
struct ReportBenchmarkCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "accounts", help: "Accounts to generate (default 1700000).")
        var accounts: Int?
        @Option(name: "organisations", help: "Organisations to generate (default 30000).")
        var organisations: Int?
        @Option(name: "applications", help: "Applications to generate (default 100000).")
        var applications: Int?
        @Flag(name: "reuse", help: "Time the reports on the estate a previous run generated, without adding one.")
        var reuse: Bool
    }

    var help: String { "Measures every report on a generated national-scale database (development only)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await DemoData.guardAllowed(app)
        try await app.autoMigrate()
        if try await DemoData.isEmpty(app.db) { try await DemoData.seed(app) }
        let sql = app.db as! any SQLDatabase
        let accounts = signature.accounts ?? 1_700_000
        let organisations = signature.organisations ?? 30_000
        let applications = signature.applications ?? 100_000
        let generator = Generator(
            sql: sql, now: app.clock.now(), accounts: accounts, organisations: organisations,
            applications: applications)
        if !signature.reuse {
            let started = Date()
            try await generator.organisationsAndAccounts(
                administeredBy: try await id(ofOrganisation: "QWO", sql))
            try await generator.applications()
            // Fresh statistics, as a production database would have.
            try await sql.raw("ANALYZE").run()
            context.console.print(
                "Generated \(accounts) accounts, \(organisations) organisations and \(applications) applications in "
                    + String(format: "%.1f s", Date().timeIntervalSince(started)))
        }

        let national = try await principal(
            DemoData.address(for: DemoData.people[0], domain: app.settings.mailDomain), sql)
        let local = try await principal("chloe.brown@\(app.settings.mailDomain)", sql)
        context.console.print("")
        context.console.print("report                      national   local administrator")
        for kind in ReportKind.allCases {
            let nationalTime = try await timed { _ = try await Reports.build(kind, for: national, on: sql) }
            let localTime = try await timed { _ = try await Reports.build(kind, for: local, on: sql) }
            context.console.print(
                kind.rawValue.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(format: "%8.0f ms %12.0f ms", nationalTime * 1000, localTime * 1000))
        }
        // The baseline: the same counts read from every account, as the reports did before M024's summaries.
        func scope(_ principal: Principal) -> SQLQueryString {
            principal.seesEverything ? "1 = 1" : principal.scope.contains(SQLColumn("organisation_id", table: "a"))
        }
        let baselines: [(String, @Sendable (SQLQueryString) -> SQLQueryString)] = [
            ("accounts by status", { "SELECT a.state, COUNT(*) AS n FROM accounts a WHERE \($0) GROUP BY a.state" }),
            (
                "activation",
                {
                    """
                    SELECT o.region, SUM(x.made) AS made FROM (
                        SELECT a.organisation_id, COUNT(*) AS made,
                            SUM(CASE WHEN a.state = 'pending_activation' THEN 1 ELSE 0 END) AS waiting
                        FROM accounts a WHERE \($0) GROUP BY a.organisation_id
                    ) x JOIN organisations o ON o.id = x.organisation_id GROUP BY o.region
                    """
                }
            ),
        ]
        for (name, statement) in baselines {
            let nationalTime = try await timed { try await sql.raw(statement(scope(national))).run() }
            let localTime = try await timed { try await sql.raw(statement(scope(local))).run() }
            context.console.print(
                ("baseline: " + name).padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(format: "%8.0f ms %12.0f ms", nationalTime * 1000, localTime * 1000))
        }
        let query = try AuditSearch.validate(AuditSearch.Filters(), before: nil).get()
        let searchNational = try await timed { _ = try await AuditSearch.run(query, principal: national, on: sql) }
        let searchLocal = try await timed { _ = try await AuditSearch.run(query, principal: local, on: sql) }
        context.console.print(
            "audit search, first page".padding(toLength: 26, withPad: " ", startingAt: 0)
                + String(format: "%8.0f ms %12.0f ms", searchNational * 1000, searchLocal * 1000))
        context.console.print("peak memory: \(BulkBenchmarkCommand.peakMemoryMB()) MB")
    }

    /// The median of three runs: one slow first run (a cold cache) or one lucky one does not set the figure.
    private func timed(_ body: () async throws -> Void) async throws -> TimeInterval {
        var times: [TimeInterval] = []
        for _ in 0..<3 {
            let start = Date()
            try await body()
            times.append(Date().timeIntervalSince(start))
        }
        return times.sorted()[1]
    }

    private func id(ofOrganisation ods: String, _ sql: any SQLDatabase) async throws -> UUID {
        struct Row: Decodable { let id: UUID }
        guard
            let row = try await sql.raw("SELECT id FROM organisations WHERE ods_code = \(bind: ods)").firstRow(
                Row.self)
        else { throw Abort(.notFound, reason: "The demo organisation \(ods) is missing: run seed-demo") }
        return row.id
    }

    private func principal(_ address: String, _ sql: any SQLDatabase) async throws -> Principal {
        struct Row: Decodable { let id: UUID }
        guard
            let row = try await sql.raw("SELECT id FROM accounts WHERE address = \(bind: address)").firstRow(
                Row.self),
            let principal = try await PrincipalLoader.load(accountID: row.id, sessionID: nil, on: sql)
        else { throw Abort(.notFound, reason: "The demo account \(address) is missing: run seed-demo") }
        return principal
    }

    /// Rows made by the database itself from a counter, so 1.7 million accounts take seconds, not binds.
    struct Generator {
        let sql: any SQLDatabase
        let now: Date
        let accounts: Int
        let organisations: Int
        let applications: Int

        var postgres: Bool { sql.dialect.name == "postgresql" }

        /// `i` from 1 to `count`, as a row source.
        func counter(_ count: Int) -> String {
            postgres
                ? "generate_series(1, \(count)) AS n(i)"
                : "(WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < \(count)) SELECT i FROM c) n"
        }

        /// A UUID made from a counter: the family digit keeps kinds apart.
        func uuid(_ family: String, _ expression: String) -> String {
            postgres
                ? "('00000000-0000-4000-\(family)000-' || lpad(to_hex(\(expression)), 12, '0'))::uuid"
                : "printf('00000000-0000-4000-\(family)000-%012X', \(expression))"
        }

        /// One of `values`, chosen by `expression` modulo their number.
        func pick(_ values: [String], _ expression: String) -> String {
            "CASE (\(expression)) % \(values.count) "
                + values.enumerated().map { "WHEN \($0.offset) THEN '\($0.element)'" }.joined(separator: " ") + " END"
        }

        func organisationsAndAccounts(administeredBy administrator: UUID) async throws {
            let types = ["gp_practice", "community_pharmacy", "care_home", "dental_practice", "optometrist"]
            let regions = try await RegionDirectory.all(on: sql).map(\.code)
            // A tenth of the organisations are administered by the demo commissioner, so a Local
            // Administrator's reports cover a realistic part of the whole.
            try await sql.raw(
                """
                INSERT INTO organisations (id, ods_code, name, type, country, region, postcode, status, ig_status,
                    delivers_nhs_care, other_public_email, administered_by_id, created_at, updated_at)
                SELECT \(unsafeRaw: uuid("a", "i")), 'ZB' || i, 'Bench organisation ' || i,
                    \(unsafeRaw: pick(types, "i")), 'england', \(unsafeRaw: pick(regions, "i / 5")), 'LS1 1AA',
                    'live', 'completed', \(unsafeRaw: postgres ? "true" : "1"), \(unsafeRaw: postgres ? "false" : "0"),
                    CASE WHEN i % 10 = 0 THEN \(bind: administrator) ELSE NULL END, \(bind: now), \(bind: now)
                FROM \(unsafeRaw: counter(organisations))
                """
            ).run()
            let states =
                [String](repeating: "active", count: 80) + .init(repeating: "pending_activation", count: 8)
                + .init(repeating: "expired", count: 4) + .init(repeating: "leaver", count: 4)
                + .init(repeating: "inactive", count: 4)
            // In slices, so neither database holds one enormous statement's work at once.
            let slice = 200_000
            var start = 1
            while start <= accounts {
                let end = min(accounts, start + slice - 1)
                let range = "i BETWEEN \(start) AND \(end)"
                try await sql.raw(
                    """
                    INSERT INTO people (id, given_name, family_name, mobile, created_at)
                    SELECT \(unsafeRaw: uuid("8", "i")), 'Bench', 'Person ' || i, NULL, \(bind: now)
                    FROM \(unsafeRaw: counter(end)) WHERE \(unsafeRaw: range)
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO accounts (id, person_id, organisation_id, address, state, failed_sign_ins,
                        created_at, updated_at, lock_count, totp_enrolled_at)
                    SELECT \(unsafeRaw: uuid("9", "i")), \(unsafeRaw: uuid("8", "i")),
                        \(unsafeRaw: uuid("a", "((i - 1) % \(organisations)) + 1")), 'bench' || i || '@nhs.net',
                        \(unsafeRaw: pick(states, "i")), 0, \(bind: now), \(bind: now), 0,
                        CASE WHEN i % 100 = 0 THEN NULL ELSE \(bind: now) END
                    FROM \(unsafeRaw: counter(end)) WHERE \(unsafeRaw: range)
                    """
                ).run()
                start = end + 1
            }
            // One organisation administrator in fifty accounts; those ending 00 have no authenticator.
            try await sql.raw(
                """
                INSERT INTO role_grants (id, account_id, role, organisation_id, granted_at)
                SELECT \(unsafeRaw: uuid("b", "i")), \(unsafeRaw: uuid("9", "i")), 'organisation_admin',
                    \(unsafeRaw: uuid("a", "((i - 1) % \(organisations)) + 1")), \(bind: now)
                FROM \(unsafeRaw: counter(accounts)) WHERE i % 50 = 0
                """
            ).run()
            // Every other pharmacy has its shared mailbox, whose member is the pharmacy's first account.
            try await sql.raw(
                """
                INSERT INTO shared_mailboxes (id, organisation_id, address, display_name, created_at)
                SELECT \(unsafeRaw: uuid("c", "i")), \(unsafeRaw: uuid("a", "i")), 'benchshared' || i || '@nhs.net',
                    'Bench pharmacy ' || i, \(bind: now)
                FROM \(unsafeRaw: counter(min(organisations, accounts))) WHERE i % 5 = 1 AND i % 2 = 1
                """
            ).run()
            try await sql.raw(
                """
                INSERT INTO shared_mailbox_members (mailbox_id, account_id, full_access, send_as, owner, added_at)
                SELECT \(unsafeRaw: uuid("c", "i")), \(unsafeRaw: uuid("9", "i")), \(unsafeRaw: postgres ? "true" : "1"),
                    \(unsafeRaw: postgres ? "true" : "1"), \(unsafeRaw: postgres ? "false" : "0"), \(bind: now)
                FROM \(unsafeRaw: counter(min(organisations, accounts))) WHERE i % 5 = 1 AND i % 2 = 1
                """
            ).run()
        }

        func applications() async throws {
            let kinds = ApplicationKind.allCases.map(\.rawValue)
            let states = ["submitted", "in_review", "approved", "approved", "rejected", "completed", "waitlisted"]
            let regions = try await RegionDirectory.all(on: sql).map(\.code)
            let dayOffset = postgres ? "make_interval(days => (i % 90))" : "((i % 90) * 86400.0)"
            let decision = postgres ? "make_interval(days => (i % 40))" : "((i % 40) * 86400.0)"
            try await sql.raw(
                """
                INSERT INTO applications (id, reference, kind, state, applicant_email, code_attempts, answers, region,
                    organisation_id, programme, submitted_at, created_at, updated_at)
                SELECT \(unsafeRaw: uuid("d", "i")), 'BENCH-' || i, \(unsafeRaw: pick(kinds, "i")),
                    \(unsafeRaw: pick(states, "i / 3")), 'bench' || i || '@example.org', 0, '{}',
                    \(unsafeRaw: pick(regions, "i")), \(unsafeRaw: uuid("a", "((i - 1) % \(organisations)) + 1")),
                    CASE WHEN i % 4 = 0 THEN 'qps' ELSE NULL END, \(bind: now) - \(unsafeRaw: dayOffset),
                    \(bind: now), \(bind: now)
                FROM \(unsafeRaw: counter(applications))
                """
            ).run()
            try await sql.raw(
                """
                INSERT INTO application_events (id, application_id, sequence, occurred_at, action, from_state,
                    to_state, actor)
                SELECT \(unsafeRaw: uuid("e", "i")), \(unsafeRaw: uuid("d", "i")), 1,
                    \(bind: now) - \(unsafeRaw: dayOffset) + \(unsafeRaw: decision), 'approve', 'in_review',
                    \(unsafeRaw: pick(states, "i / 3")), 'national_admin'
                FROM \(unsafeRaw: counter(applications))
                WHERE (i / 3) % \(literal: states.count) IN (2, 3, 4, 5)
                """
            ).run()
        }
    }
}
