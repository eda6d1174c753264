import Foundation
import NIOCore
import Testing
import VaporTesting

@testable import OnboardApp

@Suite("Eligibility API")
struct EligibilityAPITests {
    struct Answer: Decodable {
        let decision: String
        let rules: [String]
        let reasons: [String]
        let nextStep: String
        let parameterVersion: String
    }

    func check(_ app: Application, _ json: String) async throws -> TestingHTTPResponse {
        try await app.send(
            .POST, "/api/v1/eligibility-checks", headers: ["Content-Type": "application/json"],
            body: ByteBuffer(string: json))
    }

    @Test("Public: an applicant in Scotland is told where to go, with the rule and parameter version")
    func scotland() async throws {
        try await withTestApp { app, _ in
            let response = try await check(app, #"{"applicantType":"optometrist","country":"scotland"}"#)
            #expect(response.status == .ok)
            let answer = try decode(Answer.self, response)
            #expect(answer.decision == "redirect")
            #expect(answer.rules == ["EL-01-outside-england"])
            #expect(answer.nextStep.contains("nss.nhsmail@nhs.scot"))
            #expect(answer.parameterVersion == "2017-01")
        }
    }

    @Test("IG toolkit status is read from the practice's record, not the applicant's word")
    func igFromRecord() async throws {
        try await withTestApp { app, _ in
            // V0004 (High Street Dentist) has not completed the toolkit; V0002's headquarters has.
            let refused = try await check(
                app,
                #"{"applicantType":"dentist","country":"england","odsCode":"V0004","exchangesPatientInformation":"regular","usesOtherPubliclyFundedEmail":false,"igToolkitCompletedBy":"self"}"#
            )
            #expect(try decode(Answer.self, refused).decision == "not_eligible")
            let accepted = try await check(
                app,
                #"{"applicantType":"dentist","country":"england","odsCode":"v0002","exchangesPatientInformation":"regular","usesOtherPubliclyFundedEmail":false}"#
            )
            #expect(try decode(Answer.self, accepted).decision == "eligible")
        }
    }

    @Test("Staff of a joined organisation are shown its helpdesk")
    func staffSeeTheirHelpdesk() async throws {
        try await withTestApp { app, _ in
            let response = try await check(
                app, #"{"applicantType":"staff_of_joined_organisation","country":"england","odsCode":"RR801"}"#)
            let answer = try decode(Answer.self, response)
            #expect(answer.rules == ["EL-02-staff-of-joined-organisation"])
            #expect(answer.nextStep.contains("Leeds IT service desk"), "inherited from the trust")
        }
    }

    @Test("QPS what-if dates either side of the cut-off")
    func qpsCutOff() async throws {
        try await withTestApp { app, _ in
            for (day, rule) in [
                ("2017-02-01", "EL-16-pharmacy-qps-evidence"), ("2017-02-02", "EL-17-pharmacy-qps-wait-for-portal"),
            ] {
                let response = try await check(
                    app,
                    #"{"applicantType":"community_pharmacy","country":"england","programme":"qps","appliedOn":"\#(day)"}"#
                )
                #expect(try decode(Answer.self, response).rules == [rule], "\(day)")
            }
        }
    }

    @Test("422 names each missing fact a rule needs; 400 for malformed input")
    func badInput() async throws {
        try await withTestApp { app, _ in
            let missing = try await check(app, #"{"applicantType":"optometrist","country":"england"}"#)
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.isProblemJSON)
            #expect(Set(missing.problemFields) == ["exchangesPatientInformation", "usesOtherPubliclyFundedEmail"])
            let badDate = try await check(
                app,
                #"{"applicantType":"community_pharmacy","country":"england","programme":"qps","appliedOn":"2017-02-30"}"#
            )
            #expect(badDate.status == .unprocessableEntity)
            #expect(badDate.problemFields == ["appliedOn"])
            let long = String(repeating: "q", count: 41)
            let longProgramme = try await check(
                app, #"{"applicantType":"community_pharmacy","country":"england","programme":"\#(long)"}"#)
            #expect(longProgramme.status == .unprocessableEntity, "the document's maxLength holds")
            #expect(longProgramme.problemFields.contains("programme"))
            let nulls = try await check(
                app,
                #"{"applicantType":"dentist","country":"england","odsCode":null,"exchangesPatientInformation":"regular","usesOtherPubliclyFundedEmail":false,"appliedOn":null}"#
            )
            #expect(nulls.status == .ok, "an optional property sent as null is one left out")
            #expect(try await check(app, #"{"applicantType":"#).status == .badRequest)
            #expect(try await check(app, #"{"applicantType":"wizard","country":"england"}"#).status == .badRequest)
        }
    }

    @Test("Programmes are accepted as people write them; an unknown one is named, with the known ones listed")
    func programmeAsWritten() async throws {
        try await withTestApp { app, _ in
            let lower = try await check(
                app, #"{"applicantType":"community_pharmacy","country":"england","programme":"numsas"}"#)
            let upper = try await check(
                app, #"{"applicantType":"community_pharmacy","country":"england","programme":" NUMSAS "}"#)
            #expect(lower.status == .ok)
            #expect(upper.status == .ok, "NUMSAS is numsas")
            #expect(upper.body.string == lower.body.string)
            let unknown = try await check(
                app, #"{"applicantType":"community_pharmacy","country":"england","programme":"Pharmacy First"}"#)
            #expect(unknown.status == .unprocessableEntity)
            #expect(unknown.problemFields == ["programme"])
            #expect(unknown.body.string.contains("There is no programme called Pharmacy First"))
            #expect(unknown.body.string.contains("(numsas)"), "the known programmes are listed")
        }
    }

    @Test("Checks have no side effects")
    func noSideEffects() async throws {
        try await withTestApp { app, _ in
            let before = try await organisationCount(app)
            let audit = try await auditCount(app, action: "demo.seed")
            _ = try await check(app, #"{"applicantType":"nhs_organisation","country":"england"}"#)
            #expect(try await organisationCount(app) == before)
            #expect(try await auditCount(app, action: "demo.seed") == audit)
        }
    }

    @Test("Rate-limited per client address, and the window reopens as time passes")
    func rateLimited() async throws {
        try await withTestApp { app, clock in
            let body = #"{"applicantType":"junior_doctor","country":"england"}"#
            for _ in 0..<EligibilityLimits.perWindow {
                #expect(try await check(app, body).status == .ok)
            }
            let refused = try await check(app, body)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.isProblemJSON)
            #expect(refused.headers.first(name: .retryAfter) != nil)
            clock.advance(by: EligibilityLimits.window)
            #expect(try await check(app, body).status == .ok)
        }
    }
}
