import Foundation
import OnboardDomain
import OpenAPIRuntime
import SQLKit
import Vapor

/// Migration projects through the API: the same services, scope and audit as the pages.
extension APIHandler {
    /// Runs a migration operation, turning the services' errors into problems.
    private func migration<T: Sendable>(_ body: (Request, Principal) async throws -> T) async throws -> T {
        let (req, principal) = try context()
        do {
            return try await body(req, principal)
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        } catch let abort as Abort where abort.status == .notFound {
            throw APIProblem(status: .notFound, detail: "No migration project or item with that id is yours to see.")
        } catch let abort as Abort where [.conflict, .forbidden, .gone].contains(abort.status) {
            throw APIProblem(status: abort.status, detail: abort.reason)
        }
    }

    private static func project(_ id: String, req: Request, principal: Principal, open: Bool = false)
        async throws -> MigrationProjectRow
    {
        let project = try await MigrationProjects.visible(UUID(uuidString: id), to: principal, on: req.sql)
        if open, project.isLive {
            throw APIProblem(status: .conflict, detail: "This project is live: its record can no longer be changed.")
        }
        return project
    }

    func listMigrationProjects(_ input: Operations.ListMigrationProjects.Input) async throws
        -> Operations.ListMigrationProjects.Output
    {
        try await migration { req, principal in
            let rows = try await MigrationProjects.list(for: principal, on: req.sql)
            return .ok(.init(body: .json(rows.map { Self.projectBody($0) })))
        }
    }

    func startMigrationProject(_ input: Operations.StartMigrationProject.Input) async throws
        -> Operations.StartMigrationProject.Output
    {
        try await migration { req, principal in
            guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
            let id = try await req.migrationProjects.start(
                ods: body.organisation, ism: body.ism.flatMap(UUID.init(uuidString:)), principal: principal)
            return .created(.init(body: .json(try await Self.detail(id, req: req, principal: principal))))
        }
    }

