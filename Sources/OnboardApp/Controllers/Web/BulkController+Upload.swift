import Foundation
import OnboardDomain
import Vapor

/// One uploaded sheet: its report, applying it with progress, and the downloads of its report and results.
extension BulkController {
    struct ProblemItem: Encodable {
        let sheet: String
        let row: Int
        let column: String
        let message: String
    }

    struct ShowPage: Encodable {
        let id: String
        let filename: String
        let kind: String
        let organisation: String
        let uploader: String
        let when: String
        let status: String
        let statusTag: String
        let rows: Int
        let summary: BulkPlan.Summary
        let mailboxes: Int
        let problems: [ProblemItem]
        let problemCount: Int
        let moreProblems: Int
        let notes: [ProblemItem]
        let hasNotes: Bool
        let planned: [PlannedItem]
        let morePlanned: Int
        let method: String
        let isInvalid: Bool
        let canApply: Bool
        let waitingForTeam: Bool
        let inProgress: Bool
        let progress: Progress
        let isApplied: Bool
        let isFailed: Bool
        let purged: Bool
        let reportHref: String
        let resultsHref: String
        let applyHref: String
        let progressHref: String
        let selfHref: String
        let counts: Counts
        let fieldErrors: [String: String]
    }

    struct PlannedItem: Encodable {
        let sheet: String
        let row: Int
        let name: String
        let place: String
        let action: String
    }

    struct Progress: Content {
        let status: String
        let label: String
        let done: Int
        let total: Int
        let percent: Int
        let finished: Bool
        let text: String
    }

    struct Counts: Encodable {
        let created: Int
        let updated: Int
        let unchanged: Int
        let left: Int
        let mailboxes: Int
    }

    static func progress(_ upload: BulkUploadRow) -> Progress {
        let total = upload.rowsTotal
        let done = upload.bulkStatus == .applied ? total : upload.rowsDone
        let percent =
            total == 0
            ? (upload.bulkStatus == .applied ? 100 : 0) : Int((Double(done) / Double(total) * 100).rounded(.down))
        let finished = [.applied, .failed].contains(upload.bulkStatus)
        return Progress(
            status: upload.status, label: upload.bulkStatus.label, done: done, total: total, percent: percent,
            finished: finished, text: "\(done) of \(total) people done (\(percent)%)")
    }

    func show(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await renderShow(req, principal: principal, errors: .init())
    }

