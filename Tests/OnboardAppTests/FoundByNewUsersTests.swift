import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// What trying the service as a new user found (issue 16, item 4), each kept fixed.
@Suite("Found by new users")
struct FoundByNewUsersTests {
    @Test("No page links a placeholder contact: migration questions go to the national helpdesk")
    func noPlaceholderContact() async throws {
        try await withTestApp { app, _ in
            struct Row: Decodable { let url: String }
            let urls = try await (app.db as! any SQLDatabase).raw("SELECT url FROM guidance_items")
                .rows(Row.self).map(\.url)
            #expect(!urls.contains { $0.contains("onboard.example") })
            #expect(urls.contains("mailto:helpdesk@nhs.net"))
            let front = try await app.get("/")
            #expect(!front.body.string.contains("onboard.example"))
        }
    }

    @Test("The API tokens page is linked from everyone's home page")
    func tokensLinked() async throws {
        try await withTestApp { app, _ in
            let uma = try await signIn(app, email: Demo.uma)
            let home = try await app.get("/home", headers: uma.headers).body.string
            #expect(home.contains(#"href="/account/tokens""#))
        }
    }

    @Test("One Acceptable Use Policy version everywhere: the form an organisation signs names the one people accept")
    func oneAUPVersion() async throws {
        try await withTestApp { app, _ in
            let current = try #require(try await SignInService.currentAUP(on: app.db as! any SQLDatabase))
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .nonNHSOrganisation, email: "jo@harbourhospice.org.uk", answers: SampleAnswers.nonNHS)
            #expect(applicant.lastBody.contains("version \(current.version)"))
            #expect(!applicant.lastBody.contains("AUP-2017"))
        }
    }

    @Test("Reports name programmes as people know them, and say 'No programme' rather than None")
    func reportWords() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .communityPharmacy, email: "ada@seacroftchemist.co.uk", answers: SampleAnswers.pharmacy)
            _ = try await applicant.submit()
            let nadia = try await signIn(app, email: Demo.nadia)
            let report = try await app.get("/reports/applications", headers: nadia.headers)
            #expect(report.status == .ok)
            let page = report.body.string
            #expect(page.contains("NUMSAS"))
            #expect(!page.contains(">numsas<"))
            #expect(!page.contains(">None<"))
        }
    }

    @Test("A care home chooses its commissioner by name, and check your answers names it")
    func commissionerByName() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(.careHome, email: "helen@sunnybank.example", answers: SampleAnswers.careHome)
            #expect(applicant.lastBody.contains("NHS West Yorkshire Integrated Care Board (QWO)"))
            let step = try await applicant.get("/apply/questions/commissioner")
            #expect(step.body.string.contains(#"<select class="nhsuk-select" id="commissionerODS""#))
            #expect(
                step.body.string.contains(
                    #"<option value="QWO" selected>NHS West Yorkshire Integrated Care Board</option>"#))
        }
    }

    @Test("Check your answers wraps the email address at its @, not inside a word")
    func addressWraps() async throws {
        try await withTestApp { app, _ in
            let applicant = ApplicantBrowser(app)
            try await applicant.fillIn(
                .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            #expect(
                applicant.lastBody.contains(
                    #"<span class="onboard-address"><span>ada</span><span>@wetherbyvision.co.uk</span></span>"#))
        }
    }
}
