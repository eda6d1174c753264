import Foundation
import Testing

@testable import OnboardDomain

@Suite("Guided start")
struct GuidedStartTests {
    let now = Date(timeIntervalSince1970: 1_485_000_000)

    @Test func asksWhoFirstThenWhere() {
        #expect(GuidedStart.next([:], knownOrganisation: nil, now: now) == .ask(.applicantType, error: nil))
        #expect(
            GuidedStart.next(["applicantType": "dentist"], knownOrganisation: nil, now: now)
                == .ask(.country, error: nil))
    }

    @Test func anInvalidAnswerIsAskedAgainWithItsMessage() {
        #expect(
            GuidedStart.next(["applicantType": "wizard"], knownOrganisation: nil, now: now)
                == .ask(.applicantType, error: "Select who you are joining as"))
        #expect(
            GuidedStart.next(
                ["applicantType": "dentist", "country": "england", "odsCode": "!"], knownOrganisation: nil, now: now)
                == .ask(.odsCode, error: GuidedStart.Question.odsCode.requiredMessage))
    }

    @Test func outsideEnglandNeedsNothingMore() {
        guard
            case .decide(let facts) = GuidedStart.next(
                ["applicantType": "dentist", "country": "scotland"], knownOrganisation: nil, now: now)
        else {
            Issue.record("expected a decision")
            return
        }
        #expect(facts.country == .scotland)
    }

    @Test func theIGQuestionIsOnlyForUnknownPractices() {
        let answers = [
            "applicantType": "dentist", "country": "england", "odsCode": "", "exchangesPatientInformation": "regular",
            "usesOtherPubliclyFundedEmail": "no",
        ]
        #expect(GuidedStart.next(answers, knownOrganisation: nil, now: now) == .ask(.igToolkitCompletedBy, error: nil))
        let practice = KnownOrganisation(name: "P", odsCode: "V0002", status: .notJoined, igToolkitCompleted: true)
        guard case .decide(let facts) = GuidedStart.next(answers, knownOrganisation: practice, now: now) else {
            Issue.record("a known practice's record answers the IG question")
            return
        }
        #expect(facts.organisation == practice)
    }

    @Test func everyApplicantTypeReachesADecisionTheEngineAccepts() throws {
        let engine = EligibilityEngine(parameters: .seed)
        let full: [String: String] = [
            "country": "england", "odsCode": "", "deliversNhsFundedCare": "yes",
            "exchangesPatientInformation": "regular", "usesOtherPubliclyFundedEmail": "no",
            "igToolkitCompletedBy": "self", "programme": "numsas",
        ]
        for type in ApplicantType.allCases {
            var answers = full
            answers["applicantType"] = type.rawValue
            guard case .decide(let facts) = GuidedStart.next(answers, knownOrganisation: nil, now: now) else {
                Issue.record("\(type) did not reach a decision")
                continue
            }
            #expect((try? engine.decide(facts).get()) != nil, "\(type): the engine had every fact it needed")
        }
    }
}
