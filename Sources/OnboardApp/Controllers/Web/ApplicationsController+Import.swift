import Foundation
import OnboardDomain
import Vapor

/// National administrators import applications made before the service existed.
extension ApplicationsController {
    struct ImportPage: Encodable {
        let columns: String
        let outcome: ApplicationImporter.Outcome?
        let fileError: String?
        let problems: [String]
        let hasProblems: Bool
    }

    func importForm(req: Request, principal: Principal) async throws -> Response {
        try await importPage(req, outcome: nil, errors: .init())
    }

    private func importPage(_ req: Request, outcome: ApplicationImporter.Outcome?, errors: ValidationErrors)
        async throws -> Response
    {
        let summary = errors.fileSummary
        return try await req.render(
            "applications/import",
            req.chrome(
                "Import earlier applications",
                breadcrumbs: [.init(text: "Applications", href: SiteURL.applications.path)], errors: summary),
            ImportPage(
                columns: PriorApplicationCSV.required.joined(separator: ", "), outcome: outcome,
                fileError: summary.message(for: "file"),
                problems: errors.errors.count > 1 ? errors.errors.prefix(100).map(\.message) : [],
                hasProblems: errors.errors.count > 1),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func importCSV(req: Request, principal: Principal) async throws -> Response {
        let form = try req.content.decode(OrganisationsController.ImportForm.self)
        guard let file = form.file, file.data.readableBytes > 0,
            let text = file.data.getString(at: file.data.readerIndex, length: file.data.readableBytes)
        else {
            return try await importPage(
                req, outcome: nil,
                errors: ValidationErrors([FieldError(field: "file", message: "Select a CSV file saved as UTF-8")]))
        }
        do {
            let outcome = try await ApplicationImporter(req: req).importCSV(text, by: principal)
            return try await importPage(req, outcome: outcome, errors: .init())
        } catch let errors as ValidationErrors {
            return try await importPage(req, outcome: nil, errors: errors)
        }
    }
}
