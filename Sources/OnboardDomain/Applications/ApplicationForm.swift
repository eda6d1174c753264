import Foundation

/// One question of an application form. Forms are data so the pages, the API and the CSV import share one
/// set of questions and one validation.
public struct FormField: Sendable, Equatable {
    public enum Input: Sendable, Equatable {
        case text
        case ods
        case postcode
        case tel
        case email
        case number(ClosedRange<Int>)
        case textarea
        case choice([FormOption])
        /// The NHS England regions on record; the app supplies them.
        case region
        /// A declaration that must be ticked.
        case confirm
        /// A commissioner on record, by its ODS code: chosen by name from a list the app supplies, or typed
        /// through the API.
        case commissioner
    }

    public let name: String
    public let label: String
    public let hint: String?
    public let input: Input
    public let required: Bool
    /// Checks and normalises a non-empty answer; returns the stored form or the message to show.
    let check: (@Sendable (String) -> Result<String, AnswerProblem>)?

    public init(
        _ name: String, _ label: String, hint: String? = nil, input: Input = .text, required: Bool = true,
        check: (@Sendable (String) -> Result<String, AnswerProblem>)? = nil
    ) {
        self.name = name
        self.label = label
        self.hint = hint
        self.input = input
        self.required = required
        self.check = check
    }

    public static func == (lhs: FormField, rhs: FormField) -> Bool {
        lhs.name == rhs.name && lhs.label == rhs.label && lhs.input == rhs.input && lhs.required == rhs.required
    }

    public var maxLength: Int {
        switch input {
        case .textarea: 2000
        case .email: 254
        default: 200
        }
    }
}

/// Why an answer was refused, in words for the person who typed it.
public struct AnswerProblem: Error, Sendable, Equatable, ExpressibleByStringInterpolation {
    public let message: String

    public init(_ message: String) { self.message = message }
    public init(stringLiteral value: String) { message = value }
}

public struct FormOption: Sendable, Equatable {
    public let value: String
    public let label: String

    public init(_ value: String, _ label: String) {
        self.value = value
        self.label = label
    }
}

/// A page of the form: one question, or a few that belong together (an address, a name and role).
public struct FormStep: Sendable, Equatable {
    public let id: String
    public let title: String
    public let hint: String?
    public let fields: [FormField]

    public init(_ id: String, _ title: String, hint: String? = nil, fields: [FormField]) {
        self.id = id
        self.title = title
        self.hint = hint
        self.fields = fields
    }
}

public enum ApplicationForm {
    static let yesNo: [FormOption] = [FormOption("yes", "Yes"), FormOption("no", "No")]

    static func mobile(_ raw: String) -> Result<String, AnswerProblem> {
        Identifiers.normaliseUKMobile(raw).map { .success($0) }
            ?? .failure("Enter a UK mobile number, like 07700 900123")
    }

    static func ods(_ raw: String) -> Result<String, AnswerProblem> {
        guard let code = OrganisationRules.normaliseODS(raw), OrganisationRules.isValidODS(code) else {
            return .failure("Enter an ODS code of 3 to 10 letters and numbers, like V81999")
        }
        return .success(code)
    }

    static func postcode(_ raw: String) -> Result<String, AnswerProblem> {
        guard let code = OrganisationRules.normalisePostcode(raw), OrganisationRules.isValidPostcode(code) else {
            return .failure("Enter a real postcode, like LS1 4AP")
        }
        return .success(code)
    }

    static func email(_ raw: String) -> Result<String, AnswerProblem> {
        let value = Identifiers.normaliseEmail(raw)
        return Identifiers.isValidEmail(value)
            ? .success(value) : .failure("Enter an email address in the correct format, like name@example.org")
    }

    static func address(prefix: String, what: String) -> [FormField] {
        [
            FormField("\(prefix)Name", "Name of the \(what)"),
            FormField("postcode", "Postcode", input: .postcode),
            FormField("region", "NHS England region", input: .region),
        ]
    }