    func getMigrationProject(_ input: Operations.GetMigrationProject.Input) async throws
        -> Operations.GetMigrationProject.Output
    {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal)
            return .ok(.init(body: .json(try await Self.detail(project.id, req: req, principal: principal))))
        }
    }

    func chooseMigrationOption(_ input: Operations.ChooseMigrationOption.Input) async throws
        -> Operations.ChooseMigrationOption.Output
    {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal, open: true)
            guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
            try await req.migrationProjects.chooseOption(project, option: body.option?.rawValue, reason: body.reason)
            return .ok(.init(body: .json(try await Self.detail(project.id, req: req, principal: principal))))
        }
    }

    func saveProjectInitiation(_ input: Operations.SaveProjectInitiation.Input) async throws
        -> Operations.SaveProjectInitiation.Output
    {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal, open: true)
            guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
            try await req.migrationProjects.saveInitiation(
                project, scope: body.scope, mailboxCount: body.mailboxCount.map(String.init),
                dataVolumeGB: body.dataVolumeGB.map(String.init), currentSystem: body.currentSystem,
                keyContacts: body.keyContacts, risks: body.risks)
            return .ok(.init(body: .json(try await Self.detail(project.id, req: req, principal: principal))))
        }
    }

    func setGoLive(_ input: Operations.SetGoLive.Input) async throws -> Operations.SetGoLive.Output {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal, open: true)
            guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
            try await req.migrationProjects.setGoLive(project, date: body.date)
            return .ok(.init(body: .json(try await Self.detail(project.id, req: req, principal: principal))))
        }
    }

    func exportMigrationPlan(_ input: Operations.ExportMigrationPlan.Input) async throws
        -> Operations.ExportMigrationPlan.Output
    {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal)
            return .ok(.init(body: .csv(HTTPBody(try await req.migrationProjects.exportPlan(project)))))
        }
    }

    func completeMigrationTask(_ input: Operations.CompleteMigrationTask.Input) async throws
        -> Operations.CompleteMigrationTask.Output
    {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal, open: true)
            guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
            guard
                try await MigrationProjects.tasks(of: project.id, on: req.sql).contains(where: {
                    $0.key == input.path.key
                })
            else { throw APIProblem(status: .notFound, detail: "The plan has no task \(input.path.key).") }
            let done = try await req.migrationProjects.completeTask(
                project, key: input.path.key, evidence: body.evidence, by: principal.accountID)
            guard done else { throw APIProblem(status: .conflict, detail: "This task is already done.") }
            return .ok(.init(body: .json(try await Self.detail(project.id, req: req, principal: principal))))
        }
    }

    func tickChecklistItem(_ input: Operations.TickChecklistItem.Input) async throws
        -> Operations.TickChecklistItem.Output
    {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal, open: true)
            guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
            guard
                try await MigrationProjects.checklist(of: project.id, on: req.sql).contains(where: {
                    $0.key == input.path.key
                })
            else { throw APIProblem(status: .notFound, detail: "The checklist has no item \(input.path.key).") }
            let ticked = try await req.migrationProjects.tick(
                project, key: input.path.key, evidence: body.evidence, by: principal.accountID)
            guard ticked else { throw APIProblem(status: .conflict, detail: "This item is already ticked.") }
            return .ok(.init(body: .json(try await Self.detail(project.id, req: req, principal: principal))))
        }
    }

    func confirmGoLive(_ input: Operations.ConfirmGoLive.Input) async throws -> Operations.ConfirmGoLive.Output {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal, open: true)
            let blockers = try await req.migrationProjects.confirmGoLive(project, by: principal.accountID)
            guard blockers.isEmpty else {
                throw APIProblem(
                    status: .conflict,
                    detail: "Go-live cannot be confirmed yet: " + blockers.messages.joined(separator: "; ") + ".")
            }
            return .ok(.init(body: .json(try await Self.detail(project.id, req: req, principal: principal))))
        }
    }

    func uploadTransferBatch(_ input: Operations.UploadTransferBatch.Input) async throws
        -> Operations.UploadTransferBatch.Output
    {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal, open: true)
            guard case .multipartForm(let parts) = input.body else {
                throw APIProblem(status: .badRequest, detail: "Send multipart/form-data with the file.")
            }
            var bytes: [UInt8]?
            var filename = "upload"
            try await APIMultipart.each(parts) { part in
                switch part {
                case .file(let file):
                    filename = file.filename ?? filename
                    bytes = try await APIMultipart.bytes(
                        file.payload.body, limit: BodyLimits.transfer.value, field: "file",
                        tooLarge: "The batch is larger than 100 MB. Send it in smaller batches")
                case .undocumented(let other):
                    try await APIMultipart.skip(other.body)
                }
            }
            guard let bytes, !bytes.isEmpty else {
                throw ValidationErrors([FieldError(field: "file", message: "Send the batch as the file part")])
            }
            let id = try await req.migrationProjects.receiveBatch(
                bytes, filename: filename, project: project, by: principal.accountID)
            return .accepted(.init(body: .json(try await Self.batchBody(id, project: project.id, on: req.sql))))
        }
    }

    func getTransferBatch(_ input: Operations.GetTransferBatch.Input) async throws
        -> Operations.GetTransferBatch.Output
    {
        try await migration { req, principal in
            let project = try await Self.project(input.path.id, req: req, principal: principal)
            guard let id = UUID(uuidString: input.path.batch) else { throw Abort(.notFound) }
            return .ok(.init(body: .json(try await Self.batchBody(id, project: project.id, on: req.sql))))
        }
    }

    func removeTransferItem(_ input: Operations.RemoveTransferItem.Input) async throws
        -> Operations.RemoveTransferItem.Output
    {
        try await migration { req, principal in
            let item = try await Self.deal(input.path.id, input.path.item, .remove, req: req, principal: principal)
            return .ok(.init(body: .json(item)))
        }
    }

    func releaseTransferItem(_ input: Operations.ReleaseTransferItem.Input) async throws
        -> Operations.ReleaseTransferItem.Output
    {
        try await migration { req, principal in
            guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
            let item = try await Self.deal(
                input.path.id, input.path.item, .release(reason: body.reason), req: req, principal: principal)
            return .ok(.init(body: .json(item)))
        }
    }

    private static func deal(
        _ projectID: String, _ itemID: String, _ dealing: TransferBatches.Dealing, req: Request, principal: Principal
    ) async throws -> Components.Schemas.TransferItem {
        let project = try await Self.project(projectID, req: req, principal: principal, open: true)
        guard MigrationProjects.isAssignedISM(project, principal) else {
            throw APIProblem(
                status: .forbidden, detail: "Only the project's implementation support manager deals with quarantine.")
        }
        let item = try await TransferBatches.item(UUID(uuidString: itemID), of: project.id, on: req.sql)
        try await req.migrationProjects.deal(item, dealing, by: principal)
        return itemBody(try await TransferBatches.item(item.id, of: project.id, on: req.sql))
    }

    // MARK: Guidance

    func listGuidance(_ input: Operations.ListGuidance.Input) async throws -> Operations.ListGuidance.Output {
        let (req, _) = try context()
        let items = try await Guidance.items(on: req.sql)
        return .ok(
            .init(
                body: .json(items.map { .init(key: $0.key, title: $0.title, url: $0.url, audience: $0.audience) })))
    }

    func updateGuidance(_ input: Operations.UpdateGuidance.Input) async throws -> Operations.UpdateGuidance.Output {
        let (req, _) = try context()
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        guard let item = try await Guidance.items(on: req.sql).first(where: { $0.key == input.path.key }) else {
            throw APIProblem(status: .notFound, detail: "No guidance has the key \(input.path.key).")
        }
        do {
            let saved = try await GuidanceController.save(
                item, title: body.title, url: body.url, audience: body.audience, req: req)
            return .ok(
                .init(body: .json(.init(key: saved.key, title: saved.title, url: saved.url, audience: saved.audience))))
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        }
    }

    // MARK: Bodies

    static func projectBody(
        _ row: MigrationProjectRow, tasks: [MigrationTaskRow] = [], checklist: [ChecklistRow] = [],
        gate: String? = nil, batches: [Components.Schemas.TransferBatch] = [], today: Day = Day(ordinal: 0)
    ) -> Components.Schemas.MigrationProject {
        .init(
            id: row.id.uuidString.lowercased(), organisation: row.odsCode ?? "",
            organisationName: row.organisationName,
            organisationStatus: row.organisationStatus, ism: row.ismID?.uuidString.lowercased(),
            ismName: row.ismName,
            option: row.option.flatMap(Components.Schemas.MigrationProject.OptionPayload.init(rawValue:)),
            optionReason: row.optionReason, goLive: row.goLive?.iso, status: row.isLive ? .live : .open,
            initiation: .init(
                scope: row.scope, mailboxCount: row.mailboxCount, dataVolumeGB: row.dataVolumeGB,
                currentSystem: row.currentSystem, keyContacts: row.keyContacts, risks: row.risks),
            tasks: tasks.map { task in
                .init(
                    key: task.key, title: task.title,
                    owner: Components.Schemas.MigrationTask.OwnerPayload(rawValue: task.owner) ?? .organisation,
                    start: task.start.iso, end: task.end.iso, done: task.doneAt != nil,
                    late: task.doneAt == nil && task.end < today, problem: row.goLive == nil ? nil : task.problem,
                    evidence: task.evidence)
            },
            checklist: checklist.map {
                .init(
                    key: $0.key, title: $0.title, mandatory: $0.mandatory, ticked: $0.tickedAt != nil,
                    evidence: $0.evidence)
            }, gatePasses: gate == nil, gateProblem: gate, batches: batches)
    }

    static func detail(_ id: UUID, req: Request, principal: Principal) async throws
        -> Components.Schemas.MigrationProject
    {
        let row = try await MigrationProjects.visible(id, to: principal, on: req.sql)
        let batches = try await TransferBatches.batches(of: id, on: req.sql)
        return projectBody(
            row, tasks: try await MigrationProjects.tasks(of: id, on: req.sql),
            checklist: try await MigrationProjects.checklist(of: id, on: req.sql),
            gate: try await TransferBatches.gateProblem(id, on: req.sql),
            batches: batches.map { batchSummary($0, items: []) }, today: Day.today(req.now))
    }

    static func batchSummary(_ batch: TransferBatchRow, items: [TransferItemRow]) -> Components.Schemas.TransferBatch {
        .init(
            id: batch.id.uuidString.lowercased(), filename: batch.filename, bytes: batch.byteCount,
            status: Components.Schemas.TransferBatch.StatusPayload(rawValue: batch.status) ?? .queued,
            itemsTotal: batch.itemsTotal, itemsDone: batch.itemsDone, quarantined: batch.quarantined,
            scannerNote: batch.scannerNote, items: items.map(itemBody))
    }

    static func batchBody(_ id: UUID, project: UUID, on sql: any SQLDatabase) async throws
        -> Components.Schemas.TransferBatch
    {
        let batch = try await TransferBatches.batch(id, of: project, on: sql)
        return batchSummary(batch, items: try await TransferBatches.items(of: id, on: sql))
    }

    static func itemBody(_ item: TransferItemRow) -> Components.Schemas.TransferItem {
        .init(
            id: item.id.uuidString.lowercased(), path: item.path, bytes: item.byteCount,
            state: Components.Schemas.TransferItem.StatePayload(rawValue: item.state) ?? .waiting, detail: item.detail,
            releaseReason: item.releaseReason)
    }
}
