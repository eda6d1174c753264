import Foundation

/// Who someone says they are joining as: the first question of the guided start.
public enum ApplicantType: String, CaseIterable, Sendable, Codable {
    case staffOfJoinedOrganisation = "staff_of_joined_organisation"
    case juniorDoctor = "junior_doctor"
    case hospitalPharmacist = "hospital_pharmacist"
    case nhsOrganisation = "nhs_organisation"
    case nonNHSOrganisation = "non_nhs_organisation"
    case optometrist
    case dentist
    case communityPharmacy = "community_pharmacy"
    case pharmacyMultiple = "pharmacy_multiple"
    case locumPharmacist = "locum_pharmacist"
    case careHome = "care_home"
    case gpPractice = "gp_practice"
}

public enum InformationExchange: String, CaseIterable, Sendable, Codable {
    case regular
    case adHoc = "ad_hoc"
}

/// Self-declared IG toolkit completion: used only when no ODS code identifies a known organisation.
public enum IGCompletedBy: String, CaseIterable, Sendable, Codable {
    case itself = "self"
    case headquarters
}

/// What the service knows about an organisation named by its ODS code, read from its record.
public struct KnownOrganisation: Sendable, Equatable {
    public var name: String
    public var odsCode: String
    public var country: Country
    public var status: OnboardingStatus
    /// Completed by the organisation itself or by its nominated headquarters.
    public var igToolkitCompleted: Bool
    public var igCompletedByHeadquarters: Bool
    /// The helpdesk staff should contact: its own, inherited, or the administrator's.
    public var helpdeskContact: String?
    /// The Local Administrators' organisation, for routing: its ODS code and its name.
    public var administeredBy: String?
    public var administratorName: String?

    public init(
        name: String, odsCode: String, country: Country = .england, status: OnboardingStatus,
        igToolkitCompleted: Bool = false, igCompletedByHeadquarters: Bool = false, helpdeskContact: String? = nil,
        administeredBy: String? = nil, administratorName: String? = nil
    ) {
        self.name = name
        self.odsCode = odsCode
        self.country = country
        self.status = status
        self.igToolkitCompleted = igToolkitCompleted
        self.igCompletedByHeadquarters = igCompletedByHeadquarters
        self.helpdeskContact = helpdeskContact
        self.administeredBy = administeredBy
        self.administratorName = administratorName
    }

    public var isOnService: Bool { status == .live || status == .onboarding }
}

/// The applicant's facts, as typed, plus what the records say about a named organisation.
public struct ApplicantFacts: Sendable, Equatable {
    public var applicantType: ApplicantType
    public var country: Country
    public var odsCode: String?
    public var organisation: KnownOrganisation?
    public var deliversNHSFundedCare: Bool?
    public var exchangesPatientInformation: InformationExchange?
    public var usesOtherPubliclyFundedEmail: Bool?
    public var igToolkitCompletedBy: IGCompletedBy?
    public var programme: String?
    /// When the application is (or would be) submitted: the server's time, never the applicant's.
    public var submittedAt: Date

    public init(
        applicantType: ApplicantType, country: Country, odsCode: String? = nil, organisation: KnownOrganisation? = nil,
        deliversNHSFundedCare: Bool? = nil, exchangesPatientInformation: InformationExchange? = nil,
        usesOtherPubliclyFundedEmail: Bool? = nil, igToolkitCompletedBy: IGCompletedBy? = nil,
        programme: String? = nil, submittedAt: Date
    ) {
        self.applicantType = applicantType
        self.country = country
        self.odsCode = odsCode
        self.organisation = organisation
        self.deliversNHSFundedCare = deliversNHSFundedCare
        self.exchangesPatientInformation = exchangesPatientInformation
        self.usesOtherPubliclyFundedEmail = usesOtherPubliclyFundedEmail
        self.igToolkitCompletedBy = igToolkitCompletedBy
        self.programme = programme
        self.submittedAt = submittedAt
    }
}