    /// The pages of the form for `kind`, in order. The applicant's name and email come first, verified by code.
    public static func steps(for kind: ApplicationKind, aupVersion: String, programmes: [FormOption]) -> [FormStep] {
        let contact = FormStep(
            "contact", "Your details",
            fields: [
                FormField("applicantName", "Full name"),
                FormField("applicantRole", "Job title", hint: "For example, practice manager or optometrist"),
                FormField("mobile", "UK mobile number", hint: "We use this to set up your account", input: .tel),
            ])
        let aup = FormStep(
            "aup", "Accept the Acceptable Use Policy",
            hint: "A named signatory accepts the policy on behalf of the organisation.",
            fields: [
                FormField("signatoryName", "Full name of the signatory"),
                FormField("signatoryRole", "Signatory's job title"),
                FormField(
                    "aupAccepted", "I accept the Acceptable Use Policy, version \(aupVersion), for the organisation",
                    input: .confirm),
            ])
        switch kind {
        case .nhsOrganisation, .nonNHSOrganisation:
            let organisation = FormStep(
                "organisation", "About the organisation",
                fields: [
                    FormField("odsCode", "ODS code", hint: "Leave blank if it has none", input: .ods, required: false)
                ]
                    + address(prefix: "organisation", what: "organisation"))
            return [
                contact, organisation,
                FormStep(
                    "care", "The NHS-funded care you deliver",
                    fields: [
                        FormField(
                            "fundedCareEvidence", "Describe the NHS-funded care the organisation delivers",
                            hint: "Include contract or reference numbers where you have them", input: .textarea),
                        FormField("commissioner", "Which organisation commissions this care?"),
                    ]),
                FormStep(
                    "accounts", "Accounts and local administration",
                    fields: [
                        FormField(
                            "expectedAccounts", "How many accounts do you expect to need?", input: .number(1...100_000)),
                        FormField("localManagement", "How will you manage accounts locally?", input: .textarea),
                        FormField("firstLAName", "Full name of your first Local Administrator"),
                        FormField("firstLAEmail", "Their work email address", input: .email),
                    ]),
                aup,
            ]
        case .optometrist, .dentist:
            let register = kind == .optometrist ? "GOC" : "GDC"
            let example = kind == .optometrist ? "01-12345" : "123456"
            return [
                contact,
                FormStep(
                    "practice", "Your practice",
                    fields: [FormField("odsCode", "Practice ODS code", input: .ods)]
                        + address(prefix: "practice", what: "practice")),
                FormStep(
                    "registration", "Your \(register) registration",
                    fields: [
                        FormField(
                            "registrationNumber", "\(register) number",
                            hint:
                                "For example, \(example). Leave blank if you are practice staff without registration.",
                            required: false,
                            check: { raw in
                                let normal =
                                    kind == .optometrist ? Identifiers.normaliseGOC(raw) : Identifiers.normaliseGDC(raw)
                                return normal.map { .success($0) }
                                    ?? .failure("Enter a \(register) number in the correct format, like \(example)")
                            })
                    ]),
                FormStep(
                    "exchange", "How often does the practice exchange patient information with the NHS?",
                    fields: [
                        FormField(
                            "exchangesPatientInformation", "How often",
                            input: .choice([
                                FormOption("regular", "Regularly, as part of the care we provide"),
                                FormOption("ad_hoc", "Only now and then (ad hoc)"),
                            ]))
                    ]),
                FormStep(
                    "otherEmail", "Does the practice already use another publicly funded secure email service?",
                    fields: [FormField("usesOtherPubliclyFundedEmail", "Another service", input: .choice(yesNo))]),
                FormStep(
                    "sharedMailbox", "Do you also want a shared mailbox for the practice?",
                    fields: [FormField("wantsSharedMailbox", "Shared mailbox", input: .choice(yesNo))]),
            ]
        case .communityPharmacy:
            return [
                contact,
                FormStep(
                    "premises", "The pharmacy premises",
                    fields: [FormField("odsCode", "Premises ODS code", hint: "For example, FA123", input: .ods)]
                        + address(prefix: "premises", what: "pharmacy")),
                FormStep(
                    "gphc", "GPhC premises registration",
                    fields: [
                        FormField(
                            "gphcPremisesNumber", "GPhC premises number", hint: "Seven digits, for example 1012345",
                            check: { raw in
                                Identifiers.normaliseGPhCPremises(raw).map { .success($0) }
                                    ?? .failure("Enter the GPhC premises number as seven digits, like 1012345")
                            })
                    ]),
                FormStep(
                    "igTerms", "Does the pharmacy meet the information governance terms of service?",
                    hint: "The IG toolkit requirement in the pharmacy's terms of service.",
                    fields: [FormField("meetsIGTerms", "IG terms of service", input: .choice(yesNo))]),
                FormStep(
                    "programme", "Which programme are you joining through?",
                    fields: [FormField("programme", "Programme", input: .choice(programmes))]),
                FormStep(
                    "staff", "Staff who need accounts",
                    hint: "One person per line: their full name, a comma, then their UK mobile number.",
                    fields: [
                        FormField(
                            "staff", "Staff and mobile numbers", hint: "For example: Amir Khan, 07700 900123",
                            input: .textarea, check: staffList)
                    ]),
            ]
        case .pharmacyMultiple:
            return [
                contact,
                FormStep(
                    "headOffice", "Your head office",
                    fields: [FormField("odsCode", "Head office ODS code", hint: "For example, FHQ01", input: .ods)]
                        + address(prefix: "organisation", what: "pharmacy group")),
                FormStep(
                    "stores", "How many stores will provide the service?",
                    fields: [FormField("storeCount", "Number of stores", input: .number(2...5000))]),
                FormStep(
                    "intent", "Confirm your intent",
                    hint: "The national team then invites you, as lead contact, to be the super user. You send one "
                        + "registration spreadsheet for every store and user, with the data sharing agreement.",
                    fields: [
                        FormField(
                            "intentConfirmed",
                            "We intend to provide the service in our stores, and I will act as our super user",
                            input: .confirm)
                    ]),
            ]
        case .careHome:
            return [
                contact,
                FormStep(
                    "home", "The care home",
                    fields: [
                        FormField(
                            "cqcLocationID", "CQC location ID", hint: "For example, 1-123456789",
                            check: { raw in
                                Identifiers.normaliseCQCLocation(raw).map { .success($0) }
                                    ?? .failure("Enter the CQC location ID in the correct format, like 1-123456789")
                            }),
                        FormField(
                            "odsCode", "ODS code", hint: "Leave blank if the home has none", input: .ods,
                            required: false),
                    ] + address(prefix: "home", what: "care home")),
                FormStep(
                    "manager", "The registered manager", fields: [FormField("managerName", "Manager's full name")]),
                FormStep(
                    "commissioner", "Which local authority or commissioner covers the home?",
                    fields: [
                        FormField(
                            "commissionerODS", "Local authority or commissioner",
                            hint: "Its Local Administrators decide care-home requests for the area",
                            input: .commissioner)
                    ]),
                FormStep(
                    "ig", "Has the home completed the Data Security and Protection Toolkit?",
                    fields: [
                        FormField(
                            "igStatus", "Toolkit status",
                            input: .choice([
                                FormOption("completed", "Yes, completed"),
                                FormOption("in_progress", "In progress"),
                                FormOption("not_started", "Not started"),
                            ]))
                    ]),
                FormStep(
                    "accounts", "How many accounts does the home need?",
                    fields: [FormField("accountsWanted", "Number of accounts", input: .number(1...500))]),
            ]
        }
    }

