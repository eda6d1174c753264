import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Applications: applying, reviewing, tracking")
struct ApplicationTests {
    func state(_ app: Application, _ reference: String) async throws -> String? {
        struct Row: Decodable { let state: String }
        return try await (app.db as! any SQLDatabase).raw(
            "SELECT state FROM applications WHERE reference = \(bind: reference)"
        ).firstRow(Row.self)?.state
    }

    func applicationID(_ app: Application, _ reference: String) async throws -> UUID {
        struct Row: Decodable { let id: UUID }
        let row = try await (app.db as! any SQLDatabase).raw(
            "SELECT id FROM applications WHERE reference = \(bind: reference)"
        ).firstRow(Row.self)
        return try #require(row?.id)
    }

    func auditActions(_ app: Application, _ reference: String) async throws -> [String] {
        struct Row: Decodable { let action: String }
        return try await (app.db as! any SQLDatabase).raw(
            "SELECT action FROM audit_events WHERE target_id = \(bind: reference) ORDER BY occurred_at"
        ).rows(Row.self).map(\.action)
    }

    func runJobs(_ app: Application) async throws {
        while try await app.jobs.runOnce(app: app) {}
    }

    @Test("An optometrist's application goes applicant → regional contact → LA → completed, audited at each step")
    func optometristJourney() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            let reference = try #require(try await applicant.submit())
            #expect(applicant.lastBody.contains("Received"))
            #expect(try await state(app, reference) == "submitted")
            try await runJobs(app)
            #expect(applicant.lastMessage(to: "ada@wetherbyvision.co.uk")?.subject.contains(reference) == true)