/// A programme that enables community pharmacies in waves.
public struct ProgrammeParameters: Sendable, Equatable, Codable {
    public var code: String
    public var name: String
    public var opensOn: String
    /// The last London date on which an application counts as evidence for the first review.
    public var evidenceCutoff: String?
    public var evidenceFor: String?
    /// What later applicants wait for, and when it is expected.
    public var laterApplicantsWaitFor: String?
    /// The last London date on which it takes applications; nil while no end is set.
    public var closesOn: String?

    public init(
        code: String, name: String, opensOn: String, evidenceCutoff: String? = nil, evidenceFor: String? = nil,
        laterApplicantsWaitFor: String? = nil, closesOn: String? = nil
    ) {
        self.code = code
        self.name = name
        self.opensOn = opensOn
        self.closesOn = closesOn
        self.evidenceCutoff = evidenceCutoff
        self.evidenceFor = evidenceFor
        self.laterApplicantsWaitFor = laterApplicantsWaitFor
    }
}

/// Rule parameters: versioned data, never edited in place. Every decision names the version it used.
public struct EligibilityParameters: Sendable, Equatable, Codable {
    public var version: String
    public var nationalHelpdesk: String
    public var eligibilityContact: String
    public var scottishContact: String
    public var walesContact: String
    public var northernIrelandContact: String
    public var aupVersion: String
    public var programmes: [ProgrammeParameters]

    public init(
        version: String, nationalHelpdesk: String, eligibilityContact: String, scottishContact: String,
        walesContact: String, northernIrelandContact: String, aupVersion: String, programmes: [ProgrammeParameters]
    ) {
        self.version = version
        self.nationalHelpdesk = nationalHelpdesk
        self.eligibilityContact = eligibilityContact
        self.scottishContact = scottishContact
        self.walesContact = walesContact
        self.northernIrelandContact = northernIrelandContact
        self.aupVersion = aupVersion
        self.programmes = programmes
    }

    /// The programme as people write it: its code or its name, in any case, with spaces around ignored.
    public func programme(_ written: String) -> ProgrammeParameters? {
        let wanted = written.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return programmes.first { $0.code.lowercased() == wanted || $0.name.lowercased() == wanted }
    }

    /// Why `written` names no programme, listing those there are; nil when it names one.
    public func unknownProgrammeProblem(_ written: String) -> String? {
        guard programme(written) == nil else { return nil }
        let known = programmes.map { "\($0.name) (\($0.code))" }.joined(separator: ", ")
        return "There is no programme called \(written). The programmes are: \(known)"
    }

    /// The seeded first version, from the source page.
    public static let seed = EligibilityParameters(
        version: "2017-01",
        nationalHelpdesk: "helpdesk@nhs.net, 0333 200 1133",
        eligibilityContact: "feedback@nhs.net",
        scottishContact: "nss.nhsmail@nhs.scot",
        walesContact: "your health board's IT service desk",
        northernIrelandContact: "your Health and Social Care trust's IT service desk",
        aupVersion: "AUP-2017",
        programmes: [
            ProgrammeParameters(
                code: "numsas", name: "NHS Urgent Medicines Supply Advanced Service (NUMSAS)", opensOn: "2016-12-01"),
            ProgrammeParameters(
                code: "qps", name: "Quality Payments Scheme", opensOn: "2016-12-01", evidenceCutoff: "2017-02-01",
                evidenceFor: "the first Quality Payments Scheme review at the end of April 2017",
                laterApplicantsWaitFor: "the pharmacy registration portal, expected to open in July 2017"),
        ])
}

/// not yet open → open → closed, by London date.
public enum ProgrammeState: String, Sendable, Codable, CaseIterable {
    case notYetOpen = "not_yet_open"
    case open
    case closed

    public static func of(_ programme: ProgrammeParameters, on day: String) -> ProgrammeState {
        if day < programme.opensOn { return .notYetOpen }
        if let closes = programme.closesOn, day > closes { return .closed }
        return .open
    }

    public var displayName: String {
        switch self {
        case .notYetOpen: "Not yet open"
        case .open: "Open"
        case .closed: "Closed"
        }
    }
}
