import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The form one page at a time: each question page, its fields as the page shows them, and answering it.
extension ApplyController {
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

    // MARK: Questions

    /// The first unanswered page, or check your answers.
    func nextURL(_ req: Request, _ row: ApplicationRow) async throws -> String {
        if let step = try await req.applicationForms.firstIncomplete(row) {
            return SiteURL.applyStep(step.id).path
        }
        return SiteURL.applyCheck.path
    }

    private func step(_ req: Request, _ row: ApplicationRow) async throws -> (FormStep, [FormStep]) {
        let all = try await req.applicationForms.steps(for: row.applicationKind)
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
            step.fields.contains { $0.input == .commissioner } ? try await req.applicationForms.commissioners() : []
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
}
