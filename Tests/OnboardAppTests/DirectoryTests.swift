import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("The national directory")
struct DirectoryTests {
    func found(_ app: Application, _ text: String, kind: DirectoryKind = .people) async throws -> [String] {
        let search = DirectorySearch(text: text, kind: kind)
        #expect(search.problems().isEmpty)
        switch try await search.run(on: app.db as! any SQLDatabase) {
        case .entry(_, let id): return [id.uuidString]
        case .results(let page): return page.entries.map { $0.address ?? $0.name }
        }
    }

    func sql(_ app: Application) -> any SQLDatabase { app.db as! any SQLDatabase }

    @Test("A person finds a colleague in another trust by part of their surname, without their mobile number")
    func findsColleague() async throws {
        try await withTestApp { app, _ in
            try await sql(app).raw("UPDATE people SET mobile = '07700 900999' WHERE given_name = 'Liam'").run()
            let mia = try await signIn(app, email: Demo.mia)
            let results = try await page(app, "/directory?q=walk&kind=people", mia)
            #expect(results.status == .ok)
            #expect(results.body.string.contains(Demo.liam))
            #expect(results.body.string.contains("Leeds Teaching Hospitals NHS Trust"))
            #expect(!results.body.string.contains("07700 900999"))
            let entry = try await page(app, "/directory/people/\(try await accountID(app, email: Demo.liam))", mia)
            #expect(entry.status == .ok)
            #expect(!entry.body.string.contains("07700 900999"))
        }
    }

    @Test("Folding: O'Brien, Siân, Nguyễn and Weiß are found as people type them, after a rename")
    func folding() async throws {
        try await withTestApp { app, _ in
            let names = [("Siân", "O'Brien"), ("Minh", "Nguyễn"), ("Jürgen", "Weiß")]
            let people = ["Uma", "Tom", "Liam"]
            for (index, name) in names.enumerated() {
                try await sql(app).raw(
                    "UPDATE people SET given_name = \(bind: name.0), family_name = \(bind: name.1) WHERE given_name = \(bind: people[index])"
                ).run()
            }
            #expect(try await found(app, "obrien") == [Demo.uma])
            #expect(try await found(app, "O’Brien") == [Demo.uma])
            #expect(try await found(app, "sian obr") == [Demo.uma])
            #expect(try await found(app, "SIAN") == [Demo.uma])
            #expect(try await found(app, "nguyen") == [Demo.tom])
            #expect(try await found(app, "Nguyễn") == [Demo.tom])
            #expect(try await found(app, "weiss") == [Demo.liam])
            #expect(try await found(app, "jurgen") == [Demo.liam])
        }
    }

