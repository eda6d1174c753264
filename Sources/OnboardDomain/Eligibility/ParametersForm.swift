/// The eligibility parameters as a form a national administrator fills in: one field for each contact and
/// the AUP version, and for each programme its name, what its early applications are evidence for, and its
/// dates as day, month and year. A new programme can be added; an existing one keeps its code.
public enum ParametersForm {
    public struct Text: Sendable, Equatable {
        public let key: String
        public let label: String
        public let hint: String?
        public let required: Bool
    }

    public struct DateField: Sendable, Equatable {
        public let key: String
        public let label: String
        public let hint: String?
        public let required: Bool
    }

    public static let contacts: [Text] = [
        Text(
            key: "nationalHelpdesk", label: "National helpdesk",
            hint: "Shown when the service sends someone elsewhere, for example helpdesk@nhs.net, 0333 200 1133",
            required: true),
        Text(
            key: "eligibilityContact", label: "Contact for questions about eligibility",
            hint: "Shown to organisations told they cannot join", required: true),
        Text(key: "scottishContact", label: "Who people in Scotland should contact", hint: nil, required: true),
        Text(key: "walesContact", label: "Who people in Wales should contact", hint: nil, required: true),
        Text(
            key: "northernIrelandContact", label: "Who people in Northern Ireland should contact", hint: nil,
            required: true),
        Text(
            key: "aupVersion", label: "Version of the Acceptable Use Policy",
            hint: "Organisations sign this version, and people accept it when they activate", required: true),
    ]

    public static let programmeTexts: [Text] = [
        Text(key: "name", label: "Name", hint: nil, required: true),
        Text(
            key: "evidenceFor", label: "What early applications count as evidence for",
            hint: "Leave empty if the programme has no evidence deadline", required: false),
        Text(
            key: "laterApplicantsWaitFor", label: "What later applicants wait for",
            hint: "Leave empty if later applicants do not wait", required: false),
    ]

    /// Asked only of a programme being added: an existing one keeps its code.
    public static let newCode = Text(
        key: "code", label: "Code", hint: "Letters and numbers, like pqs. It cannot be changed later.", required: true)

    public static let programmeDates: [DateField] = [
        DateField(key: "opensOn", label: "Opens on", hint: "For example, 1 12 2016", required: true),
        DateField(
            key: "evidenceCutoff", label: "Last day an application counts as evidence",
            hint: "Leave empty if there is none", required: false),
        DateField(key: "closesOn", label: "Closes on", hint: "Leave empty while no end is set", required: false),
    ]

    /// The form's field names for one programme's value: `programme-numsas-opensOn`, or `new-opensOn` for the
    /// programme being added. Dates add `-day`, `-month` and `-year`.
    public static func field(_ programme: String?, _ key: String) -> String {
        programme.map { "programme-\($0)-\(key)" } ?? "new-\(key)"
    }

    /// The values that fill the form for a version.
    public static func values(of parameters: EligibilityParameters) -> [String: String] {
        var values: [String: String] = [
            "nationalHelpdesk": parameters.nationalHelpdesk, "eligibilityContact": parameters.eligibilityContact,
            "scottishContact": parameters.scottishContact, "walesContact": parameters.walesContact,
            "northernIrelandContact": parameters.northernIrelandContact, "aupVersion": parameters.aupVersion,
        ]
        for programme in parameters.programmes {
            let texts = [
                "name": programme.name, "evidenceFor": programme.evidenceFor ?? "",
                "laterApplicantsWaitFor": programme.laterApplicantsWaitFor ?? "",
            ]
            for (key, value) in texts { values[field(programme.code, key)] = value }
            let dates = [
                "opensOn": programme.opensOn, "evidenceCutoff": programme.evidenceCutoff,
                "closesOn": programme.closesOn,
            ]
            for (key, iso) in dates {
                guard let iso, let day = Day(iso: iso) else { continue }
                let (y, m, d) = day.civil
                let name = field(programme.code, key)
                values["\(name)-day"] = String(d)
                values["\(name)-month"] = String(m)
                values["\(name)-year"] = String(y)
            }
        }
        return values
    }

