import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import OnboardApp

@Suite("API tokens as a product")
struct TokenTests {
    private func make(
        _ app: Application, _ session: WebSession, name: String = "Script", access: String = "change",
        organisation: String = "", days: String = "30"
    ) async throws -> String {
        let response = try await submit(
            app, "/account/tokens/new", session,
            [("name", name), ("access", access), ("organisation", organisation), ("days", days)])
        #expect(response.status == .ok)
        #expect(response.headers.first(name: .cacheControl) == "no-store")
        return try #require(response.body.string.firstMatch(of: /value="(onb_[A-Za-z0-9_-]+)"/)?.output.1).description
    }

    private func calls(_ app: Application, _ token: String) async throws -> HTTPStatus {
        try await app.get("/api/v1/organisations", headers: bearer(token)).status
    }

    @Test("A token is made on a page after a recent second factor, shown once and stored hashed")
    func madeOnce() async throws {
        try await withTestApp { app, clock in
            let liam = try await signIn(app, email: Demo.liam)
            #expect(!(try await page(app, "/account/tokens/new", liam).body.string.contains("id=\"code\"")))
            let token = try await make(app, liam)
            #expect(try await calls(app, token) == .ok)
            let stored = try await APIToken.query(on: app.db).filter(\.$name == "Script").all()
            #expect(stored.count == 1)
            #expect(stored.first?.tokenHash == SecretHash.sha256Hex(token))
            let list = try await page(app, "/account/tokens", liam).body.string
            #expect(list.contains("Script") && !list.contains(token))
            #expect(try await auditCount(app, action: "api_token.create") == 1)

            // Five minutes on, the second factor is asked for again; a wrong code saves nothing.
            clock.advance(by: 301)
            #expect(try await page(app, "/account/tokens/new", liam).body.string.contains("id=\"code\""))
            let refused = try await submit(
                app, "/account/tokens/new", liam,
                [("name", "Second"), ("access", "read"), ("days", "30"), ("code", "000000")])
            #expect(refused.body.string.contains("The code is not right"))
            #expect(try await APIToken.query(on: app.db).count() == 1)
        }
    }