    @Test("Only active accounts are listed: pending, disabled, leaver and deleted accounts are not")
    func onlyActive() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let id = try await addAccount(app, as: liam, firstName: "Zebedee", surname: "Quorn")
            #expect(try await found(app, "quorn").isEmpty, "pending activation")
            try await sql(app).raw("UPDATE accounts SET state = 'active' WHERE id = \(bind: id)").run()
            #expect(try await found(app, "quorn") == ["zebedee.quorn@nhs.net"])
            let disabled = try await submit(app, "/accounts/\(id)/disable", liam, [("reason", "Test")])
            #expect(disabled.status == .seeOther)
            #expect(try await found(app, "quorn").isEmpty, "disabled")
            for state in ["leaver", "deleted"] {
                try await sql(app).raw("UPDATE accounts SET state = 'active' WHERE id = \(bind: id)").run()
                #expect(try await found(app, "quorn").count == 1)
                try await sql(app).raw("UPDATE accounts SET state = \(bind: state) WHERE id = \(bind: id)").run()
                #expect(try await found(app, "quorn").isEmpty, "\(state)")
            }
            let entry = try await page(app, "/directory/people/\(id)", liam)
            #expect(entry.status == .notFound)
        }
    }

    @Test("Hidden shared mailboxes are never found; visible ones are, by name and address")
    func hiddenMailboxes() async throws {
        try await withTestApp { app, _ in
            struct Row: Decodable { let id: UUID }
            let rr801 = try #require(
                try await sql(app).raw("SELECT id FROM organisations WHERE ods_code = 'RR801'").firstRow(Row.self))
            let id = UUID()
            try await sql(app).raw(
                """
                INSERT INTO shared_mailboxes (id, organisation_id, address, display_name, created_at)
                VALUES (\(bind: id), \(bind: rr801.id), 'renal.bookings@nhs.net', 'Renal Bookings', \(bind: Date()))
                """
            ).run()
            #expect(try await found(app, "renal", kind: .shared) == ["renal.bookings@nhs.net"])
            #expect(try await found(app, "bookings", kind: .shared) == ["renal.bookings@nhs.net"])
            let uma = try await signIn(app, email: Demo.uma)
            #expect(try await page(app, "/directory/shared-mailboxes/\(id)", uma).status == .ok)
            try await sql(app).raw(
                "UPDATE shared_mailboxes SET hidden_from_directory = \(bind: true) WHERE id = \(bind: id)"
            ).run()
            #expect(try await found(app, "renal", kind: .shared).isEmpty)
            #expect(try await page(app, "/directory/shared-mailboxes/\(id)", uma).status == .notFound)
            #expect(try await page(app, "/directory?q=renal.bookings@nhs.net", uma).status == .ok, "no jump to it")
        }
    }

    @Test("Too little text gets a clear message, not a scan; an exact ODS code or address opens its entry")
    func shortAndExact() async throws {
        try await withTestApp { app, _ in
            let uma = try await signIn(app, email: Demo.uma)
            let short = try await page(app, "/directory?q=wa", uma)
            #expect(short.body.string.contains("Enter at least 3 characters"))
            #expect(short.body.string.contains("nhsuk-error-summary"))
            let ods = try await page(app, "/directory?q=r0a&kind=people", uma)
            #expect(ods.status == .seeOther)
            #expect(ods.headers.first(name: .location)?.hasPrefix("/directory/organisations/") == true)
            let address = try await page(app, "/directory?q=\(Demo.liam.uppercased())", uma)
            #expect(address.headers.first(name: .location)?.hasPrefix("/directory/people/") == true)
        }
    }

    @Test("Find a Local Administrator: an organisation's page names its LAs, or those of the one above it")
    func findLocalAdministrator() async throws {
        try await withTestApp { app, _ in
            let uma = try await signIn(app, email: Demo.uma)
            #expect(try await found(app, "wythenshawe", kind: .organisations) == ["Wythenshawe Hospital"])
            let trust = try await page(app, "/directory?q=R0A", uma)
            let location = try #require(trust.headers.first(name: .location))
            let trustPage = try await page(app, location, uma)
            #expect(trustPage.body.string.contains(Demo.mia))
            #expect(trustPage.body.string.contains("Helpdesk"))
            struct Row: Decodable { let id: UUID }
            let site = try #require(
                try await sql(app).raw("SELECT id FROM organisations WHERE ods_code = 'R0A07'").firstRow(Row.self))
            let sitePage = try await page(app, "/directory/organisations/\(site.id)", uma)
            #expect(sitePage.body.string.contains(Demo.mia))
            #expect(sitePage.body.string.contains("looked after by the Local Administrators of"))
        }
    }

    @Test("People edit their own details; LAs edit those of their organisations only; bad input is named")
    func editingScope() async throws {
        try await withTestApp { app, _ in
            let uma = try await signIn(app, email: Demo.uma)
            let saved = try await submit(
                app, "/account/directory-details", uma,
                [("jobTitle", "Staff nurse"), ("department", "Ward 12 Renal"), ("workPhone", "0113 496 0012")])
            #expect(saved.status == .seeOther)
            #expect(try await found(app, "renal") == [Demo.uma])
            #expect(try await found(app, "staff nurse") == [Demo.uma])
            let bad = try await submit(
                app, "/account/directory-details", uma, [("jobTitle", ""), ("department", ""), ("workPhone", "soon")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Enter a work phone number"))
            #expect(try await found(app, "renal") == [Demo.uma], "nothing was half-saved")

            let liam = try await signIn(app, email: Demo.liam)
            let umaID = try await accountID(app, email: Demo.uma)
            let byLA = try await submit(
                app, "/accounts/\(umaID)/directory-details", liam,
                [("jobTitle", "Sister"), ("department", "Cardiology"), ("workPhone", "")])
            #expect(byLA.status == .seeOther)
            #expect(try await found(app, "cardiology") == [Demo.uma])
            #expect(try await found(app, "renal").isEmpty, "the old department is gone from the index")
            let miaID = try await accountID(app, email: Demo.mia)
            let outside = try await submit(
                app, "/accounts/\(miaID)/directory-details", liam,
                [("jobTitle", "x"), ("department", ""), ("workPhone", "")])
            #expect(outside.status == .notFound)
            struct Count: Decodable { let n: Int }
            let audited = try #require(
                try await sql(app).raw(
                    "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'account.directory_details'"
                ).firstRow(Count.self))
            #expect(audited.n == 2)
        }
    }

    @Test("The API searches with any signed-in person's token, and names a bad field")
    func api() async throws {
        try await withTestApp { app, _ in
            try await sql(app).raw("UPDATE people SET mobile = '07700 900999' WHERE given_name = 'Liam'").run()
            let token = try await apiToken(app, email: Demo.uma)
            let response = try await app.get("/api/v1/directory?q=walker", headers: bearer(token))
            #expect(response.status == .ok)
            #expect(response.body.string.contains(Demo.liam))
            #expect(!response.body.string.contains("07700"))
            let organisations = try await app.get(
                "/api/v1/directory?q=manchester&kind=organisations", headers: bearer(token))
            #expect(organisations.body.string.contains("Manchester University NHS Foundation Trust"))
            let short = try await app.get("/api/v1/directory?q=al%20walker", headers: bearer(token))
            #expect(short.status == .unprocessableEntity)
            #expect(short.body.string.contains("\"q\""))
            #expect(try await app.get("/api/v1/directory?q=walker").status == .unauthorized)
        }
    }

    @Test("LAs export their organisation's people as CSV; another organisation's is not found")
    func export() async throws {
        try await withTestApp { app, _ in
            try await sql(app).raw("UPDATE people SET mobile = '07700 900999' WHERE given_name = 'Uma'").run()
            let liam = try await signIn(app, email: Demo.liam)
            struct Row: Decodable { let id: UUID }
            let rr801 = try #require(
                try await sql(app).raw("SELECT id FROM organisations WHERE ods_code = 'RR801'").firstRow(Row.self))
            let r0a = try #require(
                try await sql(app).raw("SELECT id FROM organisations WHERE ods_code = 'R0A'").firstRow(Row.self))
            let csv = try await page(app, "/directory/organisations/\(rr801.id)/people.csv", liam)
            #expect(csv.status == .ok)
            #expect(csv.body.string.contains(Demo.uma))
            #expect(!csv.body.string.contains("07700"))
            #expect(try await page(app, "/directory/organisations/\(r0a.id)/people.csv", liam).status == .notFound)
        }
    }

    @Test("A token's last use is written at most once a minute")
    func tokenLastUse() async throws {
        try await withTestApp { app, clock in
            let token = try await apiToken(app, email: Demo.uma)
            struct Row: Decodable { let lastUsedAt: Date? }
            func lastUsed() async throws -> Date? {
                try await sql(app).raw("SELECT last_used_at FROM api_tokens").firstRow(Row.self)?.lastUsedAt
            }
            _ = try await app.get("/api/v1/directory?q=walker", headers: bearer(token))
            let first = try #require(try await lastUsed())
            clock.advance(by: 30)
            _ = try await app.get("/api/v1/directory?q=walker", headers: bearer(token))
            #expect(try await lastUsed() == first)
            clock.advance(by: 31)
            _ = try await app.get("/api/v1/directory?q=walker", headers: bearer(token))
            #expect(try await lastUsed() == clock.current)
        }
    }

    @Test("After renames, details, state changes and an organisation's rename, the triggers' entries equal a rebuild")
    func triggersMatchRebuild() async throws {
        try await withTestApp { app, _ in
            let db = sql(app)
            try await db.raw("UPDATE people SET family_name = 'Nguyễn' WHERE given_name = 'Tom'").run()
            try await db.raw(
                "UPDATE accounts SET job_title = 'Porter', department = 'Estates' WHERE address = \(bind: Demo.uma)"
            )
            .run()
            try await db.raw("UPDATE accounts SET state = 'disabled' WHERE address = \(bind: Demo.mia)").run()
            try await db.raw("UPDATE organisations SET name = 'Leeds Teaching Hospitals' WHERE ods_code = 'RR8'").run()
            try await db.raw("UPDATE organisations SET status = 'closed' WHERE ods_code = 'R0A07'").run()
            struct Entry: Decodable, Hashable {
                let entryID: UUID
                let kind: String
                let listed: Bool
                let sortName: String
                let folded: String
            }
            func entries() async throws -> Set<Entry> {
                Set(
                    try await db.raw("SELECT entry_id, kind, listed, sort_name, folded FROM directory_entries").rows(
                        Entry.self))
            }
            let kept = try await entries()
            #expect(kept.count > 30)
            #expect(try await DirectoryIndex.rebuild(on: db) == kept.count)
            #expect(try await entries() == kept)
            #expect(try await found(app, "porter") == [Demo.uma], "the full-text index follows a rebuild")
            #expect(try await found(app, "hughes").isEmpty)
        }
    }

    @Test("The reports' account counts per organisation and state, kept by triggers, equal a recount")
    func accountCountsMatchRecount() async throws {
        try await withTestApp { app, _ in
            let db = sql(app)
            let liam = try await signIn(app, email: Demo.liam)
            _ = try await addAccount(app, as: liam, firstName: "Ada", surname: "Counted")
            try await db.raw("UPDATE accounts SET state = 'disabled' WHERE address = \(bind: Demo.tom)").run()
            struct Row: Decodable { let id: UUID }
            let r0a = try #require(
                try await db.raw("SELECT id FROM organisations WHERE ods_code = 'R0A'").firstRow(Row.self))
            try await db.raw("UPDATE accounts SET organisation_id = \(bind: r0a.id) WHERE address = \(bind: Demo.uma)")
                .run()
            struct Count: Decodable, Hashable {
                let organisationID: UUID
                let state: String
                let n: Int
            }
            func counts() async throws -> Set<Count> {
                Set(
                    try await db.raw("SELECT organisation_id, state, n FROM account_state_counts WHERE n <> 0").rows(
                        Count.self))
            }
            let kept = try await counts()
            try await DirectoryIndex.recount(on: db)
            #expect(try await counts() == kept)
            #expect(kept.contains { $0.state == "pending_activation" })
        }
    }

    @Test("The grants held without a second factor, kept by triggers, equal a recount after grants and accounts change")
    func secondFactorGapsMatchRecount() async throws {
        try await withTestApp { app, _ in
            let db = sql(app)
            struct Row: Decodable { let id: UUID }
            func account(_ address: String) async throws -> UUID {
                try #require(
                    try await db.raw("SELECT id FROM accounts WHERE address = \(bind: address)").firstRow(Row.self)
                ).id
            }
            let (liam, mia, tom) = (
                try await account(Demo.liam), try await account(Demo.mia), try await account(Demo.tom)
            )
            try await db.raw(
                "UPDATE accounts SET totp_enrolled_at = NULL WHERE id IN (\(bind: liam), \(bind: mia), \(bind: tom))"
            ).run()
            try await db.raw("UPDATE accounts SET state = 'leaver' WHERE id = \(bind: mia)").run()
            try await db.raw("UPDATE accounts SET address = 'liam.walker2@nhs.net' WHERE id = \(bind: liam)").run()
            let grant = UUID()
            try await db.raw(
                """
                INSERT INTO role_grants (id, account_id, role, organisation_id, granted_at)
                SELECT \(bind: grant), id, 'organisation_admin', organisation_id, \(bind: Date()) FROM accounts
                WHERE id = \(bind: tom)
                """
            ).run()
            struct Gap: Decodable, Hashable {
                let grantID: UUID
                let accountID: UUID
                let organisationID: UUID
                let role: String
                let address: String
            }
            func gaps() async throws -> Set<Gap> {
                Set(
                    try await db.raw(
                        "SELECT grant_id, account_id, organisation_id, role, address FROM second_factor_gaps"
                    )
                    .rows(Gap.self))
            }
            let kept = try await gaps()
            #expect(kept.contains { $0.accountID == liam && $0.address == "liam.walker2@nhs.net" })
            #expect(kept.contains { $0.grantID == grant && $0.accountID == tom })
            #expect(!kept.contains { $0.accountID == mia }, "a leaver holds nothing to follow up")
            try await db.raw("UPDATE role_grants SET revoked_at = \(bind: Date()) WHERE id = \(bind: grant)").run()
            try await db.raw("UPDATE accounts SET totp_enrolled_at = \(bind: Date()) WHERE id = \(bind: liam)").run()
            let after = try await gaps()
            #expect(!after.contains { $0.accountID == tom || $0.accountID == liam })
            try await DirectoryIndex.recount(on: db)
            #expect(try await gaps() == after)
        }
    }
}