    /// "Name, mobile" per line; normalised to one "Name, +447…" per line.
    static func staffList(_ raw: String) -> Result<String, AnswerProblem> {
        let lines = raw.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard lines.count <= 200 else { return .failure("List at most 200 staff; send the rest after joining") }
        var out: [String] = []
        for (index, line) in lines.enumerated() {
            guard let comma = line.lastIndex(of: ",") else {
                return .failure("Line \(index + 1): put a comma between the name and the mobile number")
            }
            let name = String(line[..<comma]).tidied
            guard !name.isEmpty else { return .failure("Line \(index + 1): enter the person's name") }
            guard let number = Identifiers.normaliseUKMobile(String(line[line.index(after: comma)...])) else {
                return .failure("Line \(index + 1): enter a UK mobile number, like 07700 900123")
            }
            out.append("\(name), \(number)")
        }
        return out.isEmpty ? .failure("Enter at least one member of staff") : .success(out.joined(separator: "\n"))
    }

    /// Checks one page's answers. Returns the tidied answers, or every problem on the page.
    public static func validate(_ step: FormStep, answers: [String: String], regions: Set<String>)
        -> Result<[String: String], ValidationErrors>
    {
        var errors = ValidationErrors()
        var clean: [String: String] = [:]
        for field in step.fields {
            let raw = (answers[field.name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if raw.isEmpty {
                if field.required {
                    errors.add(field.name, emptyMessage(field))
                } else {
                    clean[field.name] = ""
                }
                continue
            }
            if raw.count > field.maxLength {
                errors.add(field.name, "\(field.label) must be \(field.maxLength) characters or fewer")
                continue
            }
            let checked: Result<String, AnswerProblem>
            switch field.input {
            case .text, .textarea: checked = .success(field.input == .text ? raw.tidied : raw)
            case .ods, .commissioner: checked = ods(raw)
            case .postcode: checked = postcode(raw)
            case .tel: checked = mobile(raw)
            case .email: checked = email(raw)
            case .number(let range):
                if let n = Int(raw), range.contains(n) {
                    checked = .success(String(n))
                } else {
                    checked = .failure(
                        "\(field.label) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
            case .choice(let options):
                checked =
                    options.contains { $0.value == raw } ? .success(raw) : .failure(AnswerProblem(emptyMessage(field)))
            case .region:
                checked = regions.contains(raw) ? .success(raw) : .failure(AnswerProblem(emptyMessage(field)))
            case .confirm:
                checked = raw == "yes" ? .success("yes") : .failure(AnswerProblem(emptyMessage(field)))
            }
            switch checked.flatMap({ value in field.check.map { $0(value) } ?? .success(value) }) {
            case .success(let value): clean[field.name] = value
            case .failure(let problem): errors.add(field.name, problem.message)
            }
        }
        return errors.isEmpty ? .success(clean) : .failure(errors)
    }

    /// What the guided start already knows, as answers this form accepts, so nobody is asked twice: only
    /// the guided start's own questions are carried, each checked as its field would check it; anything this
    /// form does not ask, or would refuse, is dropped. A page whose every answer is carried is not shown, and
    /// its answers appear on check your answers with a change link.
    public static func carried(_ given: [String: String], into steps: [FormStep], regions: Set<String>)
        -> [String: String]
    {
        let askedByGuidedStart = Set(GuidedStart.Question.allCases.map(\.rawValue))
            .subtracting([GuidedStart.Question.applicantType.rawValue, GuidedStart.Question.country.rawValue])
        var carried: [String: String] = [:]
        for step in steps {
            for field in step.fields where askedByGuidedStart.contains(field.name) {
                guard let value = given[field.name], !value.isEmpty else { continue }
                let single = FormStep(step.id, step.title, fields: [field])
                if case .success(let clean) = validate(single, answers: [field.name: value], regions: regions),
                    let kept = clean[field.name], !kept.isEmpty
                {
                    carried[field.name] = kept
                }
            }
        }
        return carried
    }

    /// Checks a whole application at once, for submission, the API and imports.
    public static func validateAll(_ steps: [FormStep], answers: [String: String], regions: Set<String>)
        -> Result<[String: String], ValidationErrors>
    {
        var errors = ValidationErrors()
        var clean: [String: String] = [:]
        for step in steps {
            switch validate(step, answers: answers, regions: regions) {
            case .success(let values): clean.merge(values) { _, new in new }
            case .failure(let found): for error in found.errors { errors.add(error.field, error.message) }
            }
        }
        return errors.isEmpty ? .success(clean) : .failure(errors)
    }

    static func emptyMessage(_ field: FormField) -> String {
        let label = midSentence(field.label)
        switch field.input {
        case .choice, .region:
            return "Select \(label.hasPrefix("how") ? "an answer" : label)"
        case .commissioner:
            return "Select the local authority or commissioner"
        case .confirm:
            return field.name == "intentConfirmed"
                ? "Tick the box to confirm your organisation's intent"
                : "Tick the box to accept the Acceptable Use Policy"
        default: return "Enter \(label)"
        }
    }

    /// A label as it reads inside a sentence: its first word in lower case, unless that word is an acronym
    /// or a name (UK, IG, GPhC, ODS, CQC), which keep their capitals.
    static func midSentence(_ label: String) -> String {
        let first = label.prefix { $0 != " " }
        let isAcronym = first.dropFirst().contains { $0.isUppercase }
        return isAcronym ? label : label.prefix(1).lowercased() + label.dropFirst()
    }

    /// The first page whose answers are missing or wrong, or nil when the form is complete.
    /// Whether every field of `step` has an answer, and an acceptable one: such a page need not be shown on
    /// the way forward (a page with an optional answer left blank still is).
    public static func isFullyAnswered(_ step: FormStep, _ answers: [String: String], _ regions: Set<String>) -> Bool {
        guard step.fields.allSatisfy({ !(answers[$0.name] ?? "").isEmpty }) else { return false }
        if case .success = validate(step, answers: answers, regions: regions) { return true }
        return false
    }

    public static func firstIncomplete(_ steps: [FormStep], answers: [String: String], regions: Set<String>)
        -> FormStep?
    {
        steps.first { step in
            if case .failure = validate(step, answers: answers, regions: regions) { return true }
            return false
        }
    }

    /// What makes two applications "the same": the premises (or organisation) for organisation kinds; the
    /// person at their practice for optometrists and dentists, who apply individually.
    public static func duplicateKey(kind: ApplicationKind, email: String, answers: [String: String]) -> String {
        let ods = answers["odsCode"].flatMap { $0.isEmpty ? nil : $0 }
        switch kind {
        case .optometrist, .dentist:
            return "person:\(kind.rawValue):\(ods ?? "-"):\(Identifiers.normaliseEmail(email))"
        case .communityPharmacy:
            return "premises:\(ods ?? answers["gphcPremisesNumber"] ?? "-")"
        case .pharmacyMultiple:
            return "pharmacy_multiple:\(ods ?? "-")"
        case .careHome:
            return "care_home:\(answers["cqcLocationID"] ?? ods ?? "-")"
        case .nhsOrganisation, .nonNHSOrganisation:
            if let ods { return "organisation:\(ods)" }
            let name = (answers["organisationName"] ?? "").lowercased().filter { $0.isLetter || $0.isNumber }
            return "organisation:\(name):\((answers["postcode"] ?? "").filter { !$0.isWhitespace })"
        }
    }

    /// The applicant's facts for the eligibility engine, taken from the answers.
    public static func facts(
        kind: ApplicationKind, answers: [String: String], organisation: KnownOrganisation?, submittedAt: Date
    ) -> ApplicantFacts {
        ApplicantFacts(
            applicantType: kind.applicantType, country: .england,
            odsCode: answers["odsCode"].flatMap { $0.isEmpty ? nil : $0 }, organisation: organisation,
            deliversNHSFundedCare: kind == .nonNHSOrganisation ? true : nil,
            exchangesPatientInformation: answers["exchangesPatientInformation"].flatMap(InformationExchange.init),
            usesOtherPubliclyFundedEmail: answers["usesOtherPubliclyFundedEmail"].map { $0 == "yes" },
            igToolkitCompletedBy: organisation == nil && (kind == .optometrist || kind == .dentist) ? .itself : nil,
            programme: answers["programme"], submittedAt: submittedAt)
    }
}
