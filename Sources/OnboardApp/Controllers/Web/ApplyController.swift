import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The applicant's journey: email and code, the form one page at a time, check your answers, submit.
/// The draft is found by a cookie that holds a random token (its hash is stored); the tracking link sent by
/// email can restore it in another browser.
struct ApplyController {
    static let cookieName = "__Host-onboard-application"

    struct FieldView: Encodable {
        struct Option: Encodable {
            let id: String
            let value: String
            let label: String
            let checked: Bool
        }

        let name: String
        let label: String
        let hint: String?
        let value: String
        let error: String?
        let kind: String
        let inputType: String
        let inputMode: String?
        let autocomplete: String?
        let width: String
        let options: [Option]
        let isText: Bool
        let isTextarea: Bool
        let isChoice: Bool
        let isConfirm: Bool
        /// A list too long for radios (the commissioners), shown as a select.
        let isSelect: Bool
        let checked: Bool
    }

    struct StepPage: Encodable {
        let title: String
        let hint: String?
        let action: String
        let fields: [FieldView]
        /// One question whose legend is the page heading.
        let single: Bool
        let returnToCheck: Bool
        let reference: String
    }

    struct StartPage: Encodable {
        let kind: String
        let kindName: String
        let action: String
        let email: String
        let needs: [String]
        /// Answers the guided start already has, sent on with the email so they are not asked again.
        let carried: [Carried]
    }

    struct Carried: Encodable {
        let name: String
        let value: String
    }

    struct VerifyPage: Encodable {
        let email: String
        let reference: String
    }

    struct Row: Encodable {
        let key: String
        let value: String
        let changeURL: String
    }

    struct CheckPage: Encodable {
        let reference: String
        let kindName: String
        let sections: [Section]
        let aupVersion: String
        /// The address in two parts, so a narrow screen wraps it at the @ rather than inside a word.
        let emailParts: [String]
        let mailbox: String?

        static func parts(of address: String) -> [String] {
            guard let at = address.firstIndex(of: "@") else { return [address] }
            return [String(address[..<at]), String(address[at...])]
        }
    }

    struct Section: Encodable {
        let title: String
        let rows: [Row]
    }

    struct ConfirmationPage: Encodable {
        let reference: String
        let receivedAt: String
        let email: String
        let reviewer: String
    }

    struct MessagePage: Encodable {
        let heading: String
        let paragraphs: [String]
        let linkText: String?
        let linkURL: String?
    }

    // MARK: Finding the draft

    func current(_ req: Request) async throws -> ApplicationRow? {
        guard let token = req.cookies[Self.cookieName]?.string, !token.isEmpty else { return nil }
        return try await ApplicationStore.load(
            where: "a.resume_hash = \(bind: SecretHash.sha256Hex(token))", on: req.sql)
    }

    /// The draft in this browser, or back to the start: nothing here works without one.
    func draft(_ req: Request, verified: Bool = true) async throws -> ApplicationRow {
        guard let row = try await current(req), row.applicationState == .draft else {
            throw Abort.redirect(to: SiteURL.join.path)
        }
        if verified, !row.isVerified { throw Abort.redirect(to: SiteURL.applyVerify.path) }
        return row
    }

