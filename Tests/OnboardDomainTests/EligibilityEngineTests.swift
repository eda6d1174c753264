import Foundation
import Testing

@testable import OnboardDomain

@Suite("Eligibility engine")
struct EligibilityEngineTests {
    let engine = EligibilityEngine(parameters: .seed)

    /// Noon in London on a day, as the server's clock would read it.
    static func london(_ day: String, hour: Int = 12, minute: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        let parts = day.split(separator: "-").map { Int($0)! }
        return calendar.date(
            from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: hour, minute: minute))!
    }

    static let now = london("2017-01-15")
    static let joined = KnownOrganisation(
        name: "Leeds Teaching Hospitals NHS Trust", odsCode: "RR8", status: .live, igToolkitCompleted: true,
        helpdeskContact: "Leeds IT service desk")
    static let practiceWithIG = KnownOrganisation(
        name: "Smile Dental Chapeltown", odsCode: "V0002", status: .notJoined, igToolkitCompleted: true,
        igCompletedByHeadquarters: true)
    static let practiceWithoutIG = KnownOrganisation(
        name: "High Street Dentist", odsCode: "V0004", status: .notJoined, igToolkitCompleted: false)

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let facts: ApplicantFacts
        let decision: EligibilityDecision
        let rules: [EligibilityRule]
        var testDescription: String { name }
    }

    static func facts(
        _ type: ApplicantType, country: Country = .england, organisation: KnownOrganisation? = nil,
        funded: Bool? = nil, exchange: InformationExchange? = nil, otherEmail: Bool? = nil, ig: IGCompletedBy? = nil,
        programme: String? = nil, at: Date = now
    ) -> ApplicantFacts {
        ApplicantFacts(
            applicantType: type, country: country, odsCode: organisation?.odsCode, organisation: organisation,
            deliversNHSFundedCare: funded, exchangesPatientInformation: exchange,
            usesOtherPubliclyFundedEmail: otherEmail,
            igToolkitCompletedBy: ig, programme: programme, submittedAt: at)
    }

    static let cases: [Case] = [
        Case(
            name: "Scotland goes to its own contact", facts: facts(.optometrist, country: .scotland),
            decision: .redirect, rules: [.outsideEngland]),
        Case(
            name: "Wales is redirected", facts: facts(.nhsOrganisation, country: .wales), decision: .redirect,
            rules: [.outsideEngland]),
        Case(
            name: "Northern Ireland is redirected", facts: facts(.careHome, country: .northernIreland),
            decision: .redirect, rules: [.outsideEngland]),
        Case(
            name: "staff of a joined trust see its helpdesk",
            facts: facts(.staffOfJoinedOrganisation, organisation: joined), decision: .redirect,
            rules: [.staffOfJoinedOrganisation]),
        Case(
            name: "staff whose organisation is unknown go to the helpdesks", facts: facts(.staffOfJoinedOrganisation),
            decision: .redirect, rules: [.staffOrganisationNotFound]),
        Case(
            name: "hospital pharmacist goes to the trust LA", facts: facts(.hospitalPharmacist), decision: .redirect,
            rules: [.hospitalPharmacist]),
        Case(
            name: "junior doctor goes to first rotation IT", facts: facts(.juniorDoctor), decision: .redirect,
            rules: [.juniorDoctor]),
        Case(
            name: "NHS organisation migrates", facts: facts(.nhsOrganisation), decision: .eligible,
            rules: [.nhsOrganisationMigrates]),
        Case(
            name: "an organisation already live does not apply", facts: facts(.nhsOrganisation, organisation: joined),
            decision: .redirect, rules: [.organisationAlreadyJoined]),
        Case(
            name: "non-NHS with funded care is reviewed", facts: facts(.nonNHSOrganisation, funded: true),
            decision: .needsReview, rules: [.nonNHSDeliversFundedCare]),
        Case(
            name: "non-NHS without funded care is refused", facts: facts(.nonNHSOrganisation, funded: false),
            decision: .notEligible, rules: [.nonNHSNoFundedCare]),
        Case(
            name: "dentist with HQ-completed IG, regular exchange",
            facts: facts(.dentist, organisation: practiceWithIG, exchange: .regular, otherEmail: false),
            decision: .eligible, rules: [.odApplyIndividually]),
        Case(
            name: "dentist whose practice has no IG toolkit, whatever they declare",
            facts: facts(.dentist, organisation: practiceWithoutIG, exchange: .regular, otherEmail: false, ig: .itself),
            decision: .notEligible, rules: [.odIGToolkitIncomplete]),
        Case(
            name: "optometrist of an unknown practice declaring no IG toolkit",
            facts: facts(.optometrist, exchange: .regular, otherEmail: false), decision: .notEligible,
            rules: [.odIGToolkitIncomplete]),
        Case(
            name: "optometrist exchanging ad hoc may not be eligible",
            facts: facts(.optometrist, exchange: .adHoc, otherEmail: false, ig: .itself), decision: .needsReview,
            rules: [.odAdHocExchange]),
        Case(
            name: "optometrist with another public email may not be eligible",
            facts: facts(.optometrist, exchange: .regular, otherEmail: true, ig: .headquarters), decision: .needsReview,
            rules: [.odOtherPublicEmail]),
        Case(
            name: "several reasons are all given",
            facts: facts(.optometrist, organisation: practiceWithoutIG, exchange: .adHoc, otherEmail: true),
            decision: .notEligible, rules: [.odIGToolkitIncomplete, .odAdHocExchange, .odOtherPublicEmail]),
        Case(
            name: "NUMSAS pharmacy",
            facts: facts(.communityPharmacy, programme: "numsas", at: london("2016-12-01", hour: 0, minute: 1)),
            decision: .eligible, rules: [.pharmacyNUMSAS]),
        Case(
            name: "NUMSAS before it opened",
            facts: facts(.communityPharmacy, programme: "numsas", at: london("2016-11-30", hour: 23, minute: 59)),
            decision: .notEligible, rules: [.pharmacyProgrammeNotOpen]),
        Case(
            name: "QPS on 31 January 2017 counts",
            facts: facts(.communityPharmacy, programme: "qps", at: london("2017-01-31")), decision: .eligible,
            rules: [.pharmacyQPSEvidence]),
        Case(
            name: "QPS on 1 February 2017 at 23:59 London counts",
            facts: facts(.communityPharmacy, programme: "qps", at: london("2017-02-01", hour: 23, minute: 59)),
            decision: .eligible, rules: [.pharmacyQPSEvidence]),
        Case(
            name: "QPS on 2 February 2017 waits for the portal",
            facts: facts(.communityPharmacy, programme: "qps", at: london("2017-02-02", hour: 0, minute: 0)),
            decision: .redirect, rules: [.pharmacyQPSWaitForPortal]),
        Case(
            name: "pharmacy multiple goes through its super user", facts: facts(.pharmacyMultiple), decision: .redirect,
            rules: [.pharmacyMultipleSuperUser]),
        Case(
            name: "locum goes through the pharmacy", facts: facts(.locumPharmacist), decision: .redirect,
            rules: [.locumViaPharmacy]),
        Case(
            name: "GP practice goes to its commissioner's LAs", facts: facts(.gpPractice), decision: .redirect,
            rules: [.gpPracticeViaCommissioner]),
        Case(
            name: "care home asks its LA", facts: facts(.careHome), decision: .needsReview, rules: [.careHomeLAApproval]
        ),
    ]

    @Test("decides and explains", arguments: cases)
    func decides(_ example: Case) throws {
        let result = try engine.decide(example.facts).get()
        #expect(result.decision == example.decision)
        #expect(result.rules == example.rules)
        #expect(result.reasons.count == example.rules.count)
        #expect(!result.nextStep.isEmpty)
        #expect(result.parameterVersion == "2017-01")
    }

    @Test func everyRuleFiresInATableCase() {
        let fired = Set(Self.cases.flatMap(\.rules))
        #expect(fired == Set(EligibilityRule.allCases))
    }

    @Test func aRefusalAlwaysSaysWhatToDoInstead() throws {
        for example in Self.cases where example.decision == .notEligible {
            let result = try engine.decide(example.facts).get()
            #expect(result.nextStep.count > 20, "\(example.name)")
        }
    }

    @Test func missingFactsAreNamedTogether() {
        let result = engine.decide(Self.facts(.optometrist))
        #expect(
            result
                == .failure(
                    MissingFacts(fields: ["exchangesPatientInformation", "usesOtherPubliclyFundedEmail"])))
        #expect(
            engine.decide(Self.facts(.nonNHSOrganisation)) == .failure(MissingFacts(fields: ["deliversNhsFundedCare"])))
        #expect(
            engine.decide(Self.facts(.communityPharmacy, programme: "other"))
                == .failure(MissingFacts(fields: ["programme"])))
    }

    @Test func theRecordOutranksTheApplicantsWordOnIG() throws {
        let declaredButUnknown = try engine.decide(
            Self.facts(.dentist, exchange: .regular, otherEmail: false, ig: .itself)
        ).get()
        #expect(declaredButUnknown.decision == .eligible)
        let declaredButRecordSaysNo = try engine.decide(
            Self.facts(
                .dentist, organisation: Self.practiceWithoutIG, exchange: .regular, otherEmail: false, ig: .itself)
        ).get()
        #expect(declaredButRecordSaysNo.decision == .notEligible)
    }

    @Test func theQPSCutOffIsALondonDate() {
        // 23:30 UTC on 1 February 2017 is still 1 February in London (GMT in winter).
        let utc = Date(timeIntervalSince1970: 1_485_991_800)
        #expect(EligibilityEngine.londonDate(utc) == "2017-02-01")
        // 23:30 UTC on 30 June is already 1 July in London (BST).
        let summer = Date(timeIntervalSince1970: 1_498_865_400)
        #expect(EligibilityEngine.londonDate(summer) == "2017-07-01")
    }
}
