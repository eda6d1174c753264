import Foundation
import OnboardDomain
import OpenAPIRuntime
import SQLKit
import Vapor

/// Bulk registration through the API: the same checks, visibility and single apply as the pages.
extension APIHandler {
    func getBulkTemplate(_ input: Operations.GetBulkTemplate.Input) async throws -> Operations.GetBulkTemplate.Output {
        let (req, _) = try context()
        let kind: BulkSheet.Kind = input.path.kind == .accounts ? .accounts : .pharmacyMultiple
        let format: BulkFormat = input.query.format == .xlsx ? .xlsx : .csv
        let bytes = BulkFile.write(BulkFile.template(kind), as: format)
        try await req.audit(
            AuditEntry(
                "bulk.template_downloaded", target: "bulk_template",
                id: BulkFile.filename(kind, "template", format: format)),
            on: req.sql)
        if input.query.format == .xlsx {
            return .ok(.init(body: .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet(HTTPBody(bytes))))
        }
        return .ok(.init(body: .csv(HTTPBody(bytes))))
    }

    func uploadBulkSheet(_ input: Operations.UploadBulkSheet.Input) async throws -> Operations.UploadBulkSheet.Output {
        let (req, principal) = try context()
        guard case .multipartForm(let parts) = input.body else {
            throw APIProblem(status: .badRequest, detail: "Send multipart/form-data with file and kind.")
        }
        var bytes: [UInt8]?
        var filename = "upload"
        var kindText: String?
        var errors = ValidationErrors()
        try await APIMultipart.each(parts) { part in
            do {
                switch part {
                case .file(let file):
                    filename = file.filename ?? filename
                    bytes = try await APIMultipart.bytes(
                        file.payload.body, limit: BulkFile.maxBytes, field: "file",
                        tooLarge: "The sheet is larger than 10 MB. Split it into smaller sheets")
                case .kind(let kind):
                    kindText = String(
                        decoding: try await APIMultipart.bytes(
                            kind.payload.body, limit: 100, field: "kind",
                            tooLarge: "Send kind: pharmacy_multiple or accounts"),
                        as: UTF8.self)
                case .undocumented(let other):
                    try await APIMultipart.skip(other.body)
                }
            } catch let problems as ValidationErrors {
                for problem in problems.errors { errors.add(problem.field, problem.message) }
            }
        }
        let kind = kindText.flatMap(BulkSheet.Kind.init(rawValue:))
        if kind == nil, errors.message(for: "kind") == nil {
            errors.add("kind", "Send kind: pharmacy_multiple or accounts")
        }
        if bytes == nil, errors.message(for: "file") == nil { errors.add("file", "Send the sheet as the file part") }
        try errors.throwIfAny()
        guard let kind, let bytes else { throw errors }
        guard BulkUploads.kinds(for: principal).contains(kind) else {
            throw APIProblem(status: .forbidden, detail: "Your role does not send this kind of sheet.")
        }
        let service = req.bulkRegistration
        if kind == .pharmacyMultiple, try await service.agreementOwed(by: principal) {
            throw APIProblem(
                status: .forbidden, detail: "Accept the data sharing agreement on the Bulk registration page first.")
        }
        do {
            let received = try await service.receive(bytes, filename: filename, kind: kind, principal: principal)
            let upload = try await BulkUploads.visible(received.id, to: principal, on: req.sql)
            return .created(.init(body: .json(Self.bulkUpload(upload))))
        } catch let unreadable as UnreadableSheet {
            throw APIProblem(status: .unprocessableEntity, detail: unreadable.message)
        }
    }

    func getBulkUpload(_ input: Operations.GetBulkUpload.Input) async throws -> Operations.GetBulkUpload.Output {
        let (req, principal) = try context()
        let upload = try await Self.visibleUpload(input.path.id, req: req, principal: principal)
        return .ok(.init(body: .json(Self.bulkUpload(upload))))
    }

    func applyBulkUpload(_ input: Operations.ApplyBulkUpload.Input) async throws -> Operations.ApplyBulkUpload.Output {
        let (req, principal) = try context()
        let upload = try await Self.visibleUpload(input.path.id, req: req, principal: principal)
        var requested = ActivationMethod.automated
        if case .json(let body) = input.body, body.method == .assisted { requested = .assisted }
        let method = requested
        guard upload.bulkStatus == .valid else {
            throw APIProblem(
                status: .conflict,
                detail: upload.bulkStatus == .invalid
                    ? "The sheet has problems: fix them and upload it again." : "This sheet has already been applied.")
        }
        guard BulkUploads.canApply(upload, principal: principal) else {
            throw APIProblem(status: .forbidden, detail: "Your role does not apply this sheet.")
        }
        let started = try await req.bulkRegistration.apply(upload, method: method, principal: principal)
        guard started else { throw APIProblem(status: .conflict, detail: "This sheet has already been applied.") }
        let after = try await Self.visibleUpload(input.path.id, req: req, principal: principal)
        return .accepted(.init(body: .json(Self.bulkUpload(after))))
    }

    func getBulkResults(_ input: Operations.GetBulkResults.Input) async throws -> Operations.GetBulkResults.Output {
        let (req, principal) = try context()
        let upload = try await Self.visibleUpload(input.path.id, req: req, principal: principal)
        guard upload.purgedAt == nil, [.applied, .failed, .applying].contains(upload.bulkStatus) else {
            throw APIProblem(
                status: .conflict,
                detail: upload.purgedAt == nil
                    ? "The sheet has not been applied yet." : "The results were deleted after the retention period.")
        }
        let bytes = BulkFile.write(try await BulkUploads.resultsSheet(upload, on: req.sql), as: upload.bulkFormat)
        try await req.audit(
            AuditEntry("bulk.results_downloaded", target: "bulk_upload", id: upload.id.uuidString), on: req.sql)
        if upload.bulkFormat == .xlsx {
            return .ok(.init(body: .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet(HTTPBody(bytes))))
        }
        return .ok(.init(body: .csv(HTTPBody(bytes))))
    }

    static func visibleUpload(_ id: String, req: Request, principal: Principal) async throws -> BulkUploadRow {
        do {
            return try await BulkUploads.visible(UUID(uuidString: id), to: principal, on: req.sql)
        } catch let abort as Abort where abort.status == .notFound {
            throw APIProblem(status: .notFound, detail: "No upload with that id is yours to see.")
        }
    }

    static func bulkUpload(_ upload: BulkUploadRow) -> Components.Schemas.BulkUpload {
        let report = BulkReport.decode(upload.report)
        let progress = BulkController.progress(upload)
        let done = [.applied, .failed, .applying, .queued].contains(upload.bulkStatus)
        func problem(_ p: BulkReport.Problem) -> Components.Schemas.BulkProblem {
            .init(sheet: p.sheet, row: p.row, column: p.column, message: p.message)
        }
        return .init(
            id: upload.id.uuidString.lowercased(),
            kind: upload.bulkKind == .accounts ? .accounts : .pharmacyMultiple,
            status: .init(rawValue: upload.status) ?? .failed, rows: report.rows,
            progress: .init(done: progress.done, total: progress.total, percent: progress.percent),
            counts: done
                ? .init(
                    create: upload.createdCount, update: upload.updatedCount, unchanged: upload.unchangedCount,
                    leave: upload.leftCount, mailboxes: upload.mailboxesCreated)
                : .init(
                    create: report.summary.create, update: report.summary.update, unchanged: report.summary.unchanged,
                    leave: report.summary.leave, mailboxes: report.mailboxes),
            errors: report.problems.map(problem), notes: report.notes.map(problem))
    }
}