            let id = try await applicationID(app, reference)
            let rachel = try await signIn(app, email: Demo.rachel)
            let list = try await app.get("/applications", headers: rachel.headers)
            #expect(list.body.string.contains(reference))
            let page = try await app.get("/applications/\(id.uuidString.lowercased())", headers: rachel.headers)
            #expect(page.status == .ok)
            let qwo = try await organisationID(app, ods: "QWO")
            // A decision without a reason is refused, and nothing changes.
            let bare = try await app.post(
                "/applications/\(id.uuidString.lowercased())/decisions",
                form: [("action", "pass_to_la"), ("assignee", qwo.uuidString), ("_csrf", rachel.csrf)],
                headers: rachel.headers)
            #expect(bare.status == .unprocessableEntity)
            #expect(bare.body.string.contains("Enter the reason"))
            #expect(try await state(app, reference) == "submitted")
            let passed = try await app.post(
                "/applications/\(id.uuidString.lowercased())/decisions",
                form: [
                    ("action", "pass_to_la"), ("assignee", qwo.uuidString),
                    ("reason", "Regular referrals; IG complete."),
                    ("_csrf", rachel.csrf),
                ], headers: rachel.headers)
            #expect(passed.status == .seeOther)
            #expect(try await state(app, reference) == "passed_to_la")
            let location = try #require(passed.headers.first(name: .location))
            #expect(!location.contains("notice"), "the notice is not in the address")
            let after = try await app.get(location, headers: rachel.headers.following(passed))
            #expect(after.body.string.contains("Decision recorded"))
            #expect(
                after.headers[.setCookie].contains { $0.hasPrefix(NoticeCookie.name + "=;") },
                "shown once: the page clears it")
            let refreshed = try await app.get(location, headers: rachel.headers)
            #expect(!refreshed.body.string.contains("Decision recorded"), "a refresh does not repeat it")
            #expect(after.body.string.contains("Local Administrators of NHS West Yorkshire Integrated Care Board"))

            let chloe = try await signIn(app, email: Demo.chloe)
            let done = try await app.post(
                "/applications/\(id.uuidString.lowercased())/decisions",
                form: [("action", "complete"), ("reason", "Account set up for the practice."), ("_csrf", chloe.csrf)],
                headers: chloe.headers)
            #expect(done.status == .seeOther)
            #expect(try await state(app, reference) == "completed")
            let actions = try await auditActions(app, reference)
            for expected in [
                "application.start", "application.email_verified", "application.submit", "application.pass_to_la",
                "application.complete",
            ] {
                #expect(actions.contains(expected), "no \(expected) in \(actions)")
            }
            try await runJobs(app)
            #expect(
                app.dependencies.sentMessages.to("ada@wetherbyvision.co.uk").contains {
                    $0.body.contains("Account set up")
                })
        }
    }

    @Test("Another region's contact cannot see or decide the application by any route")
    func otherRegionCannotSee() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            let reference = try #require(try await applicant.submit())
            let id = try await applicationID(app, reference).uuidString.lowercased()
            let grace = try await signIn(app, email: Demo.grace)
            #expect(!(try await app.get("/applications", headers: grace.headers)).body.string.contains(reference))
            #expect(try await app.get("/applications/\(id)", headers: grace.headers).status == .notFound)
            let decide = try await app.post(
                "/applications/\(id)/decisions", form: [("action", "reject"), ("reason", "no"), ("_csrf", grace.csrf)],
                headers: grace.headers)
            #expect(decide.status == .notFound)
            let token = try await apiToken(app, email: Demo.grace)
            #expect(try await app.get("/api/v1/applications/\(reference)", headers: bearer(token)).status == .notFound)
            // An LA of another trust sees nothing either.
            let mia = try await signIn(app, email: Demo.mia)
            #expect(try await app.get("/applications/\(id)", headers: mia.headers).status == .notFound)
            #expect(try await state(app, reference) == "submitted")
        }
    }

    struct OrganisationRow: Decodable { let id: UUID }

    @Test(
        "A non-NHS organisation's approval creates the organisation and invites its first LA, whose account completes it"
    )
    func nonNHSApprovalCreatesOrganisation() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .nonNHSOrganisation, email: "jo@harbourhospice.org.uk", answers: SampleAnswers.nonNHS)
            let reference = try #require(try await applicant.submit())
            let id = try await applicationID(app, reference).uuidString.lowercased()
            // The regional contact has no say over organisations.
            let rachel = try await signIn(app, email: Demo.rachel)
            #expect(try await app.get("/applications/\(id)", headers: rachel.headers).status == .notFound)
            let before = try await organisationCount(app)
            let nadia = try await signIn(app, email: Demo.nadia)
            let approved = try await app.post(
                "/applications/\(id)/decisions",
                form: [
                    ("action", "approve"), ("reason", "Delivers NHS-funded palliative care."), ("_csrf", nadia.csrf),
                ],
                headers: nadia.headers)
            #expect(approved.status == .seeOther)
            #expect(try await state(app, reference) == "approved")
            #expect(try await organisationCount(app) == before + 1)
            struct Org: Decodable {
                let status: String
                let type: String
            }
            let org = try await (app.db as! any SQLDatabase).raw(
                "SELECT status, type FROM organisations WHERE name = \(bind: "Harbour Hospice Care")"
            ).firstRow(Org.self)
            #expect(org?.status == "onboarding")
            #expect(org?.type == "non_nhs")
            try await runJobs(app)
            let invite = app.dependencies.sentMessages.to("ben.carter@harbourhospice.org.uk").last
            #expect(invite?.subject == "You are invited to be a Local Administrator")
            #expect(invite?.body.contains("Harbour Hospice Care") == true)

            // Accounts wait for the information governance toolkit; the national team records it on the
            // organisation, then phones the invited LA and sets up their account from the application's page.
            let hospice = try await (app.db as! any SQLDatabase).raw(
                "SELECT id FROM organisations WHERE name = \(bind: "Harbour Hospice Care")"
            ).firstRow(OrganisationRow.self)
            let edit = "/organisations/\(try #require(hospice).id.uuidString.lowercased())/edit"
            var details = formValues(in: try await page(app, edit, nadia).body.string)
            details["igStatus"] = "completed"
            (details["igDay"], details["igMonth"], details["igYear"]) = ("3", "1", "2027")
            let recorded = try await submit(app, edit, nadia, details.map { ($0.key, $0.value) })
            #expect(recorded.status == .seeOther)
            let review = try await app.get("/applications/\(id)", headers: nadia.headers).body.string
            let setUp = String(try #require(review.firstMatch(of: /\/accounts\/new\?invitation=[0-9a-f-]+/)).output)
            let form = try await page(app, setUp, nadia).body.string
            let organisation = try #require(
                form.firstMatch(of: /<option value="([^"]+)" selected>Harbour Hospice Care/))
            let invitation = String(setUp.split(separator: "=").last ?? "")
            let created = try await submit(
                app, "/accounts/new", nadia,
                [
                    ("firstName", "Ben"), ("surname", "Carter"), ("mobile", "07700 900777"),
                    ("organisation", String(organisation.output.1)), ("method", "assisted"),
                    ("invitation", invitation), ("confirm", "yes"),
                ])
            #expect(created.status == .seeOther)
            #expect(try await state(app, reference) == "completed", "the organisation has what it asked for")
            let tracking = try await applicant.trackingPage(email: "jo@harbourhospice.org.uk")
            #expect(tracking.contains("Harbour Hospice Care has joined the service."))
            #expect(tracking.contains("The first administrator&#39;s account is ben.carter@nhs.net"))
        }
    }

    @Test("A second application for the same premises finds the first and creates nothing")
    func duplicatePremisesFindsFirst() async throws {
        try await withTestApp { app, _ in
            let first = ApplicantBrowser(app)
            try await first.fillIn(
                .communityPharmacy, email: "owner@seacroftchemist.co.uk", answers: SampleAnswers.pharmacy)
            let reference = try #require(try await first.submit())
            let second = ApplicantBrowser(app)
            try await second.fillIn(
                .communityPharmacy, email: "manager@seacroftchemist.co.uk", answers: SampleAnswers.pharmacy)
            #expect(try await second.submit() == nil)
            #expect(second.lastBody.contains("previously submitted"))
            #expect(second.lastBody.contains(reference))
            struct Count: Decodable { let n: Int }
            let live = try await (app.db as! any SQLDatabase).raw(
                "SELECT COUNT(*) AS n FROM applications WHERE state <> 'draft'"
            ).firstRow(Count.self)
            #expect(live?.n == 1)
        }
    }

    @Test("Someone who already has an account is sent to the joiner route")
    func existingAccountGoesToJoiner() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.get("/apply/optometrist")
            let page = try await applicant.post("/apply/optometrist", [("email", Demo.tom)])
            #expect(page.body.string.contains("joiner"))
            #expect(applicant.cookies[ApplyController.cookieName] == nil)
        }
    }

    @Test("Email codes are single-use, expire and allow five tries")
    func codesAreLimited() async throws {
        try await withTestApp { app, clock in
            let applicant = ApplicantBrowser(app)
            try await applicant.get("/apply/dentist")
            try await applicant.post("/apply/dentist", [("email", "d@example.org")])
            let good = try applicant.code(for: "d@example.org")
            let wrong = good == "000000" ? "111111" : "000000"
            for _ in 0..<5 {
                let page = try await applicant.post("/apply/verify", [("code", wrong)])
                #expect(page.status == .unprocessableEntity)
            }
            let locked = try await applicant.post("/apply/verify", [("code", good)])
            #expect(locked.body.string.contains("too many times"))
            try await applicant.post("/apply/verify/new-code")
            let fresh = try applicant.code(for: "d@example.org")
            clock.advance(by: 16 * 60)
            let expired = try await applicant.post("/apply/verify", [("code", fresh)])
            #expect(expired.body.string.contains("expired"))
            struct Row: Decodable { let hash: String? }
            let stored = try await (app.db as! any SQLDatabase).raw("SELECT code_hash AS hash FROM applications").rows(
                Row.self)
            #expect(stored.allSatisfy { $0.hash != fresh })
        }
    }

    @Test("Bad answers are refused with the error summary, naming the field, and are not saved")
    func badAnswersRefused() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.get("/apply/optometrist")
            try await applicant.post("/apply/optometrist", [("email", "ada@example.org")])
            try await applicant.post("/apply/verify", [("code", try applicant.code(for: "ada@example.org"))])
            let page = try await applicant.post(
                "/apply/questions/contact",
                [("applicantName", "Ada"), ("applicantRole", "Optometrist"), ("mobile", "0113 496 0000")])
            #expect(page.status == .unprocessableEntity)
            #expect(page.body.string.contains("nhsuk-error-summary"))
            #expect(page.body.string.contains("href=\"#mobile\""))
            struct Row: Decodable { let answers: String }
            let stored = try await (app.db as! any SQLDatabase).raw("SELECT answers FROM applications").firstRow(
                Row.self)
            #expect(stored?.answers == "{}")
        }
    }

    @Test("The tracking link shows nothing until its button is pressed, and a wrong link learns nothing")
    func trackingIsPrefetchSafe() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            let reference = try #require(try await applicant.submit())
            try await runJobs(app)
            let body = try #require(applicant.lastMessage(to: "ada@wetherbyvision.co.uk")?.body)
            let link = try #require(body.firstMatch(of: /\/track\/[A-Za-z0-9_-]+/)).output
            let scanner = ApplicantBrowser(app)
            let opened = try await scanner.get(String(link))
            #expect(opened.status == .ok)
            #expect(!opened.body.string.contains(reference))
            let shown = try await scanner.post(String(link))
            #expect(shown.body.string.contains(reference))
            let wrong = try await scanner.post("/track/" + String(repeating: "x", count: 43))
            let nonsense = try await scanner.post("/track/abc")
            #expect(wrong.status == .notFound)
            #expect(nonsense.status == .notFound)
            #expect(!wrong.body.string.contains(reference))
        }
    }

    @Test("The applicant replies to a request for more information on the tracking page")
    func applicantReplies() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            let reference = try #require(try await applicant.submit())
            let id = try await applicationID(app, reference).uuidString.lowercased()
            let rachel = try await signIn(app, email: Demo.rachel)
            _ = try await app.post(
                "/applications/\(id)/decisions",
                form: [
                    ("action", "request_information"), ("reason", "How often do you refer to the eye clinic?"),
                    ("_csrf", rachel.csrf),
                ],
                headers: rachel.headers)
            #expect(try await state(app, reference) == "more_information_needed")
            try await runJobs(app)
            let body = try #require(applicant.lastMessage(to: "ada@wetherbyvision.co.uk")?.body)
            let link = String(try #require(body.firstMatch(of: /\/track\/[A-Za-z0-9_-]+/)).output)
            let page = try await applicant.post(link)
            #expect(page.body.string.contains("How often do you refer"))
            let empty = try await applicant.post(link + "/reply", [("reason", " ")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.body.string.contains("Enter your reply"))
            #expect(!empty.body.string.contains("your decision"), "the applicant is not a reviewer")
            let sent = try await applicant.post(link + "/reply", [("reason", "Weekly referrals.")], follow: false)
            #expect(sent.status == .seeOther, "post/redirect/get: a refresh cannot send the reply twice")
            #expect(sent.location == link)
            let replied = try await applicant.get(link)
            #expect(replied.status == .ok)
            #expect(replied.body.string.contains("Your reply has been sent"))
            #expect(try await state(app, reference) == "in_review")
        }
    }

    @Test("An applicant can withdraw; the premises can then be applied for again")
    func withdrawReleasesPlace() async throws {
        try await withTestApp { app, _ in
            let first = ApplicantBrowser(app)
            try await first.fillIn(
                .communityPharmacy, email: "owner@seacroftchemist.co.uk", answers: SampleAnswers.pharmacy)
            let reference = try #require(try await first.submit())
            try await runJobs(app)
            let body = try #require(first.lastMessage(to: "owner@seacroftchemist.co.uk")?.body)
            let link = String(try #require(body.firstMatch(of: /\/track\/[A-Za-z0-9_-]+/)).output)
            try await first.post(link)
            let withdrawn = try await first.post(link + "/withdraw")
            #expect(withdrawn.status == .ok)
            #expect(try await state(app, reference) == "withdrawn")
            let second = ApplicantBrowser(app)
            try await second.fillIn(
                .communityPharmacy, email: "new@seacroftchemist.co.uk", answers: SampleAnswers.pharmacy)
            #expect(try await second.submit() != nil)
        }
    }

    @Test("A pharmacy multiple confirms its intent; approval invites its lead contact as super user")
    func pharmacyMultipleIntent() async throws {
        try await withTestApp { app, _ in
            let outcome = try await app.get("/join?applicantType=pharmacy_multiple&country=england")
            #expect(outcome.body.string.contains("/apply/pharmacy_multiple"))
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .pharmacyMultiple, email: "lead@northernpharmacy.co.uk",
                answers: SampleAnswers.contact.merging([
                    "odsCode": "FHQ01", "organisationName": "Northern Pharmacy Group", "postcode": "LS11 5DD",
                    "region": "north_east_and_yorkshire", "storeCount": "10", "intentConfirmed": "yes",
                ]) { _, new in new })
            let reference = try #require(try await applicant.submit())
            let id = try await applicationID(app, reference).uuidString.lowercased()
            let before = try await organisationCount(app)
            let nadia = try await signIn(app, email: Demo.nadia)
            let approved = try await app.post(
                "/applications/\(id)/decisions",
                form: [("action", "approve"), ("reason", "Intent confirmed for ten stores."), ("_csrf", nadia.csrf)],
                headers: nadia.headers)
            #expect(approved.status == .seeOther)
            #expect(try await organisationCount(app) == before, "the head office on record is linked, not copied")
            try await runJobs(app)
            let subjects = app.dependencies.sentMessages.to("lead@northernpharmacy.co.uk").map(\.subject)
            #expect(subjects.contains("You are invited to be your pharmacy group's super user"))
        }
    }

    @Test("A practice without the IG toolkit is refused on the practice page, not after every other question")
    func earlyRefusal() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.get("/apply/dentist")
            try await applicant.post("/apply/dentist", [("email", "d@highstreetdentist.example")])
            try await applicant.post(
                "/apply/verify", [("code", try applicant.code(for: "d@highstreetdentist.example"))])
            try await applicant.post(
                "/apply/questions/contact",
                [("applicantName", "Dee"), ("applicantRole", "Dentist"), ("mobile", "07700 900123")])
            let practice = try await applicant.post(
                "/apply/questions/practice",
                [
                    ("odsCode", "V0004"), ("practiceName", "High Street Dentist"), ("postcode", "LS1 1HS"),
                    ("region", "north_east_and_yorkshire"),
                ])
            #expect(practice.status == .unprocessableEntity)
            #expect(practice.body.string.contains("href=\"#odsCode\""))
            #expect(practice.body.string.contains("Information Governance toolkit"))
        }
    }

    @Test("Every page is shown in order, optional ones too; check your answers shows mobiles as people write them")
    func pagesInOrder() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.get("/apply/optometrist")
            try await applicant.post("/apply/optometrist", [("email", "o@example.org")])
            try await applicant.post("/apply/verify", [("code", try applicant.code(for: "o@example.org"))])
            let first = try await applicant.get("/apply/questions/contact")
            #expect(
                first.body.string.contains("href=\"/apply/optometrist\""),
                "Back from the first question goes to the start")
            try await applicant.post(
                "/apply/questions/contact",
                [("applicantName", "Ola"), ("applicantRole", "Optometrist"), ("mobile", "+44 7700 900123")])
            try await applicant.post(
                "/apply/questions/practice",
                [
                    ("odsCode", "TP004"), ("practiceName", "Wetherby Vision Centre"), ("postcode", "LS22 6DD"),
                    ("region", "north_east_and_yorkshire"),
                ])
            #expect(
                applicant.lastBody.contains("name=\"registrationNumber\""), "the optional registration page comes next")
            try await applicant.post("/apply/questions/registration", [("registrationNumber", "")])
            try await applicant.post("/apply/questions/exchange", [("exchangesPatientInformation", "regular")])
            try await applicant.post("/apply/questions/otherEmail", [("usesOtherPubliclyFundedEmail", "no")])
            let check = try await applicant.post("/apply/questions/sharedMailbox", [("wantsSharedMailbox", "no")])
            #expect(check.body.string.contains("Check your answers"))
            #expect(check.body.string.contains("07700 900123"))
        }
    }

    @Test("The development message page does not exist in production")
    func devMessagesOnlyInDevelopment() async throws {
        try await withTestApp(environment: "production", seed: false) { app, _ in
            let response = try await app.get("/dev/messages")
            #expect(response.status == .notFound)
        }
    }

    @Test("Email codes are limited per client address: the 31st request in ten minutes gets 429")
    func codesAreRateLimited() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.get("/apply/dentist")
            for _ in 0..<30 {
                let response = try await applicant.post("/apply/dentist", [("email", "not-an-email")])
                #expect(response.status == .unprocessableEntity)
            }
            let limited = try await applicant.post("/apply/dentist", [("email", "not-an-email")])
            #expect(limited.status == .tooManyRequests)
        }
    }
}