    @Test("Bad answers name each field and make nothing")
    func badAnswers() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let response = try await submit(
                app, "/account/tokens/new", liam,
                [("name", ""), ("access", ""), ("organisation", "X99"), ("days", "91")])
            let body = response.body.string
            #expect(body.contains("nhsuk-error-summary"))
            for field in ["#name", "#access", "#organisation", "#days"] { #expect(body.contains("href=\"\(field)\"")) }
            #expect(try await APIToken.query(on: app.db).count() == 0)
        }
    }

    @Test("A revoked token is refused on its next call")
    func revoked() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let token = try await make(app, liam)
            #expect(try await calls(app, token) == .ok)
            let id = try #require(try await APIToken.query(on: app.db).first()?.id)
            let revoked = try await submit(app, "/account/tokens/\(id.uuidString.lowercased())/revoke", liam, [])
            #expect(revoked.status == .seeOther)
            #expect(try await calls(app, token) == .unauthorized)
            #expect(try await securityEventCount(app, kind: .tokenRefused) == 1)
            // Nobody revokes another person's token: it is not found.
            let mia = try await signIn(app, email: Demo.mia)
            let other = try await make(app, mia)
            let otherID = try #require(try await APIToken.query(on: app.db).filter(\.$revokedAt == nil).first()?.id)
            let attempt = try await submit(app, "/account/tokens/\(otherID.uuidString.lowercased())/revoke", liam, [])
            #expect(attempt.status == .notFound)
            #expect(try await calls(app, other) == .ok)
        }
    }

    @Test("The token of someone who left is refused on its next call")
    func leaver() async throws {
        try await withTestApp { app, _ in
            let tom = try await apiToken(app, email: Demo.tom)
            #expect(try await calls(app, tom) == .ok)
            let liam = try await apiToken(app, email: Demo.liam)
            let tomID = try await accountID(app, email: Demo.tom)
            var headers = bearer(liam)
            headers.contentType = .json
            let left = try await app.send(
                .POST, "/api/v1/accounts/\(tomID.uuidString.lowercased())/leaver", headers: headers,
                body: ByteBuffer(string: ""))
            #expect(left.status == .ok)
            #expect(try await calls(app, tom) == .unauthorized)
        }
    }

    @Test("Revoking the holder's role stops their tokens at once")
    func roleRevoked() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.liam)
            #expect(try await calls(app, token) == .ok)
            let nadia = try await signIn(app, email: Demo.nadia)
            let liamID = try await accountID(app, email: Demo.liam)
            let grant = try #require(try await grants(app, email: Demo.liam).first { $0.role == .localAdmin })
            let response = try await submit(
                app, SiteURL.revokeRole(account: liamID, grant: try grant.requireID()).path, nadia, [])
            #expect(response.status == .seeOther)
            #expect(try await calls(app, token) == .unauthorized)
        }
    }

    @Test("A token expires, says so, and cannot last beyond 90 days")
    func expiry() async throws {
        try await withTestApp { app, clock in
            let liam = try await signIn(app, email: Demo.liam)
            let token = try await make(app, liam, days: "90")
            clock.advance(by: 89 * 86_400)
            #expect(try await calls(app, token) == .ok)
            clock.advance(by: 86_400)
            let response = try await app.get("/api/v1/organisations", headers: bearer(token))
            #expect(response.status == .unauthorized)
            #expect(response.body.string.contains("expired"))
        }
    }

    @Test("A read-only token reads but changes nothing")
    func readOnly() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let token = try await make(app, nadia, access: "read")
            #expect(try await calls(app, token) == .ok)
            var headers = bearer(token)
            headers.contentType = .json
            let response = try await app.send(
                .POST, "/api/v1/organisations", headers: headers,
                body: ByteBuffer(string: #"{"name":"Leeds Annex","type":"trust_site","country":"england"}"#))
            #expect(response.status == .forbidden)
            #expect(response.body.string.contains("read-only"))
        }
    }

    @Test("A token narrowed to one organisation reaches only it and those below, within the holder's roles")
    func narrowed() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let token = try await make(app, liam, access: "read", organisation: "RR801")
            struct Page: Decodable {
                struct Item: Decodable { let odsCode: String? }
                let items: [Item]
            }
            let page = try await app.get("/api/v1/organisations?limit=200", headers: bearer(token))
                .content.decode(Page.self)
            #expect(page.items.compactMap(\.odsCode) == ["RR801"])
            #expect(try await app.get("/api/v1/organisations/RR8", headers: bearer(token)).status == .notFound)
            // Outside the holder's scope, the organisation cannot be chosen at all.
            let refused = try await submit(
                app, "/account/tokens/new", liam,
                [("name", "Elsewhere"), ("access", "read"), ("organisation", "R0A"), ("days", "30")])
            #expect(refused.body.string.contains("Enter the ODS code of an organisation you administer"))
        }
    }
}

