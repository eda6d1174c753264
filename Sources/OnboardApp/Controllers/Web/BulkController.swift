import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Bulk registration pages: templates, the data sharing agreement, uploading a sheet, its report, applying
/// it with progress, and the downloads.
struct BulkController {
    struct UploadItem: Encodable {
        let href: String
        let filename: String
        let kind: String
        let organisation: String
        let uploader: String
        let when: String
        let status: String
    }

    struct TemplateLink: Encodable {
        let title: String
        let csv: String
        let xlsx: String
    }

    struct ListPage: Encodable {
        let uploads: [UploadItem]
        let hasUploads: Bool
        let canUpload: Bool
        let templates: [TemplateLink]
        let needsAgreement: Bool
    }

    static func kindName(_ kind: BulkSheet.Kind?) -> String {
        switch kind {
        case .pharmacyMultiple: "Pharmacy multiple registration"
        case .accounts: "Accounts"
        case nil: "Unknown"
        }
    }

    func list(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let rows = try await BulkUploads.list(for: principal, on: req.sql)
        let kinds = BulkUploads.kinds(for: principal)
        let needsAgreement = try await agreementOwed(req, principal: principal)
        return try await req.render(
            "bulk/list",
            req.chrome(
                "Bulk registration", breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)], notice: req.notice),
            ListPage(
                uploads: rows.map {
                    UploadItem(
                        href: SiteURL.bulkUpload($0.id).path, filename: $0.filename, kind: Self.kindName($0.bulkKind),
                        organisation: $0.organisationName, uploader: $0.uploaderName,
                        when: Format.dateTime($0.createdAt), status: $0.bulkStatus.label)
                }, hasUploads: !rows.isEmpty, canUpload: !kinds.isEmpty,
                templates: kinds.map { kind in
                    TemplateLink(
                        title: Self.kindName(kind),
                        csv: SiteURL.bulkTemplate(BulkFile.filename(kind, "template", format: .csv)).path,
                        xlsx: SiteURL.bulkTemplate(BulkFile.filename(kind, "template", format: .xlsx)).path)
                }, needsAgreement: needsAgreement))
    }

    /// A super user owes the agreement's current version before sending staff details.
    func agreementOwed(_ req: Request, principal: Principal) async throws -> Bool {
        guard let owner = try await BulkOwner.of(principal, kind: .pharmacyMultiple, on: req.sql) else { return false }
        return !(try await DataSharingAgreement.accepted(by: owner.organisation, on: req.sql))
    }

    func template(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let file = PathParameter.file.value(in: req) ?? ""
        for kind in BulkSheet.Kind.allCases {
            for format in [BulkFormat.csv, .xlsx] where BulkFile.filename(kind, "template", format: format) == file {
                try await req.audit(
                    AuditEntry("bulk.template_downloaded", target: "bulk_template", id: file), on: req.sql)
                return download(BulkFile.write(BulkFile.template(kind), as: format), name: file, format: format)
            }
        }
        throw Abort(.notFound)
    }

    func download(_ bytes: [UInt8], name: String, format: BulkFormat) -> Response {
        let response = Response(status: .ok, body: .init(data: Data(bytes)))
        response.headers.replaceOrAdd(name: .contentType, value: format.contentType)
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct AgreementPage: Encodable {
        let version: String
        let summary: String
        let organisation: String
        let accepted: Bool
        let fieldErrors: [String: String]
    }

    func agreementPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await renderAgreement(req, principal: principal, errors: .init())
    }

    private func renderAgreement(_ req: Request, principal: Principal, errors: ValidationErrors) async throws
        -> Response
    {
        guard let owner = try await BulkOwner.of(principal, kind: .pharmacyMultiple, on: req.sql) else {
            throw Abort(.notFound)
        }
        return try await req.render(
            "bulk/agreement",
            req.chrome(
                "Data sharing agreement", breadcrumbs: [.init(text: "Bulk registration", href: SiteURL.bulk.path)],
                errors: errors),
            AgreementPage(
                version: DataSharingAgreement.version, summary: DataSharingAgreement.summary, organisation: owner.name,
                accepted: try await DataSharingAgreement.accepted(by: owner.organisation, on: req.sql),
                fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    struct AgreementForm: Content { var agree: String? }

    func acceptAgreement(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        guard let owner = try await BulkOwner.of(principal, kind: .pharmacyMultiple, on: req.sql) else {
            throw Abort(.notFound)
        }
        let form = try req.content.decode(AgreementForm.self)
        guard form.agree == "yes" else {
            return try await renderAgreement(
                req, principal: principal,
                errors: ValidationErrors([
                    FieldError(field: "agree", message: "Confirm that your organisation agrees to share this data")
                ]))
        }
        let context = req.auditContext
        let now = req.now
        try await req.inTransaction { sql in
            try await DataSharingAgreement.accept(
                organisation: owner.organisation, by: principal.accountID, context: context, now: now, on: sql)
        }
        return req.seeOther(.bulkNew, notice: Notices.agreementAccepted)
    }

    struct KindOption: Encodable {
        let value: String
        let text: String
        let hint: String
        let checked: Bool
    }

    struct NewPage: Encodable {
        let kinds: [KindOption]
        let singleKind: KindOption?
        let fieldErrors: [String: String]
    }

    func newPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        if try await agreementOwed(req, principal: principal), BulkUploads.kinds(for: principal) == [.pharmacyMultiple]
        {
            return req.redirect(to: SiteURL.bulkAgreement.path)
        }
        return try await renderNew(req, principal: principal, kind: nil, errors: .init())
    }

    private func renderNew(_ req: Request, principal: Principal, kind: String?, errors: ValidationErrors) async throws
        -> Response
    {
        let kinds = BulkUploads.kinds(for: principal)
        guard !kinds.isEmpty else { throw Abort(.forbidden, reason: "Your role does not send registration sheets.") }
        let options = kinds.map { option in
            KindOption(
                value: option.rawValue, text: Self.kindName(option),
                hint: option == .pharmacyMultiple
                    ? "Your stores and their staff, on the stores and users sheets"
                    : "People in the organisations you administer, one row each",
                checked: kinds.count == 1 || kind == option.rawValue)
        }
        return try await req.render(
            "bulk/new",
            req.chrome(
                "Upload a registration sheet", breadcrumbs: [.init(text: "Bulk registration", href: SiteURL.bulk.path)],
                errors: errors, notice: req.notice),
            NewPage(kinds: options, singleKind: options.count == 1 ? options[0] : nil, fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    struct UploadForm: Content {
        var kind: String?
        var file: File?
    }

    func upload(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let form = try req.content.decode(UploadForm.self)
        let kinds = BulkUploads.kinds(for: principal)
        var errors = ValidationErrors()
        let kind = form.kind.flatMap(BulkSheet.Kind.init(rawValue:)) ?? (kinds.count == 1 ? kinds[0] : nil)
        if kind == nil || !kinds.contains(kind!) { errors.add("kind", "Choose what the sheet registers") }
        guard let file = form.file, file.data.readableBytes > 0 else {
            errors.add("file", "Choose the file to upload: an Excel workbook (.xlsx) or a CSV file")
            return try await renderNew(req, principal: principal, kind: form.kind, errors: errors)
        }
        guard let kind, errors.isEmpty else {
            return try await renderNew(req, principal: principal, kind: form.kind, errors: errors)
        }
        if kind == .pharmacyMultiple, try await agreementOwed(req, principal: principal) {
            return req.redirect(to: SiteURL.bulkAgreement.path)
        }
        let bytes = Array(file.data.readableBytesView)
        let settings = req.settings
        let context = req.auditContext
        let now = req.now
        do {
            let received = try await req.inTransaction { sql in
                try await BulkUploads.receive(
                    bytes, filename: file.filename, kind: kind, principal: principal, settings: settings,
                    context: context, now: now, on: sql)
            }
            return req.redirect(to: SiteURL.bulkUpload(received.id).path, redirectType: .normal)
        } catch let unreadable as UnreadableSheet {
            return try await renderNew(
                req, principal: principal, kind: form.kind,
                errors: ValidationErrors([FieldError(field: "file", message: unreadable.message)]))
        }
    }

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
        let context = req.auditContext
        let now = req.now
        let started = try await req.inTransaction { sql in
            try await BulkUploads.apply(
                upload, method: method, principal: principal, context: context, now: now, on: sql)
        }
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
            BulkFile.write(sheets, as: upload.bulkFormat), name: reportName(upload, "report"), format: upload.bulkFormat
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
            BulkFile.write(sheets, as: upload.bulkFormat), name: reportName(upload, "results"),
            format: upload.bulkFormat)
    }

    func reportName(_ upload: BulkUploadRow, _ suffix: String) -> String {
        let base = upload.filename.split(separator: ".").dropLast().joined(separator: ".")
        let safe = String(
            (base.isEmpty ? "sheet" : base).filter { $0.isLetter || $0.isNumber || "-_ ".contains($0) }.prefix(80))
        return "\(safe.isEmpty ? "sheet" : safe)-\(suffix).\(upload.bulkFormat.rawValue)"
    }
}
