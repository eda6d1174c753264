import Foundation

/// The guided start, "Who are you joining as?": which question comes next for the answers so far, one
/// question per page, until the engine has every fact it needs.
public enum GuidedStart {
    public struct Option: Sendable, Equatable {
        public let value: String
        public let label: String
        public let hint: String?

        init(_ value: String, _ label: String, hint: String? = nil) {
            self.value = value
            self.label = label
            self.hint = hint
        }
    }

    public enum Question: String, CaseIterable, Sendable {
        case applicantType
        case country
        case odsCode
        case deliversNhsFundedCare
        case exchangesPatientInformation
        case usesOtherPubliclyFundedEmail
        case igToolkitCompletedBy
        case programme

        public var title: String {
            switch self {
            case .applicantType: "Who are you joining as?"
            case .country: "Where are you based?"
            case .odsCode: "What is the organisation's ODS code?"
            case .deliversNhsFundedCare: "Does your organisation deliver NHS-funded care?"
            case .exchangesPatientInformation: "How often do you exchange patient or sensitive information?"
            case .usesOtherPubliclyFundedEmail: "Do you already use another publicly funded email service?"
            case .igToolkitCompletedBy: "Who completed the Information Governance toolkit?"
            case .programme: "Which programme is your pharmacy joining?"
            }
        }

        public var hint: String? {
            switch self {
            case .odsCode:
                "The code NHS Digital gives an organisation, like RR8 or V0002. Leave it empty if you do not know it."
            case .igToolkitCompletedBy:
                "Only one person per practice, or one nominated headquarters for a group, needs to."
            case .exchangesPatientInformation: "For example, with GPs, hospitals or other health and care services."
            default: nil
            }
        }

        /// Empty for a free-text question.
        public var options: [Option] {
            switch self {
            case .applicantType:
                [
                    Option(
                        ApplicantType.staffOfJoinedOrganisation.rawValue,
                        "Staff of an organisation that already uses the service"),
                    Option(ApplicantType.gpPractice.rawValue, "A GP practice, or staff at one"),
                    Option(ApplicantType.hospitalPharmacist.rawValue, "A hospital pharmacist"),
                    Option(ApplicantType.juniorDoctor.rawValue, "A junior doctor"),
                    Option(ApplicantType.nhsOrganisation.rawValue, "An NHS organisation"),
                    Option(
                        ApplicantType.nonNHSOrganisation.rawValue, "A non-NHS organisation",
                        hint: "For example, a charity or independent provider"),
                    Option(ApplicantType.optometrist.rawValue, "An optometrist, or staff at an optometry practice"),
                    Option(ApplicantType.dentist.rawValue, "A dentist, or staff at a dental practice"),
                    Option(ApplicantType.communityPharmacy.rawValue, "A community pharmacy"),
                    Option(
                        ApplicantType.pharmacyMultiple.rawValue, "A pharmacy multiple (a chain of pharmacies)"),
                    Option(ApplicantType.locumPharmacist.rawValue, "A locum pharmacist"),
                    Option(ApplicantType.careHome.rawValue, "A care home"),
                ]
            case .country: Country.allCases.map { Option($0.rawValue, $0.displayName) }
            case .deliversNhsFundedCare, .usesOtherPubliclyFundedEmail: [Option("yes", "Yes"), Option("no", "No")]
            case .exchangesPatientInformation:
                [
                    Option(InformationExchange.regular.rawValue, "Regularly"),
                    Option(InformationExchange.adHoc.rawValue, "Only now and then (ad hoc)"),
                ]
            case .igToolkitCompletedBy:
                [
                    Option(IGCompletedBy.itself.rawValue, "My practice completed it"),
                    Option(IGCompletedBy.headquarters.rawValue, "Our group's nominated headquarters completed it"),
                    Option("none", "It has not been completed"),
                ]
            case .programme:
                [
                    Option("numsas", "NHS Urgent Medicines Supply Advanced Service (NUMSAS)"),
                    Option("qps", "Quality Payments Scheme"),
                ]
            case .odsCode: []
            }
        }

        /// The error when no valid answer is given.
        public var requiredMessage: String {
            switch self {
            case .applicantType: "Select who you are joining as"
            case .country: "Select where you are based"
            case .odsCode: "ODS code must be 3 to 10 letters and numbers, like RR8 or V0002"
            case .deliversNhsFundedCare: "Select yes if your organisation delivers NHS-funded care"
            case .exchangesPatientInformation: "Select how often you exchange patient or sensitive information"
            case .usesOtherPubliclyFundedEmail: "Select yes if you already use another publicly funded email service"
            case .igToolkitCompletedBy: "Select who completed the Information Governance toolkit"
            case .programme: "Select the programme your pharmacy is joining"
            }
        }