    private func renderShow(_ req: Request, principal: Principal, errors: ValidationErrors) async throws -> Response {
        let upload = try await BulkUploads.visible(PathParameter.id.value(in: req), to: principal, on: req.sql)
        let report = BulkReport.decode(upload.report)
        let status = upload.bulkStatus
        func item(_ p: BulkReport.Problem) -> ProblemItem {
            ProblemItem(sheet: p.sheet, row: p.row, column: p.column ?? "", message: p.message)
        }
        let shown = 200
        let tag: String =
            switch status {
            case .invalid, .failed: "nhsuk-tag--red"
            case .valid, .queued: "nhsuk-tag--blue"
            case .applying: "nhsuk-tag--yellow"
            case .applied: "nhsuk-tag--green"
            }
        return try await req.render(
            "bulk/show",
            req.chrome(
                upload.filename, breadcrumbs: [.init(text: "Bulk registration", href: SiteURL.bulk.path)],
                errors: errors, notice: req.notice),
            ShowPage(
                id: upload.id.uuidString.lowercased(), filename: upload.filename, kind: Self.kindName(upload.bulkKind),
                organisation: upload.organisationName, uploader: upload.uploaderName,
                when: Format.dateTime(upload.createdAt), status: status.label, statusTag: tag, rows: report.rows,
                summary: report.summary, mailboxes: report.mailboxes,
                problems: report.problems.prefix(shown).map(item), problemCount: report.problems.count,
                moreProblems: max(0, report.problems.count - shown), notes: report.notes.prefix(shown).map(item),
                hasNotes: !report.notes.isEmpty,
                planned: report.problems.isEmpty
                    ? report.planned.prefix(shown).map {
                        PlannedItem(sheet: $0.sheet, row: $0.row, name: $0.name, place: $0.place, action: $0.action)
                    } : [],
                morePlanned: report.problems.isEmpty ? max(0, report.planned.count - shown) : 0,
                method: upload.activationMethod == ActivationMethod.automated.rawValue
                    ? "Each person was sent a security code and a temporary password by text"
                    : "The accounts wait for an administrator to phone each person and activate it",
                isInvalid: status == .invalid,
                canApply: BulkUploads.canApply(upload, principal: principal),
                waitingForTeam: status == .valid && !BulkUploads.canApply(upload, principal: principal),
                inProgress: [.queued, .applying].contains(status), progress: Self.progress(upload),
                isApplied: status == .applied, isFailed: status == .failed, purged: upload.purgedAt != nil,
                reportHref: SiteURL.bulkReport(upload.id).path, resultsHref: SiteURL.bulkResults(upload.id).path,
                applyHref: SiteURL.bulkApply(upload.id).path, progressHref: SiteURL.bulkProgress(upload.id).path,
                selfHref: SiteURL.bulkUpload(upload.id).path,
                counts: Counts(
                    created: upload.createdCount, updated: upload.updatedCount, unchanged: upload.unchangedCount,
                    left: upload.leftCount, mailboxes: upload.mailboxesCreated),
                fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    struct ApplyForm: Content { var method: String? }

    func apply(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let upload = try await BulkUploads.visible(PathParameter.id.value(in: req), to: principal, on: req.sql)
        let form = try req.content.decode(ApplyForm.self)
        guard let method = form.method.flatMap(ActivationMethod.init(rawValue:)) else {
            return try await renderShow(
                req, principal: principal,
                errors: ValidationErrors([
                    FieldError(field: "method", message: "Choose how people will get their sign-in details")
                ]))
        }
        let started = try await req.bulkRegistration.apply(upload, method: method, principal: principal)
        guard started else {
            // Already applied, or not this person's to apply: the page says where it is.
            return req.redirect(to: SiteURL.bulkUpload(upload.id).path, redirectType: .normal)
        }
        return req.seeOther(.bulkUpload(upload.id), notice: Notices.applyQueued)
    }

    func progress(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let upload = try await BulkUploads.visible(
            PathParameter.id.value(in: req), to: principal, on: req.sql, withReport: false)
        let response = try await Self.progress(upload).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    func report(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let upload = try await BulkUploads.visible(
            PathParameter.id.value(in: req), to: principal, on: req.sql, withContent: true)
        guard upload.purgedAt == nil else {
            throw Abort(.gone, reason: "This sheet has been deleted after its retention period")
        }
        let sheets = try BulkUploads.reportSheet(upload)
        try await req.audit(
            AuditEntry("bulk.report_downloaded", target: "bulk_upload", id: upload.id.uuidString), on: req.sql)
        return download(
            BulkFile.write(sheets, as: upload.bulkFormat), name: BulkUploads.downloadName(upload, "report"),
            format: upload.bulkFormat
        )
    }

    func results(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let upload = try await BulkUploads.visible(PathParameter.id.value(in: req), to: principal, on: req.sql)
        guard upload.purgedAt == nil else {
            throw Abort(.gone, reason: "These results have been deleted after their retention period")
        }
        guard [.applied, .failed, .applying].contains(upload.bulkStatus) else { throw Abort(.notFound) }
        let sheets = try await BulkUploads.resultsSheet(upload, on: req.sql)
        try await req.audit(
            AuditEntry("bulk.results_downloaded", target: "bulk_upload", id: upload.id.uuidString), on: req.sql)
        return download(
            BulkFile.write(sheets, as: upload.bulkFormat), name: BulkUploads.downloadName(upload, "results"),
            format: upload.bulkFormat)
    }
}
