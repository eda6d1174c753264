import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Check your answers, submit, the confirmation, and withdrawing a draft.
extension ApplyController {
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

    // MARK: Check and submit

    func checkPage(req: Request) async throws -> Response {
        let row = try await draft(req)
        return try await renderCheck(req, row: row, errors: .init())
    }

    private func renderCheck(_ req: Request, row: ApplicationRow, errors: ValidationErrors) async throws -> Response {
        let forms = req.applicationForms
        let all = try await forms.steps(for: row.applicationKind)
        let regionsList = try await RegionDirectory.all(on: req.sql)
        let commissioners = try await forms.commissioners()
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
        var mailbox: String?
        if row.applicationKind == .communityPharmacy, let ods = answers["odsCode"] {
            mailbox = "\(SharedMailboxRules.premisesLocalPart(ods: ods))@\(req.settings.mailDomain)"
        }
        return try await req.render(
            "apply/check", req.chrome("Check your answers before sending your application", errors: errors),
            CheckPage(
                reference: row.reference, kindName: row.applicationKind.displayName, sections: sections,
                aupVersion: try await forms.aupVersion(),
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
