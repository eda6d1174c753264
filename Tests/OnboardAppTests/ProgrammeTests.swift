import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Programmes: waiting lists, cohorts, registration links, parameter versions")
struct ProgrammeTests {
    func sql(_ app: Application) -> any SQLDatabase { app.db as! any SQLDatabase }

    func state(_ app: Application, _ reference: String) async throws -> String? {
        struct Row: Decodable { let state: String }
        return try await sql(app).raw("SELECT state FROM applications WHERE reference = \(bind: reference)")
            .firstRow(Row.self)?.state
    }

    func id(_ app: Application, _ reference: String) async throws -> String {
        struct Row: Decodable { let id: UUID }
        let row = try await sql(app).raw("SELECT id FROM applications WHERE reference = \(bind: reference)")
            .firstRow(Row.self)
        return try #require(row?.id).uuidString.lowercased()
    }

    func runJobs(_ app: Application) async throws {
        while try await app.jobs.runOnce(app: app) {}
    }

    /// A submitted NUMSAS application for a pharmacy, put on the waiting list by the pharmacy team.
    func waitlisted(_ app: Application, ods: String, email: String, priya: WebSession) async throws -> String {
        let applicant = ApplicantBrowser(app)
        var answers = SampleAnswers.pharmacy
        answers["odsCode"] = ods
        try await applicant.fillIn(.communityPharmacy, email: email, answers: answers)
        let reference = try #require(try await applicant.submit())
        let response = try await app.post(
            "/applications/\(try await id(app, reference))/decisions",
            form: [("action", "waitlist"), ("reason", "Waiting for the next cohort."), ("_csrf", priya.csrf)],
            headers: priya.headers)
        #expect(response.status == .seeOther)
        return reference
    }

    func trackingLink(_ app: Application, _ email: String) throws -> String {
        let body = try #require(app.dependencies.sentMessages.to(email).last { $0.body.contains("/track/") }?.body)
        return String(try #require(body.firstMatch(of: /\/track\/[A-Za-z0-9_-]+/)).output)
    }

    @Test("Releasing a cohort invites the first on the waiting list, once; the rest move up the queue")
    func releaseCohort() async throws {
        try await withTestApp { app, clock in
            let priya = try await signIn(app, email: Demo.priya)
            let first = try await waitlisted(app, ods: "FB006", email: "first@example.org", priya: priya)
            clock.advance(by: 60)
            let second = try await waitlisted(app, ods: "FB007", email: "second@example.org", priya: priya)
            try await runJobs(app)

            let tracker = ApplicantBrowser(app)
            let link = try trackingLink(app, "second@example.org")
            try await tracker.get(link)
            let page = try await tracker.post(link)
            #expect(page.body.string.contains("number 2"))

            let added = try await app.post(
                "/programmes/numsas/cohorts", form: [("name", "Cohort 1"), ("capacity", "1"), ("_csrf", priya.csrf)],
                headers: priya.headers)
            #expect(added.status == .seeOther)
            struct Cohort: Decodable { let id: UUID }
            let cohort = try #require(
                try await sql(app).raw("SELECT id FROM programme_cohorts").firstRow(Cohort.self)
            ).id.uuidString.lowercased()
            let released = try await app.post(
                "/programmes/numsas/cohorts/\(cohort)/release", form: [("_csrf", priya.csrf)], headers: priya.headers)
            #expect(released.status == .ok)
            #expect(released.body.string.contains("1 pharmacy invited"))
            #expect(try await state(app, first) == "in_review")
            #expect(try await state(app, second) == "waitlisted")
            let again = try await app.post(
                "/programmes/numsas/cohorts/\(cohort)/release", form: [("_csrf", priya.csrf)], headers: priya.headers)
            #expect(again.status == .unprocessableEntity)
            #expect(try await state(app, second) == "waitlisted")

            try await runJobs(app)
            #expect(app.dependencies.sentMessages.to("first@example.org").contains { $0.body.contains("Cohort 1") })
            let moved = try await tracker.post(link)
            #expect(moved.body.string.contains("number 1"))
        }
    }

