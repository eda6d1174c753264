import Foundation
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Guided start pages")
struct GuidedStartPageTests {
    func html(_ response: TestingHTTPResponse) -> String { response.body.string }

    @Test("The first page asks who you are joining as, with a back link to the front page")
    func firstQuestion() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get("/join")
            #expect(response.status == .ok)
            #expect(html(response).contains("Who are you joining as?"))
            #expect(html(response).contains(#"class="nhsuk-back-link__link" href="/""#))
        }
    }

    @Test("An invalid answer asks again with the error summary linked to the field")
    func invalidAnswer() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get("/join?applicantType=wizard")
            #expect(response.status == .unprocessableEntity)
            #expect(html(response).contains("nhsuk-error-summary"))
            #expect(html(response).contains(##"href="#applicantType""##))
            #expect(html(response).contains(#"id="applicantType""#))
        }
    }

    @Test("Sending a question with nothing chosen says what to choose, on the first question and on a later one")
    func nothingChosen() async throws {
        try await withTestApp { app, _ in
            let first = try await app.get("/join?answering=applicantType")
            #expect(first.status == .unprocessableEntity)
            #expect(html(first).contains(##"href="#applicantType""##))
            let later = try await app.get("/join?applicantType=dentist&answering=country")
            #expect(later.status == .unprocessableEntity, "Where are you based? sent empty")
            #expect(html(later).contains(##"href="#country""##))
            #expect(html(later).contains(#"name="answering" value="country""#))
        }
    }

    @Test("A dentist at a practice whose headquarters completed the IG toolkit is told they can apply")
    func dentistOutcome() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get(
                "/join?applicantType=dentist&country=england&odsCode=V0002&exchangesPatientInformation=regular&usesOtherPubliclyFundedEmail=no"
            )
            #expect(response.status == .ok)
            #expect(html(response).contains("You can apply"))
            // The rule is kept for support staff in the page's markup, not shown: rule ids are not for applicants.
            #expect(html(response).contains(#"data-rules="EL-13-od-apply-individually""#))
            #expect(!html(response).contains(">Rules applied"))
            #expect(html(response).components(separatedBy: "EL-13").count == 2, "only in the attribute")
            let igQuestion = "Who completed the Information Governance toolkit?"
            #expect(!html(response).contains(igQuestion), "read from the record")
        }
    }

    @Test("Staff of a joined organisation are shown its helpdesk and the national one")
    func staffOutcome() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get(
                "/join?applicantType=staff_of_joined_organisation&country=england&odsCode=RR813")
            #expect(html(response).contains("You do not need to apply here"))
            #expect(html(response).contains("Leeds IT service desk"))
            #expect(html(response).contains("helpdesk@nhs.net"))
        }
    }

    @Test("A GP practice on record is sent to the commissioner that administers it, with no application to start")
    func gpPracticeOutcome() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get("/join?applicantType=gp_practice&country=england&odsCode=B86001")
            let page = html(response)
            #expect(page.contains("You do not need to apply here"))
            #expect(page.contains("NHS West Yorkshire Integrated Care Board"))
            #expect(page.contains("Beech Tree Surgery"))
            #expect(!page.contains("Start your application"))
        }
    }

    @Test(
        "Answers given to the guided start are not asked again: they fill the form, and the practice on record fills its page"
    )
    func askedOnce() async throws {
        try await withTestApp { app, _ in
            let outcome = try await app.get(
                "/join?applicantType=dentist&country=england&odsCode=V0002&exchangesPatientInformation=regular&usesOtherPubliclyFundedEmail=no"
            )
            let link = try #require(html(outcome).firstMatch(of: /href="(\/apply\/dentist\?[^"]+)"/)).output.1
            let start = String(link).replacingOccurrences(of: "&amp;", with: "&")
            #expect(start.contains("odsCode=V0002") && start.contains("exchangesPatientInformation=regular"))

            let applicant = ApplicantBrowser(app)
            let page = try await applicant.get(start)
            #expect(page.body.string.contains(#"name="exchangesPatientInformation" value="regular""#))
            let carried = [
                "odsCode": "V0002", "exchangesPatientInformation": "regular", "usesOtherPubliclyFundedEmail": "no",
            ]
            try await applicant.post(
                "/apply/dentist", [("email", "omar@smile.example")] + carried.map { ($0.key, $0.value) })
            try await applicant.post("/apply/verify", [("code", try applicant.code(for: "omar@smile.example"))])
            let asked = try await applicant.answerEachPage(
                SampleAnswers.optometrist.merging(["registrationNumber": "104233"]) { _, new in new })
            #expect(!asked.contains("practice"), "the practice on record gave its name, postcode and region")
            #expect(!asked.contains("exchange"), "asked in the guided start")
            #expect(!asked.contains("otherEmail"), "asked in the guided start")
            #expect(applicant.lastBody.contains("Check your answers"))
            #expect(applicant.lastBody.contains("V0002"), "shown on check your answers")
            #expect(applicant.lastBody.contains("/apply/questions/exchange?return=check"), "with a change link")
        }
    }

    @Test("Only the guided start's questions are carried, and only answers the form accepts")
    func carriedIsChecked() {
        let steps = ApplicationForm.steps(for: .dentist, aupVersion: "1", programmes: [])
        let carried = ApplicationForm.carried(
            [
                "odsCode": "v0002", "exchangesPatientInformation": "sometimes", "usesOtherPubliclyFundedEmail": "no",
                "applicantName": "Someone Else",
            ], into: steps, regions: [])
        #expect(carried == ["odsCode": "V0002", "usesOtherPubliclyFundedEmail": "no"])
    }
}