@Suite("Audit search and security events")
struct AuditSearchTests {
    @Test("A Local Administrator sees only events within their organisations, on the page and in the CSV")
    func scoped() async throws {
        try await withTestApp { app, _ in
            // One change in Leeds (Liam's) and one in Manchester (Mia's).
            for ods in ["RR8", "R0A"] {
                let id = try await organisationID(app, ods: ods)
                try await AuditLog.record(
                    AuditEntry(
                        "organisation.update", target: "organisation", id: id.uuidString, before: ["phone": "1"],
                        after: ["phone": "2"]),
                    context: .system, at: app.clock.now(), on: app.db as! any SQLDatabase)
            }
            let nadia = try await signIn(app, email: Demo.nadia)
            let liam = try await signIn(app, email: Demo.liam)
            let mine = try await page(app, "/audit?action=organisation", liam).body.string
            #expect(mine.contains(">RR8<"))
            #expect(!mine.contains(">R0A<"))
            let csv = try await page(app, "/audit/export.csv", liam)
            #expect(csv.headers.contentType?.description.hasPrefix("text/csv") == true)
            #expect(csv.body.string.contains(",RR8,"))
            #expect(!csv.body.string.contains(",R0A,"))
            #expect(try await auditCount(app, action: "audit.exported") == 1)
            let everything = try await page(app, "/audit?action=organisation", nadia).body.string
            #expect(everything.contains(">RR8<") && everything.contains(">R0A<"))

            // An event outside scope is not found by its number either.
            struct Row: Decodable { let seq: Int64 }
            let manchester = try await organisationID(app, ods: "R0A")
            let outside = try #require(
                try await (app.db as! any SQLDatabase).raw(
                    "SELECT seq FROM audit_events WHERE organisation_id = \(bind: manchester) ORDER BY seq DESC"
                ).firstRow(Row.self))
            #expect(try await page(app, "/audit/events/\(outside.seq)", liam).status == .notFound)
            #expect(try await page(app, "/audit/events/\(outside.seq)", nadia).status == .ok)
            #expect(try await auditCount(app, action: "audit.event_viewed") == 1)
            // People without an administering role cannot search at all.
            let uma = try await signIn(app, email: Demo.uma)
            #expect(try await page(app, "/audit", uma).status == .forbidden)
        }
    }

    @Test("Search pages by sequence number, newest first, and refuses bad filters field by field")
    func paging() async throws {
        try await withTestApp { app, clock in
            for index in 0..<120 {
                clock.advance(by: 1)
                try await AuditLog.record(
                    AuditEntry("test.change", target: "database", id: "\(index)"), context: .system,
                    at: app.clock.now(),
                    on: app.db as! any SQLDatabase)
            }
            let nadia = try await signIn(app, email: Demo.nadia)
            var seen: [String] = []
            var next: String? = "/audit?action=test.change"
            while let path = next {
                let body = try await page(app, path, nadia).body.string
                seen += body.matches(of: />test\.change</).map { _ in "x" }
                next = body.firstMatch(of: /href="(\/audit\?[^"]*before=\d+)">Older events/).map {
                    String($0.output.1).replacingOccurrences(of: "&amp;", with: "&")
                }
            }
            #expect(seen.count == 120)
            let bad = try await page(app, "/audit?actor=nobody&from=2026-02-30&organisation=%3D1", nadia).body.string
            for field in ["#actor", "#from", "#organisation"] { #expect(bad.contains("href=\"\(field)\"")) }
        }
    }

    @Test("Exported cells cannot run as formulas")
    func neutralised() async throws {
        try await withTestApp { app, _ in
            try await AuditLog.record(
                AuditEntry("test.change", target: "database", id: "=HYPERLINK(\"http://x\")"), context: .system,
                at: app.clock.now(), on: app.db as! any SQLDatabase)
            let nadia = try await signIn(app, email: Demo.nadia)
            let csv = try await page(app, "/audit/export.csv?action=test.change", nadia).body.string
            #expect(csv.contains("'=HYPERLINK"))
        }
    }

    @Test("Failed sign-ins are security events, searchable, and never in the audit chain")
    func securityEvents() async throws {
        try await withTestApp { app, _ in
            let visitor = try await preSession(app)
            _ = try await app.post(
                "/sign-in", form: [("email", Demo.tom), ("password", "wrong"), ("_csrf", visitor.csrf)],
                headers: visitor.headers)
            #expect(try await securityEventCount(app, kind: .signInFailed) == 1)
            #expect(try await auditCount(app, action: "sign_in.failed") == 0)
            let liam = try await signIn(app, email: Demo.liam)
            let listed = try await page(app, "/audit/security?kind=sign_in_failed", liam).body.string
            #expect(listed.contains(Demo.tom))
            let mia = try await signIn(app, email: Demo.mia)
            #expect(!(try await page(app, "/audit/security", mia).body.string.contains(Demo.tom)))
        }
    }
}

