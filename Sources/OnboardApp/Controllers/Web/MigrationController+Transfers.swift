import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Transfer batches and the malware gate: uploading, progress, items, and the ISM dealing with quarantine.
extension MigrationController {
    struct BatchLink: Encodable {
        let href: String
        let filename: String
        let uploader: String
        let when: String
        let status: String
        let items: Int
        let quarantined: Int
    }

    struct TransfersPage: Encodable {
        let organisation: String
        let batches: [BatchLink]
        let hasBatches: Bool
        let gate: String?
        let action: String
        let isLive: Bool
        let fieldErrors: [String: String]
    }

    func transfers(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await project(req, principal)
        return try await renderTransfers(req, project: project, errors: .init())
    }

    private func renderTransfers(_ req: Request, project: MigrationProjectRow, errors: ValidationErrors)
        async throws -> Response
    {
        let batches = try await TransferBatches.batches(of: project.id, on: req.sql)
        return try await req.render(
            "migration/transfers",
            req.chrome(
                "Data transfer",
                breadcrumbs: [
                    .init(text: "Migration projects", href: SiteURL.migrations.path),
                    .init(text: project.organisationName, href: SiteURL.migration(project.id).path),
                ], errors: errors, notice: req.notice),
            TransfersPage(
                organisation: project.organisationName,
                batches: batches.map {
                    BatchLink(
                        href: SiteURL.migrationBatch(project.id, batch: $0.id).path,
                        filename: $0.filename, uploader: $0.uploaderName, when: Format.dateTime($0.createdAt),
                        status: $0.batchStatus.label, items: $0.itemsTotal, quarantined: $0.quarantined)
                }, hasBatches: !batches.isEmpty,
                gate: batches.isEmpty ? nil : try await TransferBatches.gateProblem(project.id, on: req.sql),
                action: SiteURL.migrationTransfers(project.id).path, isLive: project.isLive, fieldErrors: errors.byField
            ),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    struct BatchForm: Content { var file: File? }

    func upload(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let form = try req.content.decode(BatchForm.self)
        guard let file = form.file, file.data.readableBytes > 0 else {
            return try await renderTransfers(
                req, project: project,
                errors: ValidationErrors([
                    FieldError(field: "file", message: "Choose the file to upload: an mbox, .eml, zip or document")
                ]))
        }
        let id = try await req.migrationProjects.receiveBatch(
            Array(file.data.readableBytesView), filename: file.filename, project: project, by: principal.accountID)
        return req.seeOther(
            .migrationBatch(project.id, batch: id), notice: Notices.batchQueued)
    }

    static func progress(_ batch: TransferBatchRow) -> BulkController.Progress {
        let scanned = batch.batchStatus == .scanned
        let total = batch.itemsTotal
        let done = scanned ? total : batch.itemsDone
        let percent = total == 0 ? (scanned ? 100 : 0) : Int((Double(done) / Double(total) * 100).rounded(.down))
        let text =
            batch.batchStatus == .waitingForScanner
            ? "Waiting for the malware scanner: \(done) of \(total) items scanned. Nothing is passed until it is back."
            : total == 0 ? "Opening the file" : "\(done) of \(total) items scanned (\(percent)%)"
        return BulkController.Progress(
            status: batch.status, label: batch.batchStatus.label, done: done, total: total, percent: percent,
            finished: scanned, text: text)
    }

    struct ItemEntry: Encodable {
        let path: String
        let size: String
        let state: String
        let tag: String
        let detail: String?
        let reason: String?
        let by: String?
        let quarantined: Bool
        let href: String
    }

    struct BatchPage: Encodable {
        let organisation: String
        let filename: String
        let status: String
        let progress: BulkController.Progress
        let progressHref: String
        let selfHref: String
        let scanned: Bool
        let items: [ItemEntry]
        let counts: [String: Int]
        let quarantined: Int
        let canDeal: Bool
        let gate: String?
        let note: String?
    }

    static func tag(_ state: ItemState) -> String {
        switch state {
        case .clean: "nhsuk-tag--green"
        case .infected: "nhsuk-tag--red"
        case .notScanned: "nhsuk-tag--orange"
        case .waiting: "nhsuk-tag--grey"
        case .removed, .released: "nhsuk-tag--blue"
        }
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1_048_576
            ? String(format: "%.1f MB", Double(bytes) / 1_048_576)
            : bytes >= 1024 ? "\(bytes / 1024) KB" : "\(bytes) bytes"
    }

    func batch(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await project(req, principal)
        let batch = try await TransferBatches.batch(PathParameter.batch.value(in: req), of: project.id, on: req.sql)
        let items = try await TransferBatches.items(of: batch.id, on: req.sql)
        let counts = try await TransferBatches.counts(of: batch.id, on: req.sql)
        return try await req.render(
            "migration/batch",
            req.chrome(
                batch.filename,
                breadcrumbs: [
                    .init(text: project.organisationName, href: SiteURL.migration(project.id).path),
                    .init(text: "Data transfer", href: SiteURL.migrationTransfers(project.id).path),
                ], notice: req.notice),
            BatchPage(
                organisation: project.organisationName, filename: batch.filename, status: batch.batchStatus.label,
                progress: Self.progress(batch),
                progressHref: SiteURL.migrationBatchProgress(project.id, batch: batch.id).path,
                selfHref: SiteURL.migrationBatch(project.id, batch: batch.id).path,
                scanned: batch.batchStatus == .scanned,
                items: items.map { item in
                    ItemEntry(
                        path: item.path, size: Self.size(item.byteCount), state: item.itemState.label,
                        tag: Self.tag(item.itemState), detail: item.detail, reason: item.releaseReason,
                        by: item.dealtByName, quarantined: item.itemState.isQuarantined,
                        href: SiteURL.migrationItem(project.id, item: item.id).path)
                }, counts: counts,
                quarantined: batch.quarantined,
                canDeal: MigrationProjects.isAssignedISM(project, principal) && !project.isLive,
                gate: try await TransferBatches.gateProblem(project.id, on: req.sql),
                note: batch.batchStatus == .waitingForScanner ? batch.scannerNote : nil))
    }

    func batchProgress(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await project(req, principal)
        let batch = try await TransferBatches.batch(PathParameter.batch.value(in: req), of: project.id, on: req.sql)
        let response = try await Self.progress(batch).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // MARK: Dealing with quarantine (the assigned ISM only)

    struct ItemPage: Encodable {
        let organisation: String
        let path: String
        let size: String
        let state: String
        let tag: String
        let detail: String?
        let action: String
        let contentHref: String?
        let batchHref: String
        let choice: String
        let reason: String
        let fieldErrors: [String: String]
    }

    private func assignedItem(_ req: Request, _ principal: Principal) async throws -> (
        MigrationProjectRow, TransferItemRow
    ) {
        let project = try await openProject(req, principal)
        guard MigrationProjects.isAssignedISM(project, principal) else {
            throw Abort(.forbidden, reason: "Only the project's implementation support manager deals with quarantine.")
        }
        let item = try await TransferBatches.item(PathParameter.item.value(in: req), of: project.id, on: req.sql)
        return (project, item)
    }

    func itemPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let (project, item) = try await assignedItem(req, principal)
        return try await renderItem(req, project: project, item: item, form: DealForm(), errors: .init())
    }

    private func renderItem(
        _ req: Request, project: MigrationProjectRow, item: TransferItemRow, form: DealForm, errors: ValidationErrors
    ) async throws -> Response {
        try await req.render(
            "migration/item",
            req.chrome(
                "Deal with a quarantined item",
                backLink: SiteURL.migrationBatch(project.id, batch: item.batchID).path, errors: errors),
            ItemPage(
                organisation: project.organisationName, path: item.path, size: Self.size(item.byteCount),
                state: item.itemState.label, tag: Self.tag(item.itemState), detail: item.detail,
                action: req.url.path,
                contentHref: item.hasContent
                    ? SiteURL.migrationItemContent(project.id, item: item.id).path : nil,
                batchHref: SiteURL.migrationBatch(project.id, batch: item.batchID).path,
                choice: form.action ?? "", reason: form.reason ?? "", fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    struct DealForm: Content {
        var action: String?
        var reason: String?
    }

    func deal(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let (project, item) = try await assignedItem(req, principal)
        let form = try req.content.decode(DealForm.self)
        let dealing: TransferBatches.Dealing
        switch form.action {
        case "remove": dealing = .remove
        case "release": dealing = .release(reason: form.reason)
        default:
            return try await renderItem(
                req, project: project, item: item, form: form,
                errors: ValidationErrors([
                    FieldError(field: "action", message: "Choose whether to remove the item or release it")
                ]))
        }
        do {
            try await req.migrationProjects.deal(item, dealing, by: principal)
        } catch let errors as ValidationErrors {
            return try await renderItem(req, project: project, item: item, form: form, errors: errors)
        }
        let notice = form.action == "remove" ? Notices.itemRemoved : Notices.itemReleased
        return req.seeOther(
            .migrationBatch(project.id, batch: item.batchID), notice: notice)
    }

    /// The quarantined bytes, for the ISM to examine: always a download, never shown inline.
    func content(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await project(req, principal)
        guard MigrationProjects.isAssignedISM(project, principal) else { throw Abort(.notFound) }
        let item = try await TransferBatches.item(PathParameter.item.value(in: req), of: project.id, on: req.sql)
        guard let content = try await TransferBatches.quarantinedContent(item.id, on: req.sql) else {
            throw Abort(.gone, reason: "The quarantined content was purged after its retention period.")
        }
        try await req.audit(
            AuditEntry("migration.quarantine_read", target: "transfer_item", id: item.id.uuidString), on: req.sql)
        let response = Response(status: .ok, body: .init(data: content))
        response.headers.replaceOrAdd(name: .contentType, value: "application/octet-stream")
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"quarantined-\(item.position + 1).bin\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
