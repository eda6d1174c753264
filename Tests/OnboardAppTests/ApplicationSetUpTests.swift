import Foundation
import NIOCore
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// Approval sets up what an application promised, in the decision's transaction, and the applicant reads what
/// exists on their tracking page.
@Suite("Approval sets up")
struct ApplicationSetUpTests {
    struct Made: Decodable {
        let state: String
        let createdOrganisationID: UUID?
        let createdAccountID: UUID?
        let createdMailboxID: UUID?
    }

    func made(_ app: Application, _ reference: String) async throws -> Made {
        try #require(
            try await (app.db as! any SQLDatabase).raw(
                """
                SELECT state, created_organisation_id, created_account_id, created_mailbox_id
                FROM applications WHERE reference = \(bind: reference)
                """
            ).firstRow(Made.self))
    }

    func decide(
        _ app: Application, _ reference: String, as email: String, _ form: [(String, String)]
    ) async throws -> TestingHTTPResponse {
        let id = try await ApplicationSetUpTests.id(app, reference)
        let session = try await signIn(app, email: email)
        return try await app.post(
            "/applications/\(id)/decisions", form: form + [("_csrf", session.csrf)], headers: session.headers)
    }

    static func id(_ app: Application, _ reference: String) async throws -> String {
        struct Row: Decodable { let id: UUID }
        let row = try await (app.db as! any SQLDatabase).raw(
            "SELECT id FROM applications WHERE reference = \(bind: reference)"
        ).firstRow(Row.self)
        return try #require(row?.id).uuidString.lowercased()
    }

    @Test("A care home's approval makes the home an organisation under its commissioner and the manager's account")
    func careHome() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(.careHome, email: "helen@sunnybank.example", answers: SampleAnswers.careHome)
            let reference = try #require(try await applicant.submit())
            let approved = try await decide(
                app, reference, as: Demo.chloe,
                [
                    ("action", "approve"), ("reason", "Registered with CQC; toolkit complete."),
                    ("activation", "assisted"),
                ])
            #expect(approved.status == .seeOther)
            let result = try await made(app, reference)
            #expect(result.state == "completed", "nothing is left to do by hand")
            let sql = app.db as! any SQLDatabase
            struct Home: Decodable {
                let name: String
                let type: String
                let status: String
                let igStatus: String
                let parent: String?
                let administrator: String?
            }
            let homeID = try #require(result.createdOrganisationID)
            let home = try #require(
                try await sql.raw(
                    """
                    SELECT o.name, o.type, o.status, o.ig_status, p.ods_code AS parent, a.ods_code AS administrator
                    FROM organisations o LEFT JOIN organisations p ON p.id = o.parent_id
                    LEFT JOIN organisations a ON a.id = o.administered_by_id
                    WHERE o.id = \(bind: homeID)
                    """
                ).firstRow(Home.self))
            #expect(home.name == "Sunnybank Care Home")
            #expect(home.type == "care_home")
            #expect(home.status == "onboarding")
            #expect(home.igStatus == "completed")
            #expect(home.parent == "QWO", "under its commissioner")
            #expect(home.administrator == "QWO", "administered by the approving LA's organisation")
            let accountID = try #require(result.createdAccountID)
            let account = try #require(try await AccountStore.summary(accountID, on: sql))
            #expect(account.address == "helen.price@nhs.net")
            #expect(account.accountState == .pendingActivation)
            // The LA chose to phone: nothing is texted yet, and the page says so.
            #expect(try await count(app, "FROM outbox WHERE template = 'credentials'") == 0)
            let page = try await applicant.trackingPage(email: "helen@sunnybank.example")
            #expect(page.contains("What has been set up"))
            #expect(page.contains("Sunnybank Care Home has joined the service."))
            #expect(page.contains("Your account is helen.price@nhs.net. Your Local Administrator will phone you"))
            #expect(!page.contains("Withdraw application"), "withdrawal is no longer offered")
            // Chloe's organisation pages hold the home: its other accounts are added from there.
            let chloe = try await signIn(app, email: Demo.chloe)
            let organisations = try await app.get("/organisations?q=Sunnybank", headers: chloe.headers)
            #expect(organisations.body.string.contains("Sunnybank Care Home"))
        }
    }

    @Test("A care home that has not completed the toolkit joins, and its accounts wait for it")
    func careHomeWithoutToolkit() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            var answers = SampleAnswers.careHome
            answers["igStatus"] = "in_progress"
            try await applicant.fillIn(.careHome, email: "helen@sunnybank.example", answers: answers)
            let reference = try #require(try await applicant.submit())
            _ = try await decide(app, reference, as: Demo.chloe, [("action", "approve"), ("reason", "Welcome.")])
            let result = try await made(app, reference)
            #expect(result.state == "completed")
            #expect(result.createdOrganisationID != nil)
            #expect(result.createdAccountID == nil, "no account before the toolkit is complete")
            let page = try await applicant.trackingPage(email: "helen@sunnybank.example")
            #expect(page.contains("Accounts are added once the home has completed the Data Security"))
        }
    }

    @Test("A community pharmacy's approval makes its account, texted, owning the premises mailbox it was promised")
    func communityPharmacy() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .communityPharmacy, email: "ada@seacroftchemist.co.uk", answers: SampleAnswers.pharmacy)
            let reference = try #require(try await applicant.submit())
            let before = try await organisationCount(app)
            let approved = try await decide(
                app, reference, as: Demo.priya, [("action", "approve"), ("reason", "Meets the IG terms of service.")])
            #expect(approved.status == .seeOther)
            let result = try await made(app, reference)
            #expect(result.state == "completed")
            #expect(try await organisationCount(app) == before, "FB006 is on record: matched, not made again")
            let sql = app.db as! any SQLDatabase
            let accountID = try #require(result.createdAccountID)
            let account = try #require(try await AccountStore.summary(accountID, on: sql))
            #expect(account.address == "ada.lovelace@nhs.net")
            #expect(account.mobile == "+447700900123", "the mobile number the application gave")
            #expect(
                try await count(app, "FROM outbox WHERE template = 'credentials' AND account_id = \(bind: account.id)")
                    == 1,
                "automated: the credentials are texted")
            struct Member: Decodable {
                let address: String
                let owner: Bool
            }
            let members = try await sql.raw(
                """
                SELECT m.address, s.owner FROM shared_mailbox_members s JOIN shared_mailboxes m ON m.id = s.mailbox_id
                WHERE s.account_id = \(bind: account.id)
                """
            ).rows(Member.self)
            #expect(members.map(\.address) == ["pharmacy.fb006@nhs.net"])
            #expect(members.first?.owner == true)
            let page = try await applicant.trackingPage(email: "ada@seacroftchemist.co.uk")
            #expect(page.contains("Your account is ada.lovelace@nhs.net. A security code and a temporary password"))
            #expect(page.contains("shared mailbox is pharmacy.fb006@nhs.net"))
        }
    }

    @Test("When what an approval sets up cannot be made, nothing is: the application stays as it was")
    func allOrNothing() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .communityPharmacy, email: "ada@seacroftchemist.co.uk", answers: SampleAnswers.pharmacy)
            let reference = try #require(try await applicant.submit())
            let sql = app.db as! any SQLDatabase
            // Someone already holds the premises mailbox's address.
            try await sql.raw(
                """
                INSERT INTO address_reservations (address, stem, kind, reserved_at)
                VALUES ('pharmacy.fb006@nhs.net', 'pharmacy.fb006', 'shared', \(bind: Date()))
                """
            ).run()
            let accounts = try await count(app, "FROM accounts")
            let refused = try await decide(
                app, reference, as: Demo.priya, [("action", "approve"), ("reason", "Meets the IG terms of service.")])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.string.contains("This application cannot be approved yet"))
            #expect(refused.body.string.contains("href=\"#action\""), "the error summary links to the decision")
            #expect(try await made(app, reference).state == "submitted")
            #expect(try await count(app, "FROM accounts") == accounts, "no account half-made")
        }
    }

    @Test("The LA an optometrist is passed to sets the account up in one step, linked both ways")
    func optometristSetUpByLA() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            let reference = try #require(try await applicant.submit())
            let qwo = try await organisationID(app, ods: "QWO")
            _ = try await decide(
                app, reference, as: Demo.rachel,
                [("action", "pass_to_la"), ("assignee", lower(qwo)), ("reason", "Regular referrals.")])
            #expect(try await made(app, reference).state == "passed_to_la")
            // The LA's page offers the set-up with the answers already held, and how to activate.
            let chloe = try await signIn(app, email: Demo.chloe)
            let id = try await ApplicationSetUpTests.id(app, reference)
            let page = try await app.get("/applications/\(id)", headers: chloe.headers).body.string
            #expect(page.contains("Set up their account from this application"))
            #expect(page.contains("name=\"activation\""))
            let done = try await decide(
                app, reference, as: Demo.chloe,
                [("action", "complete"), ("activation", "automated"), ("reason", "Your account is ready.")])
            #expect(done.status == .seeOther)
            let result = try await made(app, reference)
            #expect(result.state == "completed")
            let sql = app.db as! any SQLDatabase
            let accountID = try #require(result.createdAccountID)
            let account = try #require(try await AccountStore.summary(accountID, on: sql))
            #expect(account.address == "ada.lovelace@nhs.net")
            #expect(account.organisationID == (try await organisationID(app, ods: "TP004")), "in the practice")
            #expect(
                try await count(app, "FROM outbox WHERE template = 'credentials' AND account_id = \(bind: accountID)")
                    == 1)
            // Linked both ways: the account page names the application.
            let accountPage = try await app.get("/accounts/\(lower(accountID))", headers: chloe.headers)
            #expect(accountPage.body.string.contains("Application \(reference)"))
            let tracking = try await applicant.trackingPage(email: "ada@wetherbyvision.co.uk")
            #expect(tracking.contains("Your account is ada.lovelace@nhs.net. A security code"))
            #expect(!tracking.contains("Passed to a Local Administrator</strong>"))
            #expect(!tracking.contains("Withdraw application"))
        }
    }

    @Test("A refused application's tracking page gives the reason and what to do instead")
    func notApproved() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(.careHome, email: "helen@sunnybank.example", answers: SampleAnswers.careHome)
            let reference = try #require(try await applicant.submit())
            _ = try await decide(
                app, reference, as: Demo.chloe,
                [("action", "reject"), ("reason", "The home is not commissioned by us; apply to Kirklees.")])
            #expect(try await made(app, reference).state == "rejected")
            let page = try await applicant.trackingPage(email: "helen@sunnybank.example")
            #expect(page.contains("Why it was not approved"))
            #expect(page.contains("apply to Kirklees"))
            #expect(page.contains("contact the national helpdesk"))
            #expect(page.contains(reference))
            #expect(!page.contains("What has been set up"))
        }
    }

    @Test("Through the API, the pharmacy team's approval sets up the same account and mailbox")
    func communityPharmacyByAPI() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .communityPharmacy, email: "ada@seacroftchemist.co.uk", answers: SampleAnswers.pharmacy)
            let reference = try #require(try await applicant.submit())
            var headers = bearer(try await apiToken(app, email: Demo.priya))
            headers.contentType = .json
            let approved = try await app.send(
                .POST, "/api/v1/applications/\(reference)/decisions", headers: headers,
                body: ByteBuffer(string: #"{"action":"approve","reason":"Meets the IG terms of service."}"#))
            #expect(approved.status == .ok, "\(approved.body.string)")
            #expect(approved.body.string.contains(#""completed""#))
            let result = try await made(app, reference)
            #expect(result.createdAccountID != nil && result.createdMailboxID != nil)
        }
    }
}