@Suite("Reports")
struct ReportTests {
    @Test("Every report renders with its charts and tables, and its CSV downloads")
    func everyReport() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            for kind in ReportKind.allCases {
                let response = try await page(app, "/reports/\(kind.rawValue)", nadia)
                #expect(response.status == .ok, "\(kind)")
                #expect(response.body.string.contains("<svg"), "\(kind)")
                let csv = try await page(app, "/reports/\(kind.rawValue)/export.csv", nadia)
                #expect(csv.headers.contentType?.description.hasPrefix("text/csv") == true, "\(kind)")
                #expect(csv.body.string.hasPrefix("section,"), "\(kind)")
            }
            #expect(try await auditCount(app, action: "report.viewed") == ReportKind.allCases.count)
            #expect(try await auditCount(app, action: "report.exported") == ReportKind.allCases.count)
        }
    }

    /// Takes `absent`'s second factor away, then checks who finds them in the report and its CSV.
    private func secondFactorReport(
        _ app: Application, without absent: String, seenBy viewers: [(email: String, sees: Bool)]
    ) async throws {
        try await (app.db as! any SQLDatabase).raw(
            "UPDATE accounts SET totp_enrolled_at = NULL WHERE address = \(bind: absent)"
        ).run()
        for (email, sees) in viewers {
            let session = try await signIn(app, email: email)
            let shown = try await page(app, "/reports/second-factor", session)
            #expect(shown.status == .ok)
            let csv = try await page(app, "/reports/second-factor/export.csv", session).body.string
            #expect(shown.body.string.contains(absent) == sees, "\(email)")
            #expect(csv.contains(absent) == sees, "\(email)")
        }
    }

    @Test("Regional staff do not see the national team's people, although their accounts sit in its organisation")
    func regionalStaffSeeTheirRegion() async throws {
        try await withTestApp { app, _ in
            // Priya, of the national team, has no second factor: the report lists her for whoever may see her.
            try await secondFactorReport(
                app, without: Demo.priya, seenBy: [(Demo.nadia, true), (Demo.rachel, false), (Demo.peter, false)])
        }
    }

    @Test("A Local Administrator's reports and CSVs hold only their scope")
    func scoped() async throws {
        try await withTestApp { app, _ in
            // Olivia administers a Leeds practice, which Chloe's commissioner administers; Mia is in Manchester.
            try await secondFactorReport(
                app, without: Demo.olivia, seenBy: [(Demo.chloe, true), (Demo.nadia, true), (Demo.mia, false)])
            // Manchester's accounts are not in Chloe's counts.
            struct Count: Decodable { let n: Int }
            let manchester = try #require(
                try await (app.db as! any SQLDatabase).raw(
                    """
                    SELECT COUNT(*) AS n FROM accounts a JOIN organisations o ON o.id = a.organisation_id
                    WHERE o.ods_code LIKE 'R0A%'
                    """
                ).firstRow(Count.self)
            ).n
            #expect(manchester > 0)
            let principal = try #require(
                try await PrincipalLoader.load(
                    accountID: try await accountID(app, email: Demo.chloe), sessionID: nil,
                    on: app.db as! any SQLDatabase))
            let everyone = try #require(
                try await PrincipalLoader.load(
                    accountID: try await accountID(app, email: Demo.nadia), sessionID: nil,
                    on: app.db as! any SQLDatabase))
            func total(_ principal: Principal) async throws -> Int {
                let report = try await Reports.build(.accounts, for: principal, on: app.db as! any SQLDatabase)
                return report.sections[0].table.rows.reduce(0) { $0 + (Int($1[1]) ?? 0) }
            }
            let all = try await total(everyone)
            let chloes = try await total(principal)
            #expect(chloes > 0 && chloes <= all - manchester)
        }
    }

    @Test("Applications are counted the same four ways nationally and within a scope: each adds up to what is visible")
    func applicationBreakdowns() async throws {
        try await withTestApp { app, _ in
            let sql = app.db as! any SQLDatabase
            // Three applications of different kinds, states, regions and programmes; the care home is
            // commissioned by Liam's trust, so his scope holds it.
            struct Row: Decodable { let organisationID: UUID }
            let trust = try #require(
                try await sql.raw(
                    """
                    SELECT g.organisation_id FROM role_grants g JOIN accounts a ON a.id = g.account_id
                    WHERE a.address = \(bind: Demo.liam) AND g.role = 'local_admin'
                    """
                ).firstRow(Row.self)
            ).organisationID
            let made: [(String, String, String?, String?, UUID?)] = [
                ("care_home", "submitted", "north_east_and_yorkshire", nil, trust),
                ("community_pharmacy", "approved", "london", "qps", nil),
                ("dentist", "in_review", nil, nil, nil),
            ]
            for (index, (kind, state, region, programme, commissioner)) in made.enumerated() {
                try await sql.raw(
                    """
                    INSERT INTO applications (id, reference, kind, state, applicant_email, code_attempts, answers,
                        region, commissioner_id, programme, submitted_at, created_at, updated_at)
                    VALUES (\(bind: UUID()), \(bind: "APP-TEST-\(index)"), \(bind: kind), \(bind: state),
                        'applicant@example.org', 0, '{}', \(bind: region), \(bind: commissioner), \(bind: programme),
                        \(bind: Date()), \(bind: Date()), \(bind: Date()))
                    """
                ).run()
            }
            var totals: [String: Int] = [:]
            for email in [Demo.nadia, Demo.liam, Demo.chloe] {
                let principal = try #require(
                    try await PrincipalLoader.load(
                        accountID: try await accountID(app, email: email), sessionID: nil, on: sql))
                struct Count: Decodable { let n: Int }
                let visible = try #require(
                    try await sql.raw(
                        "SELECT COUNT(*) AS n FROM applications a WHERE \(ApplicationStore.visible(to: principal))"
                    ).firstRow(Count.self)
                ).n
                let report = try await Reports.build(.applications, for: principal, on: sql)
                for section in report.sections.prefix(4) {
                    let sum = section.table.rows.reduce(0) { $0 + (Int($1[1]) ?? 0) }
                    #expect(sum == visible, "\(email): \(section.heading)")
                }
                totals[email] = visible
            }
            #expect((totals[Demo.nadia] ?? 0) > 0)
            #expect((totals[Demo.liam] ?? 0) + (totals[Demo.chloe] ?? 0) > 0, "an LA's scoped path is exercised")
        }
    }

    @Test("A pharmacy meets the gateway when a shared mailbox of its has an active member, and not otherwise")
    func pharmacyGateway() async throws {
        try await withTestApp { app, _ in
            let sql = app.db as! any SQLDatabase
            struct Row: Decodable { let id: UUID }
            func organisation(_ ods: String) async throws -> UUID {
                try #require(
                    try await sql.raw("SELECT id FROM organisations WHERE ods_code = \(bind: ods)").firstRow(Row.self)
                ).id
            }
            let tom = try await accountID(app, email: Demo.tom)
            for (ods, member) in [("FA001", try await accountID(app, email: Demo.chloe)), ("FA002", tom)] {
                let mailbox = UUID()
                try await sql.raw(
                    """
                    INSERT INTO shared_mailboxes (id, organisation_id, address, display_name, created_at)
                    VALUES (\(bind: mailbox), \(bind: try await organisation(ods)), \(bind: "gateway.\(ods.lowercased())@nhs.net"),
                        'Team', \(bind: Date()))
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO shared_mailbox_members (mailbox_id, account_id, full_access, send_as, owner, added_at)
                    VALUES (\(bind: mailbox), \(bind: member), \(bind: true), \(bind: true), \(bind: true), \(bind: Date()))
                    """
                ).run()
            }
            try await sql.raw("UPDATE accounts SET state = 'disabled' WHERE id = \(bind: tom)").run()
            let nadia = try #require(
                try await PrincipalLoader.load(
                    accountID: try await accountID(app, email: Demo.nadia), sessionID: nil, on: sql))
            let report = try await Reports.build(.pharmacyGateway, for: nadia, allRows: true, on: sql)
            let gateway = Dictionary(
                report.sections[1].table.rows.map { ($0[0], $0[3]) }, uniquingKeysWith: { a, _ in a })
            #expect(gateway["FA001"] == "Met")
            #expect(gateway["FA002"] == "Not met", "a disabled member does not count")
            let met = report.sections[0].table.rows.reduce(0) { $0 + (Int($1[2]) ?? 0) }
            #expect(met == gateway.values.filter { $0 == "Met" }.count)
        }
    }

    @Test("Report cells cannot run as formulas in the CSV")
    func neutralised() async throws {
        try await withTestApp { app, _ in
            try await (app.db as! any SQLDatabase).raw(
                "UPDATE organisations SET name = '=cmd|calc' WHERE ods_code = 'FA001'"
            ).run()
            let nadia = try await signIn(app, email: Demo.nadia)
            let csv = try await page(app, "/reports/pharmacy-gateway/export.csv", nadia).body.string
            #expect(csv.contains("'=cmd|calc"))
            let shown = try await page(app, "/reports/pharmacy-gateway", nadia).body.string
            #expect(shown.contains("=cmd|calc"))
        }
    }
}

@Suite("Viewing personal data")
struct ViewAuditTests {
    @Test("Opening a person's account or role page is audited, as reading it through the API is")
    func accountViews() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let uma = try await accountID(app, email: Demo.uma)
            #expect(try await page(app, "/accounts/\(uma.uuidString.lowercased())", liam).status == .ok)
            #expect(try await page(app, SiteURL.person(uma).path, liam).status == .ok)
            #expect(try await auditCount(app, action: "account.view") == 2)
        }
    }
}
