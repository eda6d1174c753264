import Foundation

public enum OrganisationType: String, CaseIterable, Sendable, Codable {
    case nhsTrust = "nhs_trust"
    case trustSite = "trust_site"
    case commissioner
    case gpPractice = "gp_practice"
    case communityPharmacy = "community_pharmacy"
    case pharmacyHeadOffice = "pharmacy_head_office"
    case optometrist
    case dentalPractice = "dental_practice"
    case careHome = "care_home"
    case nonNHS = "non_nhs"
    case nationalBody = "national_body"

    public var displayName: String {
        switch self {
        case .nhsTrust: "NHS trust"
        case .trustSite: "Trust site"
        case .commissioner: "Commissioning organisation"
        case .gpPractice: "GP practice"
        case .communityPharmacy: "Community pharmacy"
        case .pharmacyHeadOffice: "Pharmacy head office"
        case .optometrist: "Optometrist"
        case .dentalPractice: "Dental practice"
        case .careHome: "Care home"
        case .nonNHS: "Non-NHS organisation"
        case .nationalBody: "National body"
        }
    }

    public var isPharmacy: Bool { self == .communityPharmacy || self == .pharmacyHeadOffice }
}

public enum Country: String, CaseIterable, Sendable, Codable {
    case england, scotland, wales
    case northernIreland = "northern_ireland"

    public var displayName: String {
        switch self {
        case .england: "England"
        case .scotland: "Scotland"
        case .wales: "Wales"
        case .northernIreland: "Northern Ireland"
        }
    }
}

/// not joined → applying → onboarding → live, or closed from anywhere.
public enum OnboardingStatus: String, CaseIterable, Sendable, Codable {
    case notJoined = "not_joined"
    case applying, onboarding, live, closed

    public var displayName: String {
        switch self {
        case .notJoined: "Not joined"
        case .applying: "Applying"
        case .onboarding: "Onboarding"
        case .live: "Live"
        case .closed: "Closed"
        }
    }

    public func canMove(to next: OnboardingStatus) -> Bool {
        switch (self, next) {
        case (.closed, _): false
        case (_, .closed): true
        case (.notJoined, .applying), (.applying, .onboarding), (.onboarding, .live): true
        // An application can be withdrawn or refused, and a stalled onboarding restarted.
        case (.applying, .notJoined), (.onboarding, .applying): true
        default: false
        }
    }
}

public enum IGToolkitStatus: String, CaseIterable, Sendable, Codable {
    case notStarted = "not_started"
    case completed

    public var displayName: String {
        switch self {
        case .notStarted: "Not completed"
        case .completed: "Completed"
        }
    }
}

/// The fields a person or a CSV row gives for an organisation, before anything is saved.
public struct OrganisationDraft: Equatable, Sendable {
    public var odsCode: String?
    public var name: String
    public var type: OrganisationType?
    public var country: Country?
    public var region: String?
    public var postcode: String?
    public var parentODS: String?
    public var administeredByODS: String?
    public var status: OnboardingStatus?

    public init(
        odsCode: String? = nil, name: String = "", type: OrganisationType? = nil, country: Country? = .england,
        region: String? = nil, postcode: String? = nil, parentODS: String? = nil, administeredByODS: String? = nil,
        status: OnboardingStatus? = nil
    ) {
        self.odsCode = odsCode
        self.name = name
        self.type = type
        self.country = country
        self.region = region
        self.postcode = postcode
        self.parentODS = parentODS
        self.administeredByODS = administeredByODS
        self.status = status
    }
}

public enum OrganisationRules {
    /// ODS codes are 3 to 10 letters and digits; people type them in lower case and with spaces.
    public static func normaliseODS(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let code = raw.filter { !$0.isWhitespace }.uppercased()
        return code.isEmpty ? nil : code
    }

    public static func isValidODS(_ code: String) -> Bool {
        (3...10).contains(code.count) && code.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// A UK postcode, loosely: outward code, space, inward code. Returned upper-cased with one space.
    public static func normalisePostcode(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let compact = raw.filter { !$0.isWhitespace }.uppercased()
        guard !compact.isEmpty else { return nil }
        guard compact.count >= 5 else { return compact }
        return compact.dropLast(3) + " " + compact.suffix(3)
    }

    public static func isValidPostcode(_ code: String) -> Bool {
        let pattern = /^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$/
        return code.wholeMatch(of: pattern) != nil
    }

    /// Tidies a draft and collects every problem with it. `knownRegions` are the region codes on record.
    public static func validate(
        _ input: OrganisationDraft,
        knownRegions: Set<String>,
        fieldPrefix: String = ""
    ) -> Result<OrganisationDraft, ValidationErrors> {
        var draft = input
        var errors = ValidationErrors()
        func field(_ name: String) -> String { fieldPrefix + name }

        draft.name = draft.name.tidied
        draft.odsCode = normaliseODS(draft.odsCode)
        draft.parentODS = normaliseODS(draft.parentODS)
        draft.administeredByODS = normaliseODS(draft.administeredByODS)
        draft.postcode = normalisePostcode(draft.postcode)
        draft.region = draft.region?.tidied.lowercased()
        if draft.region?.isEmpty == true { draft.region = nil }

        if draft.name.isEmpty {
            errors.add(field("name"), "Enter the organisation's name")
        } else if draft.name.count > 200 {
            errors.add(field("name"), "Organisation name must be 200 characters or fewer")
        }
        if let ods = draft.odsCode, !isValidODS(ods) {
            errors.add(field("odsCode"), "ODS code must be 3 to 10 letters and numbers, like RR8 or FA123")
        }
        if draft.type == nil { errors.add(field("type"), "Select the type of organisation") }
        if draft.country == nil { errors.add(field("country"), "Select the country") }
        if let region = draft.region {
            if !knownRegions.contains(region) {
                errors.add(field("region"), "Region must be one of the NHS England regions")
            } else if draft.country != .england {
                errors.add(field("region"), "Only organisations in England have an NHS England region")
            }
        }
        if let postcode = draft.postcode, !isValidPostcode(postcode) {
            errors.add(field("postcode"), "Enter a real postcode, like LS1 4AP")
        }
        if let parent = draft.parentODS {
            if !isValidODS(parent) {
                errors.add(field("parentOds"), "Parent ODS code must be 3 to 10 letters and numbers")
            } else if parent == draft.odsCode {
                errors.add(field("parentOds"), "An organisation cannot be its own parent")
            }
        }
        if let admin = draft.administeredByODS {
            if !isValidODS(admin) {
                errors.add(
                    field("administeredByOds"),
                    "Administering organisation's ODS code must be 3 to 10 letters and numbers")
            } else if admin == draft.odsCode {
                errors.add(field("administeredByOds"), "An organisation cannot administer itself")
            }
        }
        return errors.isEmpty ? .success(draft) : .failure(errors)
    }
}