extension ApplicationSetUpTests {
    @Test("Through the API, the LA's approval of a care home sets up the home and the manager's account")
    func careHomeByAPI() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(.careHome, email: "helen@sunnybank.example", answers: SampleAnswers.careHome)
            let reference = try #require(try await applicant.submit())
            var headers = bearer(try await apiToken(app, email: Demo.chloe))
            headers.contentType = .json
            let approved = try await app.send(
                .POST, "/api/v1/applications/\(reference)/decisions", headers: headers,
                body: ByteBuffer(
                    string: #"{"action":"approve","reason":"Registered with the CQC.","activation":"assisted"}"#))
            #expect(approved.status == .ok, "\(approved.body.string)")
            #expect(approved.body.string.contains(#""completed""#))
            let result = try await made(app, reference)
            #expect(result.createdOrganisationID != nil && result.createdAccountID != nil)
            let manager = try #require(result.createdAccountID)
            struct Account: Decodable {
                let activationMethod: String
                let organisationID: UUID
            }
            let account = try await (app.db as! any SQLDatabase).raw(
                "SELECT activation_method, organisation_id FROM accounts WHERE id = \(bind: manager)"
            ).firstRow(Account.self)
            #expect(account?.activationMethod == "assisted")
            #expect(account?.organisationID == result.createdOrganisationID)
        }
    }
}
