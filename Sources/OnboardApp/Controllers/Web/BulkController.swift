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
        let needsAgreement = try await req.bulkRegistration.agreementOwed(by: principal)
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
        try await req.bulkRegistration.acceptAgreement(for: owner, by: principal.accountID)
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
        if try await req.bulkRegistration.agreementOwed(by: principal),
            BulkUploads.kinds(for: principal) == [.pharmacyMultiple]
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
        let service = req.bulkRegistration
        if kind == .pharmacyMultiple, try await service.agreementOwed(by: principal) {
            return req.redirect(to: SiteURL.bulkAgreement.path)
        }
        do {
            let received = try await service.receive(
                Array(file.data.readableBytesView), filename: file.filename, kind: kind, principal: principal)
            return req.redirect(to: SiteURL.bulkUpload(received.id).path, redirectType: .normal)
        } catch let unreadable as UnreadableSheet {
            return try await renderNew(
                req, principal: principal, kind: form.kind,
                errors: ValidationErrors([FieldError(field: "file", message: unreadable.message)]))
        }
    }
}