        func accepts(_ value: String) -> Bool {
            if self == .odsCode {
                return value.isEmpty || OrganisationRules.isValidODS(OrganisationRules.normaliseODS(value) ?? "")
            }
            return options.contains { $0.value == value }
        }
    }

    /// Questions each applicant type is asked after who and where, in order.
    static func questions(for type: ApplicantType, knownOrganisation: Bool) -> [Question] {
        switch type {
        case .staffOfJoinedOrganisation, .nhsOrganisation, .careHome, .gpPractice: [.odsCode]
        case .nonNHSOrganisation: [.odsCode, .deliversNhsFundedCare]
        case .optometrist, .dentist:
            [.odsCode, .exchangesPatientInformation, .usesOtherPubliclyFundedEmail]
                + (knownOrganisation ? [] : [.igToolkitCompletedBy])
        case .communityPharmacy: [.programme]
        case .hospitalPharmacist, .juniorDoctor, .pharmacyMultiple, .locumPharmacist: []
        }
    }

    public enum Step: Equatable, Sendable {
        /// Ask this question; `error` when an answer was given but is not valid.
        case ask(Question, error: String?)
        /// Every fact is in.
        case decide(ApplicantFacts)
    }

    /// The answers in the order they were asked, for "check your answers" and back links.
    public static func asked(_ answers: [String: String], knownOrganisation: Bool) -> [Question] {
        var list: [Question] = []
        guard answers[Question.applicantType.rawValue] != nil else { return list }
        list.append(.applicantType)
        guard answers[Question.country.rawValue] != nil else { return list }
        list.append(.country)
        guard let type = answers[Question.applicantType.rawValue].flatMap(ApplicantType.init(rawValue:)),
            answers[Question.country.rawValue] == Country.england.rawValue
        else { return list }
        for question in questions(for: type, knownOrganisation: knownOrganisation) {
            guard answers[question.rawValue] != nil else { break }
            list.append(question)
        }
        return list
    }

    /// The next step for the answers so far. `knownOrganisation` says whether the ODS code given names an
    /// organisation on record (the caller looks it up).
    public static func next(_ answers: [String: String], knownOrganisation: KnownOrganisation?, now: Date) -> Step {
        func answer(_ question: Question) -> (value: String?, error: String?) {
            guard let raw = answers[question.rawValue] else { return (nil, nil) }
            let value = raw.trimmingCharacters(in: .whitespaces)
            return question.accepts(value) ? (value, nil) : (nil, question.requiredMessage)
        }
        let type = answer(.applicantType)
        guard let typeValue = type.value, let applicantType = ApplicantType(rawValue: typeValue) else {
            return .ask(
                .applicantType,
                error: answers[Question.applicantType.rawValue] == nil ? nil : Question.applicantType.requiredMessage)
        }
        let location = answer(.country)
        guard let countryValue = location.value, let country = Country(rawValue: countryValue) else {
            return .ask(
                .country, error: answers[Question.country.rawValue] == nil ? nil : Question.country.requiredMessage)
        }
        var facts = ApplicantFacts(applicantType: applicantType, country: country, submittedAt: now)
        guard country == .england else { return .decide(facts) }
        for question in questions(for: applicantType, knownOrganisation: knownOrganisation != nil) {
            let given = answer(question)
            guard let value = given.value else {
                return .ask(question, error: answers[question.rawValue] == nil ? nil : question.requiredMessage)
            }
            switch question {
            case .odsCode:
                facts.odsCode = OrganisationRules.normaliseODS(value)
                facts.organisation = knownOrganisation
            case .deliversNhsFundedCare: facts.deliversNHSFundedCare = value == "yes"
            case .exchangesPatientInformation: facts.exchangesPatientInformation = InformationExchange(rawValue: value)
            case .usesOtherPubliclyFundedEmail: facts.usesOtherPubliclyFundedEmail = value == "yes"
            case .igToolkitCompletedBy: facts.igToolkitCompletedBy = IGCompletedBy(rawValue: value)
            case .programme: facts.programme = value
            case .applicantType, .country: break
            }
        }
        return .decide(facts)
    }
}