    @Test("A registration link works once, is safe to prefetch, and starts a verified pharmacy application")
    func registrationLink() async throws {
        try await withTestApp { app, clock in
            let peter = try await signIn(app, email: Demo.peter)
            let sent = try await app.post(
                "/programmes/numsas/invitations",
                form: [("odsCode", "fb007"), ("email", "rawdon@example.org"), ("_csrf", peter.csrf)],
                headers: peter.headers)
            #expect(sent.status == .ok)
            try await runJobs(app)
            let body = try #require(app.dependencies.sentMessages.to("rawdon@example.org").last?.body)
            let link = String(try #require(body.firstMatch(of: /\/register\/[A-Za-z0-9_-]+/)).output)
            struct Row: Decodable { let hash: String }
            let stored = try await sql(app).raw("SELECT token_hash AS hash FROM invitations").rows(Row.self)
            #expect(stored.count == 1 && !body.contains(stored[0].hash))

            let pharmacy = ApplicantBrowser(app)
            #expect(try await pharmacy.get(link).status == .ok)
            #expect(try await pharmacy.get(link).status == .ok, "opening the link twice spends nothing")
            let started = try await pharmacy.post(link, follow: false)
            #expect(started.status == .seeOther)
            #expect(pharmacy.cookies[ApplyController.cookieName] != nil)
            let contact = try await pharmacy.get("/apply/questions/contact")
            #expect(contact.status == .ok, "the email is verified by the link")

            let other = ApplicantBrowser(app)
            _ = try await other.get(link)
            let spent = try await other.post(link, follow: false)
            #expect(spent.status == .notFound)
            #expect(spent.body.string.contains("Ask your regional pharmacy team for a new one"))

            // A second link, left to expire.
            _ = try await app.post(
                "/programmes/numsas/invitations",
                form: [("odsCode", "FB008"), ("email", "late@example.org"), ("_csrf", peter.csrf)],
                headers: peter.headers)
            try await runJobs(app)
            let late = try #require(app.dependencies.sentMessages.to("late@example.org").last?.body)
            let lateLink = String(try #require(late.firstMatch(of: /\/register\/[A-Za-z0-9_-]+/)).output)
            clock.advance(by: 15 * 24 * 3600)
            let expired = ApplicantBrowser(app)
            _ = try await expired.get(lateLink)
            #expect(try await expired.post(lateLink, follow: false).status == .notFound)
        }
    }

    @Test("A registration link fills in the programme and the premises on record: neither is asked again")
    func registrationAskedOnce() async throws {
        try await withTestApp { app, _ in
            let peter = try await signIn(app, email: Demo.peter)
            _ = try await app.post(
                "/programmes/numsas/invitations",
                form: [("odsCode", "FB007"), ("email", "rawdon@example.org"), ("_csrf", peter.csrf)],
                headers: peter.headers)
            try await runJobs(app)
            let body = try #require(app.dependencies.sentMessages.to("rawdon@example.org").last?.body)
            let link = String(try #require(body.firstMatch(of: /\/register\/[A-Za-z0-9_-]+/)).output)
            let pharmacy = ApplicantBrowser(app)
            _ = try await pharmacy.get(link)
            _ = try await pharmacy.post(link)
            let asked = try await pharmacy.answerEachPage(SampleAnswers.pharmacy)
            #expect(asked.first == "contact")
            #expect(!asked.contains("premises"), "the invitation named the premises on record")
            #expect(!asked.contains("programme"), "the invitation named the programme")
            #expect(pharmacy.lastBody.contains("Check your answers"))
            #expect(pharmacy.lastBody.contains("FB007"))
            #expect(pharmacy.lastBody.contains("/apply/questions/programme?return=check"), "with a change link")
        }
    }

    @Test("A registration link is refused for a pharmacy not on record, and names the field")
    func registrationNeedsAPharmacy() async throws {
        try await withTestApp { app, _ in
            let peter = try await signIn(app, email: Demo.peter)
            let response = try await app.post(
                "/programmes/numsas/invitations",
                form: [("odsCode", "RR8"), ("email", "not-an-email"), ("_csrf", peter.csrf)], headers: peter.headers)
            #expect(response.status == .unprocessableEntity)
            #expect(response.body.string.contains("href=\"#odsCode\""))
            #expect(response.body.string.contains("href=\"#email\""))
            struct Count: Decodable { let n: Int }
            #expect(try await sql(app).raw("SELECT COUNT(*) AS n FROM invitations").firstRow(Count.self)?.n == 0)
        }
    }

    @Test("National administrators add parameter versions from a form, audited; a version name is never reused")
    func parameterVersions() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let page = try await app.get("/eligibility-parameters", headers: nadia.headers)
            #expect(page.status == .ok)
            #expect(page.body.string.contains(#"name="aupVersion" type="text" value="AUP-2017""#))
            var form = ParametersForm.values(of: try await EligibilityParameterStore.current(on: sql(app)))
            form["programme-numsas-closesOn-day"] = "31"
            form["programme-numsas-closesOn-month"] = "12"
            form["programme-numsas-closesOn-year"] = "2020"
            form["aupVersion"] = "AUP-2018"
            form["version"] = "2018-01"
            func send(_ form: [String: String], as person: WebSession) async throws -> TestingHTTPResponse {
                try await app.post(
                    "/eligibility-parameters", form: form.map { ($0.key, $0.value) } + [("_csrf", person.csrf)],
                    headers: person.headers)
            }
            let saved = try await send(form, as: nadia)
            #expect(saved.status == .seeOther)
            let current = try await EligibilityParameterStore.current(on: sql(app))
            #expect(current.version == "2018-01")
            #expect(current.aupVersion == "AUP-2018")
            #expect(current.programmes.first { $0.code == "numsas" }?.closesOn == "2020-12-31")
            #expect(current.programmes.first { $0.code == "qps" } == EligibilityParameters.seed.programmes[1])
            struct Count: Decodable { let n: Int }
            let audits = try await sql(app).raw(
                "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'eligibility_parameters.create'"
            ).firstRow(Count.self)
            #expect(audits?.n == 1)
            // NUMSAS closed at the end of 2020, so the test clock (2027) no longer offers it.
            let programmes = try await app.get("/programmes", headers: nadia.headers)
            #expect(programmes.body.string.contains("Closed"))

            #expect(try await send(form, as: nadia).status == .unprocessableEntity, "a version name is used once")
            form["version"] = "2018-02"
            form["programme-qps-opensOn-day"] = "31"
            form["programme-qps-opensOn-month"] = "2"
            let broken = try await send(form, as: nadia)
            #expect(broken.status == .unprocessableEntity)
            #expect(broken.body.string.contains("Opens on for Quality Payments Scheme must be a real date"))
            #expect(broken.body.string.contains(##"href="#programme-qps-opensOn""##), "the summary links to the day")
            #expect(try await EligibilityParameterStore.current(on: sql(app)).version == "2018-01")

            let liam = try await signIn(app, email: Demo.liam)
            form["version"] = "2018-03"
            #expect(try await send(form, as: liam).status == .forbidden)
        }
    }

    static let priorCSV = """
        kind,applicant_email,submitted_on,applicantName,applicantRole,mobile,odsCode,premisesName,postcode,region,gphcPremisesNumber,meetsIGTerms,programme,staff
        community_pharmacy,a@garforth.example,2017-01-20,Ann Lee,Owner,07700 900130,FB003,Garforth Pharmacy,LS8 2PH,north_east_and_yorkshire,1012346,yes,qps,"Ann Lee, 07700 900130"
        community_pharmacy,b@garforth.example,2017-01-21,Bob Lee,Manager,07700 900131,FB003,Garforth Pharmacy,LS8 2PH,north_east_and_yorkshire,1012346,yes,qps,"Bob Lee, 07700 900131"
        community_pharmacy,c@rawdon.example,2017-01-22,Cat Moss,Owner,07700 900132,FB008,Rawdon Pharmacy,LS13 2PH,north_east_and_yorkshire,1012347,yes,qps,"Cat Moss, 07700 900132"
        """

    @Test(
        "Earlier applications import from CSV with their own dates, matched against duplicates; twice creates nothing new"
    )
    func importPriorApplications() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let first = try await uploadCSV(app, nadia, csv: Self.priorCSV, to: "/applications/import")
            #expect(first.status == .ok)
            #expect(first.body.string.contains("2 applications created"))
            #expect(first.body.string.contains("Line 3: the same as line 2"))
            struct Row: Decodable {
                let submittedAt: Date
                let rules: String
            }
            let rows = try await sql(app).raw("SELECT submitted_at, rules FROM applications ORDER BY submitted_at")
                .rows(Row.self)
            #expect(rows.count == 2)
            #expect(EligibilityEngine.londonDate(rows[0].submittedAt) == "2017-01-20")
            #expect(
                rows.allSatisfy { $0.rules == EligibilityRule.pharmacyQPSEvidence.rawValue },
                "judged on their own dates")
            let again = try await uploadCSV(app, nadia, csv: Self.priorCSV, to: "/applications/import")
            #expect(again.body.string.contains("0 applications created"))
            #expect(again.body.string.contains("previously submitted as APP-"))
        }
    }

    @Test("One bad row imports nothing, and every problem names its line")
    func importIsAllOrNothing() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let broken = Self.priorCSV.replacingOccurrences(of: "07700 900132,FB008", with: "0113 496 0000,FB008")
                .replacingOccurrences(of: "2017-01-21", with: "2017-02-30")
            let response = try await uploadCSV(app, nadia, csv: broken, to: "/applications/import")
            #expect(response.status == .unprocessableEntity)
            #expect(response.body.string.contains("Line 3: submitted_on"))
            struct Count: Decodable { let n: Int }
            #expect(
                try await sql(app).raw("SELECT COUNT(*) AS n FROM applications").firstRow(Count.self)?.n == 0)
            let mobile = Self.priorCSV.replacingOccurrences(of: "07700 900132,FB008", with: "0113 496 0000,FB008")
            let second = try await uploadCSV(app, nadia, csv: mobile, to: "/applications/import")
            #expect(second.body.string.contains("Line 4: mobile"))
            #expect(
                try await sql(app).raw("SELECT COUNT(*) AS n FROM applications").firstRow(Count.self)?.n == 0)
        }
    }
}