    static func cookie(_ token: String) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: token, expires: nil, maxAge: 30 * 24 * 3600, domain: nil, path: "/", isSecure: true,
            isHTTPOnly: true,
            sameSite: .lax)
    }

    func steps(_ req: Request, kind: ApplicationKind) async throws -> [FormStep] {
        let parameters = try await EligibilityParameterStore.current(on: req.sql)
        return ApplicationForm.steps(
            for: kind, aupVersion: try await SignInService.aupVersion(on: req.sql, fallback: parameters.aupVersion),
            programmes: ApplicationService.programmes(parameters, openOn: req.now))
    }

    // MARK: Start

    static func needs(_ kind: ApplicationKind) -> [String] {
        switch kind {
        case .nhsOrganisation, .nonNHSOrganisation:
            [
                "a description of the NHS-funded care you deliver and who commissions it",
                "how many accounts you need and how you will manage them",
                "the name and email of your first Local Administrator",
                "a signatory who can accept the Acceptable Use Policy for the organisation",
            ]
        case .optometrist, .dentist:
            [
                "your practice's ODS code",
                "your \(kind == .optometrist ? "GOC" : "GDC") number, if you are registered",
                "a UK mobile number",
            ]
        case .communityPharmacy:
            [
                "the premises ODS code and GPhC premises number",
                "the names and UK mobile numbers of staff who need accounts",
            ]
        case .pharmacyMultiple:
            ["your head office's ODS code", "how many stores will provide the service", "a UK mobile number"]
        case .careHome:
            [
                "the home's CQC location ID", "the registered manager's name",
                "the ODS code of the local authority or commissioner",
            ]
        }
    }

    func startPage(req: Request) async throws -> Response {
        let kind = try kindParameter(req)
        var given: [String: String] = [:]
        for item in URLComponents(string: req.url.string)?.queryItems ?? [] {
            if let value = item.value { given[item.name] = String(value.prefix(100)) }
        }
        return try await renderStart(
            req, kind: kind, email: "", carried: try await carried(req, kind: kind, from: given), errors: .init())
    }

    /// A practice or premises on record by its ODS code also gives its name, postcode and region: the page
    /// that asks them is then not shown.
    private func filledFromRecord(_ req: Request, _ answers: [String: String], kind: ApplicationKind) async throws
        -> [String: String]
    {
        guard let ods = answers["odsCode"], !ods.isEmpty,
            let step = try await steps(req, kind: kind).first(where: { $0.fields.contains { $0.name == "odsCode" } })
        else { return answers }
        struct Record: Decodable {
            let name: String
            let postcode: String?
            let region: String?
        }
        guard
            let record = try await req.sql.raw(
                "SELECT name, postcode, region FROM organisations WHERE ods_code = \(bind: ods) AND closed_at IS NULL"
            ).firstRow(Record.self)
        else { return answers }
        var filled = answers
        for field in step.fields {
            switch field.name {
            case "postcode": filled[field.name] = record.postcode
            case "region": filled[field.name] = record.region
            case let name where name.hasSuffix("Name"): filled[name] = record.name
            default: break
            }
        }
        return filled
    }

    private func kindParameter(_ req: Request) throws -> ApplicationKind {
        guard let kind = PathParameter.kind.value(in: req).flatMap(ApplicationKind.init(rawValue:)) else {
            throw Abort(.notFound)
        }
        return kind
    }

    private func renderStart(
        _ req: Request, kind: ApplicationKind, email: String, carried: [String: String], errors: ValidationErrors
    ) async throws -> Response {
        try await req.render(
            "apply/start",
            req.chrome("Apply to join: \(kind.displayName)", backLink: SiteURL.join.path, errors: errors),
            StartPage(
                kind: kind.rawValue, kindName: kind.displayName, action: SiteURL.apply(kind.rawValue).path,
                email: email,
                needs: Self.needs(kind),
                carried: carried.sorted { $0.key < $1.key }.map { Carried(name: $0.key, value: $0.value) }),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    /// The guided start's answers this kind's form accepts, from the start page's address or its form.
    private func carried(_ req: Request, kind: ApplicationKind, from given: [String: String]) async throws
        -> [String: String]
    {
        ApplicationForm.carried(
            given, into: try await steps(req, kind: kind), regions: try await RegionDirectory.codes(on: req.sql))
    }

    func start(req: Request) async throws -> Response {
        let kind = try kindParameter(req)
        let form = (try? req.content.decode([String: String].self)) ?? [:]
        let email = form["email"] ?? ""
        let carried = try await carried(req, kind: kind, from: form)
        let outcome: ApplicationService.StartOutcome
        do {
            outcome = try await ApplicationService(req: req).start(
                kind: kind, email: email, answers: try await filledFromRecord(req, carried, kind: kind))
        } catch let errors as ValidationErrors {
            return try await renderStart(req, kind: kind, email: email, carried: carried, errors: errors)
        }
        switch outcome {
        case .hasAccount:
            return try await req.render(
                "apply/message", req.chrome("You already have an account", backLink: SiteURL.apply(kind.rawValue).path),
                MessagePage(
                    heading: "You already have an account",
                    paragraphs: [
                        "That email address belongs to an account on the service, so you do not need to apply.",
                        "If you have moved to a new organisation, ask its Local Administrator to accept you as a joiner. "
                            + "You keep your address.",
                        "If you cannot reach them, contact the national helpdesk: \(req.settings.nationalHelpdesk).",
                    ], linkText: nil, linkURL: nil))
        case .started(_, let token):
            let response = req.redirect(to: SiteURL.applyVerify.path, redirectType: .normal)
            response.cookies[Self.cookieName] = Self.cookie(token)
            return response
        }
    }

    // MARK: Email code

    func verifyPage(req: Request) async throws -> Response {
        let row = try await draft(req, verified: false)
        if row.isVerified { return req.redirect(to: try await nextURL(req, row)) }
        return try await renderVerify(req, row: row, errors: .init())
    }

    private func renderVerify(_ req: Request, row: ApplicationRow, errors: ValidationErrors, notice: String? = nil)
        async throws -> Response
    {
        try await req.render(
            "apply/verify",
            req.chrome("Check your email", backLink: SiteURL.apply(row.kind).path, errors: errors, notice: notice),
            VerifyPage(email: row.applicantEmail, reference: row.reference),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func verify(req: Request) async throws -> Response {
        let row = try await draft(req, verified: false)
        struct Form: Decodable { let code: String? }
        do {
            try await ApplicationService(req: req).verify(row, code: try req.content.decode(Form.self).code ?? "")
        } catch let errors as ValidationErrors {
            return try await renderVerify(req, row: row, errors: errors)
        }
        guard let fresh = try await ApplicationStore.load(id: row.id, on: req.sql) else { throw Abort(.notFound) }
        return req.redirect(to: try await nextURL(req, fresh), redirectType: .normal)
    }

    func resend(req: Request) async throws -> Response {
        let row = try await draft(req, verified: false)
        try await ApplicationService(req: req).sendCode(
            id: row.id, email: row.applicantEmail, reference: row.reference)
        return try await renderVerify(req, row: row, errors: .init(), notice: "We have sent a new code")
    }

    // MARK: Questions

    /// The first unanswered page, or check your answers.
    func nextURL(_ req: Request, _ row: ApplicationRow) async throws -> String {
        let regions = try await RegionDirectory.codes(on: req.sql)
        let all = try await steps(req, kind: row.applicationKind)
        if let step = ApplicationForm.firstIncomplete(all, answers: row.answerMap, regions: regions) {
            return SiteURL.applyStep(step.id).path
        }
        return SiteURL.applyCheck.path
    }

    private func step(_ req: Request, _ row: ApplicationRow) async throws -> (FormStep, [FormStep]) {
        let all = try await steps(req, kind: row.applicationKind)
        guard let id = PathParameter.step.value(in: req), let step = all.first(where: { $0.id == id }) else {
            throw Abort(.notFound)
        }
        return (step, all)
    }

    func questionPage(req: Request) async throws -> Response {
        let row = try await draft(req)
        let (step, all) = try await step(req, row)
        return try await renderStep(req, row: row, step: step, all: all, values: row.answerMap, errors: .init())
    }

    private func renderStep(
        _ req: Request, row: ApplicationRow, step: FormStep, all: [FormStep], values: [String: String],
        errors: ValidationErrors
    ) async throws -> Response {
        let regions = try await RegionDirectory.all(on: req.sql)
        let returning = (try? req.query.get(String.self, at: "return")) == "check"
        let index = all.firstIndex(of: step) ?? 0
        let back =
            returning
            ? SiteURL.applyCheck.path
            : index == 0 ? SiteURL.apply(row.kind).path : SiteURL.applyStep(all[index - 1].id).path
        let single = step.fields.count == 1 && { if case .choice = step.fields[0].input { true } else { false } }()
        let commissioners =
            step.fields.contains { $0.input == .commissioner } ? try await Self.commissioners(on: req.sql) : []
        let fields = step.fields.map { field in
            Self.view(
                field, value: values[field.name] ?? "", error: errors.message(for: field.name), regions: regions,
                commissioners: commissioners)
        }
        var action = SiteURL.applyStep(step.id).path
        if returning { action += "?return=check" }
        return try await req.render(
            "apply/step", req.chrome(step.title, backLink: back, errors: errors),
            StepPage(
                title: step.title, hint: step.hint, action: action, fields: fields, single: single,
                returnToCheck: returning, reference: row.reference),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    /// The commissioners on record, by name, for care homes to choose from rather than type an ODS code.
    static func commissioners(on sql: any SQLDatabase) async throws -> [FormOption] {
        struct Row: Decodable {
            let ods: String
            let name: String
        }
        return try await sql.raw(
            """
            SELECT ods_code AS ods, name FROM organisations
            WHERE type = \(bind: OrganisationType.commissioner.rawValue) AND closed_at IS NULL AND ods_code IS NOT NULL
            ORDER BY name
            """
        ).rows(Row.self).map { FormOption($0.ods, $0.name) }
    }

    static func view(
        _ field: FormField, value: String, error: String?, regions: [RegionDirectory.Region],
        commissioners: [FormOption] = []
    ) -> FieldView {
        var options: [FormOption] = []
        var kind = "text"
        var inputType = "text"
        var inputMode: String?
        var autocomplete: String?
        var width = "nhsuk-input--width-20"
        switch field.input {
        case .text:
            width = ""
            // Autofill is for the applicant's own details only (WCAG 1.3.5), never a signatory's or the premises'.
            if field.name == "applicantName" { autocomplete = "name" }
        case .ods: width = "nhsuk-input--width-10"
        case .commissioner:
            // Chosen by name from those on record; typed as a code only if none is on record yet.
            if commissioners.isEmpty {
                width = "nhsuk-input--width-10"
            } else {
                kind = "select"
                options = commissioners
            }
        case .postcode: width = "nhsuk-input--width-10"
        case .tel:
            inputType = "tel"
            autocomplete = "tel"
        case .email: inputType = "email"
        case .number:
            width = "nhsuk-input--width-5"
            inputMode = "numeric"
        case .textarea: kind = "textarea"
        case .choice(let list):
            kind = "choice"
            options = list
        case .region:
            kind = "choice"
            options = regions.map { FormOption($0.code, $0.name) }
        case .confirm: kind = "confirm"
        }
        return FieldView(
            name: field.name, label: field.label + (field.required ? "" : " (optional)"), hint: field.hint,
            value: value,
            error: error, kind: kind, inputType: inputType, inputMode: inputMode, autocomplete: autocomplete,
            width: width,
            options: options.enumerated().map { index, option in
                FieldView.Option(
                    id: index == 0 ? field.name : "\(field.name)-\(index + 1)", value: option.value,
                    label: option.label,
                    checked: option.value == value)
            },
            isText: kind == "text", isTextarea: kind == "textarea", isChoice: kind == "choice",
            isConfirm: kind == "confirm", isSelect: kind == "select",
            checked: value == "yes")
    }

    func answer(req: Request) async throws -> Response {
        let row = try await draft(req)
        let (step, all) = try await step(req, row)
        var submitted: [String: String] = [:]
        for field in step.fields {
            submitted[field.name] = (try? req.content.get(String.self, at: field.name)) ?? ""
        }
        let regions = try await RegionDirectory.codes(on: req.sql)
        switch ApplicationForm.validate(step, answers: submitted, regions: regions) {
        case .failure(let errors):
            return try await renderStep(req, row: row, step: step, all: all, values: submitted, errors: errors)
        case .success(let clean):
            // Say now, not at the end, when the named organisation rules the application out whatever follows.
            if clean["odsCode"].map({ !$0.isEmpty }) == true,
                let refusal = try await ApplicationService(req: req).refusalWhateverElse(
                    kind: row.applicationKind, answers: row.answerMap.merging(clean) { _, new in new })
            {
                return try await renderStep(
                    req, row: row, step: step, all: all, values: submitted,
                    errors: ValidationErrors([FieldError(field: "odsCode", message: refusal)]))
            }
            try await ApplicationService(req: req).saveAnswers(row, clean)
        }
        guard let fresh = try await ApplicationStore.load(id: row.id, on: req.sql) else { throw Abort(.notFound) }
        if (try? req.query.get(String.self, at: "return")) == "check" {
            return req.redirect(to: SiteURL.applyCheck.path, redirectType: .normal)
        }
        // Forward in order, so every page is seen once, including those whose answers are optional; a page
        // whose every answer is already given (by the guided start, or the practice's record) is passed over.
        let index = all.firstIndex(of: step) ?? 0
        let answers = fresh.answerMap
        if let next = all.dropFirst(index + 1).first(where: { !ApplicationForm.isFullyAnswered($0, answers, regions) })
        {
            return req.redirect(to: SiteURL.applyStep(next.id).path, redirectType: .normal)
        }
        return req.redirect(to: try await nextURL(req, fresh), redirectType: .normal)
    }

    // MARK: Check and submit

    func checkPage(req: Request) async throws -> Response {
        let row = try await draft(req)
        return try await renderCheck(req, row: row, errors: .init())
    }

    private func renderCheck(_ req: Request, row: ApplicationRow, errors: ValidationErrors) async throws -> Response {
        let all = try await steps(req, kind: row.applicationKind)
        let regionsList = try await RegionDirectory.all(on: req.sql)
        let commissioners = try await Self.commissioners(on: req.sql)
        let regions = Set(regionsList.map(\.code))
        if errors.isEmpty, let missing = ApplicationForm.firstIncomplete(all, answers: row.answerMap, regions: regions)
        {
            return req.redirect(to: SiteURL.applyStep(missing.id).path)
        }
        let answers = row.answerMap
        let sections = all.map { step in
            Section(
                title: step.title,
                rows: step.fields.map { field in
                    Row(
                        key: field.label,
                        value: Self.display(
                            field, answers[field.name] ?? "", regions: regionsList, commissioners: commissioners),
                        changeURL: SiteURL.applyStep(step.id).path + "?return=check#\(field.name)")
                })
        }
        let parameters = try await EligibilityParameterStore.current(on: req.sql)
        var mailbox: String?
        if row.applicationKind == .communityPharmacy, let ods = answers["odsCode"] {
            mailbox = "\(SharedMailboxRules.premisesLocalPart(ods: ods))@\(req.settings.mailDomain)"
        }
        return try await req.render(
            "apply/check", req.chrome("Check your answers before sending your application", errors: errors),
            CheckPage(
                reference: row.reference, kindName: row.applicationKind.displayName, sections: sections,
                aupVersion: try await SignInService.aupVersion(on: req.sql, fallback: parameters.aupVersion),
                emailParts: CheckPage.parts(of: row.applicantEmail), mailbox: mailbox),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    static func display(
        _ field: FormField, _ value: String, regions: [RegionDirectory.Region], commissioners: [FormOption] = []
    ) -> String {
        if value.isEmpty { return "Not given" }
        if field.input == .commissioner, let known = commissioners.first(where: { $0.value == value }) {
            return "\(known.label) (\(value))"
        }
        switch field.input {
        case .choice(let options): return options.first { $0.value == value }?.label ?? value
        case .region: return regions.first { $0.code == value }?.name ?? value
        case .confirm: return value == "yes" ? "Accepted" : "Not accepted"
        case .tel: return Identifiers.displayUKMobile(value)
        default: return value
        }
    }

    func submit(req: Request) async throws -> Response {
        let row = try await draft(req)
        let outcome: ApplicationService.SubmitOutcome
        do {
            outcome = try await ApplicationService(req: req).submit(row)
        } catch let errors as ValidationErrors {
            return try await renderCheck(req, row: row, errors: errors)
        }
        switch outcome {
        case .submitted:
            return req.redirect(to: SiteURL.applyConfirmation.path, redirectType: .normal)
        case .previouslySubmitted(let reference):
            return try await req.render(
                "apply/message", req.chrome("You have already applied"),
                MessagePage(
                    heading: "This has already been applied for",
                    paragraphs: [
                        "An application for the same \(row.applicationKind == .optometrist || row.applicationKind == .dentist ? "person at this practice" : "premises or organisation") "
                            + "was previously submitted, reference \(reference). You do not need to re-apply.",
                        "Whoever applied can follow it with the link in the email they were sent. Your own draft "
                            + "has not been sent.",
                    ], linkText: "Back to the start", linkURL: SiteURL.front.path))
        }
    }

    func confirmation(req: Request) async throws -> Response {
        guard let row = try await current(req), row.applicationState != .draft, let submitted = row.submittedAt else {
            throw Abort.redirect(to: SiteURL.join.path)
        }
        let reviewer =
            switch row.applicationKind.reviewer {
            case .regionalContact: "Your region's contact will review it, then pass it to a Local Administrator."
            case .nationalAdmin: "The national team will review it."
            case .localAdmin: "A Local Administrator for the area will review it."
            case .pharmacyTeam: "The pharmacy team will review it for your programme."
            case .applicant: ""
            }
        let response = try await req.render(
            "apply/confirmation", req.chrome("Application sent"),
            ConfirmationPage(
                reference: row.reference, receivedAt: LondonTime.receipt(submitted), email: row.applicantEmail,
                reviewer: reviewer))
        return response
    }

    func withdraw(req: Request) async throws -> Response {
        let row = try await draft(req, verified: false)
        _ = try await ApplicationService(req: req).decide(
            row, .init(action: .withdraw), as: .applicant, actorLabel: "Applicant", account: nil)
        let response = try await req.render(
            "apply/message", req.chrome("Application withdrawn"),
            MessagePage(
                heading: "Your application has been withdrawn",
                paragraphs: ["Nothing was sent for review. You can start again at any time."],
                linkText: "Back to the start", linkURL: SiteURL.front.path))
        response.cookies[Self.cookieName] = SessionCookie.expired
        return response
    }
}
