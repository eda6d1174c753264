import Testing

@testable import OnboardDomain

@Suite("Organisation rules")
struct OrganisationRulesTests {
    let regions: Set<String> = ["north_east_and_yorkshire", "north_west", "london"]

    @Test("Every problem with a draft is reported at once")
    func collectsAllErrors() throws {
        let draft = OrganisationDraft(
            odsCode: "R!", name: "   ", type: nil, country: nil, region: "mars", postcode: "not a postcode",
            parentODS: "P?", administeredByODS: "A#")
        guard case .failure(let errors) = OrganisationRules.validate(draft, knownRegions: regions) else {
            Issue.record("an invalid draft was accepted")
            return
        }
        let fields = Set(errors.errors.map(\.field))
        #expect(
            fields == ["name", "odsCode", "type", "country", "region", "postcode", "parentOds", "administeredByOds"])
    }

    @Test("ODS codes and postcodes are normalised")
    func normalisation() throws {
        let draft = OrganisationDraft(
            odsCode: " rr 8 ", name: "  Leeds   Teaching  Hospitals ", type: .nhsTrust, region: " North_West ",
            postcode: "ls97tf", parentODS: "x26", administeredByODS: " qwo")
        let clean = try OrganisationRules.validate(draft, knownRegions: regions).get()
        #expect(clean.odsCode == "RR8")
        #expect(clean.name == "Leeds Teaching Hospitals")
        #expect(clean.postcode == "LS9 7TF")
        #expect(clean.region == "north_west")
        #expect(clean.parentODS == "X26")
        #expect(clean.administeredByODS == "QWO")
    }

    @Test("Only organisations in England have an NHS England region")
    func regionOnlyForEngland() {
        let scottish = OrganisationDraft(
            odsCode: "S08", name: "NHS Lothian", type: .nhsTrust, country: .scotland, region: "north_west")
        guard case .failure(let errors) = OrganisationRules.validate(scottish, knownRegions: regions) else {
            Issue.record("a Scottish organisation was given an English region")
            return
        }
        #expect(errors.errors.map(\.field) == ["region"])
        #expect(errors.message(for: "region")?.contains("England") == true)

        let noRegion = OrganisationDraft(odsCode: "S08", name: "NHS Lothian", type: .nhsTrust, country: .scotland)
        #expect((try? OrganisationRules.validate(noRegion, knownRegions: regions).get()) != nil)
    }

    @Test("An organisation cannot be its own parent or administrator")
    func notItsOwnParent() {
        let draft = OrganisationDraft(
            odsCode: "RR8", name: "Leeds", type: .nhsTrust, parentODS: "rr8", administeredByODS: "RR8")
        guard case .failure(let errors) = OrganisationRules.validate(draft, knownRegions: regions) else {
            Issue.record("an organisation was allowed to be its own parent")
            return
        }
        #expect(Set(errors.errors.map(\.field)) == ["parentOds", "administeredByOds"])
    }

    @Test("The field prefix is applied to every field name")
    func fieldPrefix() {
        guard
            case .failure(let errors) = OrganisationRules.validate(
                OrganisationDraft(), knownRegions: regions, fieldPrefix: "row.")
        else {
            Issue.record("an empty draft was accepted")
            return
        }
        #expect(errors.errors.allSatisfy { $0.field.hasPrefix("row.") })
    }

    @Test("ODS code shape: 3 to 10 letters and numbers")
    func odsShape() {
        #expect(OrganisationRules.isValidODS("RR8"))
        #expect(OrganisationRules.isValidODS("B86001"))
        #expect(!OrganisationRules.isValidODS("R8"))
        #expect(!OrganisationRules.isValidODS("ABCDEFGHIJK"))
        #expect(!OrganisationRules.isValidODS("RR-8"))
        #expect(OrganisationRules.normaliseODS("   ") == nil)
    }

    @Test("Postcode shape")
    func postcodeShape() {
        #expect(OrganisationRules.isValidPostcode("LS1 4AP"))
        #expect(OrganisationRules.isValidPostcode("SW1A 2AA"))
        #expect(!OrganisationRules.isValidPostcode("LS14AP"))
        #expect(OrganisationRules.normalisePostcode(" sw1a2aa ") == "SW1A 2AA")
    }
}

@Suite("Onboarding status")
struct OnboardingStatusTests {
    @Test("The forward path: not joined → applying → onboarding → live")
    func forwardPath() {
        #expect(OnboardingStatus.notJoined.canMove(to: .applying))
        #expect(OnboardingStatus.applying.canMove(to: .onboarding))
        #expect(OnboardingStatus.onboarding.canMove(to: .live))
    }

    @Test("Steps cannot be skipped and live does not go back")
    func noSkipping() {
        #expect(!OnboardingStatus.notJoined.canMove(to: .onboarding))
        #expect(!OnboardingStatus.notJoined.canMove(to: .live))
        #expect(!OnboardingStatus.applying.canMove(to: .live))
        #expect(!OnboardingStatus.live.canMove(to: .applying))
        #expect(!OnboardingStatus.live.canMove(to: .notJoined))
    }

    @Test("Withdrawal and restart are allowed")
    func withdrawAndRestart() {
        #expect(OnboardingStatus.applying.canMove(to: .notJoined))
        #expect(OnboardingStatus.onboarding.canMove(to: .applying))
    }

    @Test("Any open status can close; closed is final", arguments: OnboardingStatus.allCases)
    func closing(status: OnboardingStatus) {
        if status == .closed {
            #expect(OnboardingStatus.allCases.allSatisfy { !status.canMove(to: $0) })
        } else {
            #expect(status.canMove(to: .closed))
        }
    }
}