    /// Reads a filled-in form as a new version of `current`, or every problem with it.
    public static func read(_ form: [String: String], version: String, current: EligibilityParameters)
        -> Result<EligibilityParameters, ValidationErrors>
    {
        var errors = ValidationErrors()
        func text(_ key: String, label: String, required: Bool) -> String {
            let value = (form[key] ?? "").tidied
            if required && value.isEmpty { errors.add(key, "Enter the \(ApplicationForm.midSentence(label))") }
            if value.count > 300 { errors.add(key, "\(label) must be 300 characters or fewer") }
            return value
        }
        var contacts: [String: String] = [:]
        for contact in Self.contacts {
            contacts[contact.key] = text(contact.key, label: contact.label, required: contact.required)
        }
        func programme(_ code: String?, named programmeName: String) -> ProgrammeParameters? {
            var texts: [String: String] = [:]
            for item in programmeTexts {
                texts[item.key] = text(
                    field(code, item.key), label: "\(ApplicationForm.midSentence(item.label)) for \(programmeName)",
                    required: item.required)
            }
            var dates: [String: Day] = [:]
            for item in programmeDates {
                let name = field(code, item.key)
                let parts = ["day", "month", "year"].map { (form["\(name)-\($0)"] ?? "").tidied }
                if parts.allSatisfy(\.isEmpty) {
                    if item.required { errors.add(name, "Enter the date \(programmeName) opens") }
                    continue
                }
                guard let d = Int(parts[0]), let m = Int(parts[1]), let y = Int(parts[2]), (1900...2100).contains(y),
                    let day = Day(iso: String(format: "%04d-%02d-%02d", y, m, d))
                else {
                    errors.add(name, "\(item.label) for \(programmeName) must be a real date, like 1 12 2016")
                    continue
                }
                dates[item.key] = day
            }
            if let opens = dates["opensOn"], let closes = dates["closesOn"], closes < opens {
                errors.add(field(code, "closesOn"), "\(programmeName) must close on or after the day it opens")
            }
            guard let opens = dates["opensOn"] else { return nil }
            return ProgrammeParameters(
                code: code ?? "", name: texts["name"] ?? "", opensOn: opens.iso,
                evidenceCutoff: dates["evidenceCutoff"]?.iso,
                evidenceFor: texts["evidenceFor"].flatMap { $0.isEmpty ? nil : $0 },
                laterApplicantsWaitFor: texts["laterApplicantsWaitFor"].flatMap { $0.isEmpty ? nil : $0 },
                closesOn: dates["closesOn"]?.iso)
        }
        var programmes: [ProgrammeParameters] = []
        for existing in current.programmes {
            if let edited = programme(existing.code, named: existing.name) { programmes.append(edited) }
        }
        // A new programme is added only when something is written for it.
        let newKeys =
            (programmeTexts.map(\.key) + ["code"]).map { field(nil, $0) }
            + programmeDates.flatMap { date in ["day", "month", "year"].map { "\(field(nil, date.key))-\($0)" } }
        if newKeys.contains(where: { !(form[$0] ?? "").tidied.isEmpty }) {
            let code = (form[field(nil, "code")] ?? "").tidied.lowercased()
            if code.isEmpty || code.count > 20
                || !code.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) })
            {
                errors.add(
                    field(nil, "code"), "Enter a short code for the new programme, in letters and numbers, like pqs")
            } else if current.programmes.contains(where: { $0.code == code }) {
                errors.add(field(nil, "code"), "There is already a programme with the code \(code)")
            }
            if var added = programme(nil, named: "the new programme") {
                added.code = code
                programmes.append(added)
            }
        }
        guard errors.isEmpty else { return .failure(errors) }
        return .success(
            EligibilityParameters(
                version: version, nationalHelpdesk: contacts["nationalHelpdesk"] ?? "",
                eligibilityContact: contacts["eligibilityContact"] ?? "",
                scottishContact: contacts["scottishContact"] ?? "",
                walesContact: contacts["walesContact"] ?? "",
                northernIrelandContact: contacts["northernIrelandContact"] ?? "",
                aupVersion: contacts["aupVersion"] ?? "", programmes: programmes))
    }
}
