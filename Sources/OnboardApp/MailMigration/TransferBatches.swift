import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Where a batch is: waiting for a worker, being scanned, waiting for clamd to come back, or scanned.
enum BatchStatus: String, Sendable {
    case queued, scanning
    case waitingForScanner = "waiting_for_scanner"
    case scanned

    var label: String {
        switch self {
        case .queued: "Queued: scanning starts soon"
        case .scanning: "Being scanned"
        case .waitingForScanner: "Waiting for the malware scanner"
        case .scanned: "Scanned"
        }
    }
}

/// An item's state as stored; `TransferGate.State` is the domain's view of it.
enum ItemState: String, Sendable, CaseIterable {
    case waiting, clean, infected
    case notScanned = "not_scanned"
    case removed, released

    var label: String {
        switch self {
        case .waiting: "Waiting"
        case .clean: "Clean"
        case .infected: "Infected"
        case .notScanned: "Not scanned"
        case .removed: "Removed"
        case .released: "Released"
        }
    }

    var isQuarantined: Bool { self == .infected || self == .notScanned }

    static func stored(_ state: TransferGate.State) -> (ItemState, String?) {
        switch state {
        case .waiting: (.waiting, nil)
        case .clean: (.clean, nil)
        case .infected(let signature): (.infected, signature)
        case .notScanned(let reason): (.notScanned, reason)
        case .removed: (.removed, nil)
        case .released(_, let reason): (.released, reason)
        }
    }
}

struct TransferBatchRow: Decodable, Sendable {
    let id: UUID
    let projectID: UUID
    let filename: String
    let byteCount: Int
    let uploaderName: String
    let status: String
    let itemsTotal: Int
    let itemsDone: Int
    let scannerNote: String?
    let createdAt: Date
    let finishedAt: Date?
    let quarantined: Int

    var batchStatus: BatchStatus { BatchStatus(rawValue: status) ?? .queued }
}

struct TransferItemRow: Decodable, Sendable {
    let id: UUID
    let batchID: UUID
    let position: Int
    let path: String
    let byteCount: Int
    let state: String
    let detail: String?
    let releaseReason: String?
    let dealtByName: String?
    let hasContent: Bool

    var itemState: ItemState { ItemState(rawValue: state) ?? .waiting }

    /// The domain's view, for its rules on dealing with quarantine.
    func gateState(by who: String) -> TransferGate.State {
        switch itemState {
        case .waiting: .waiting
        case .clean: .clean
        case .infected: .infected(signature: detail ?? "")
        case .notScanned: .notScanned(reason: detail ?? "")
        case .removed: .removed(by: who)
        case .released: .released(by: who, reason: releaseReason ?? "")
        }
    }
}

enum TransferBatches {
    /// Every decompressed or decoded byte of one batch counts against this (docs/migration.md).
    static let expansionBudget = 512 * 1024 * 1024

    static let batchColumns: SQLQueryString = """
        b.id, b.project_id, b.filename, b.byte_count, p.given_name || ' ' || p.family_name AS uploader_name,
        b.status, b.items_total, b.items_done, b.scanner_note, b.created_at, b.finished_at,
        (SELECT COUNT(*) FROM transfer_items i WHERE i.batch_id = b.id AND i.state IN ('infected', 'not_scanned'))
            AS quarantined
        """
    static let batchJoins: SQLQueryString =
        "FROM transfer_batches b JOIN accounts a ON a.id = b.uploaded_by_id JOIN people p ON p.id = a.person_id"

    static func batches(of project: UUID, on sql: any SQLDatabase) async throws -> [TransferBatchRow] {
        try await sql.raw(
            "SELECT \(batchColumns) \(batchJoins) WHERE b.project_id = \(bind: project) ORDER BY b.created_at DESC"
        ).rows(TransferBatchRow.self)
    }

    /// A batch of the given (already visible) project, or 404.
    static func batch(_ id: UUID?, of project: UUID, on sql: any SQLDatabase) async throws -> TransferBatchRow {
        guard let id,
            let row = try await sql.raw(
                "SELECT \(batchColumns) \(batchJoins) WHERE b.id = \(bind: id) AND b.project_id = \(bind: project)"
            ).firstRow(TransferBatchRow.self)
        else { throw Abort(.notFound) }
        return row
    }

    static let itemColumns: SQLQueryString = """
        i.id, i.batch_id, i.position, i.path, i.byte_count, i.state, i.detail, i.release_reason,
        p.given_name || ' ' || p.family_name AS dealt_by_name,
        (q.item_id IS NOT NULL) AS has_content
        """
    static let itemJoins: SQLQueryString = """
        FROM transfer_items i LEFT JOIN accounts a ON a.id = i.dealt_by_id LEFT JOIN people p ON p.id = a.person_id
        LEFT JOIN quarantine q ON q.item_id = i.id
        """

    /// The items needing or having had attention first, then the clean ones, up to `limit`.
    static func items(of batch: UUID, limit: Int = 500, on sql: any SQLDatabase) async throws -> [TransferItemRow] {
        try await sql.raw(
            """
            SELECT \(itemColumns) \(itemJoins) WHERE i.batch_id = \(bind: batch)
            ORDER BY CASE i.state WHEN 'infected' THEN 0 WHEN 'not_scanned' THEN 1 WHEN 'waiting' THEN 2
                WHEN 'released' THEN 3 WHEN 'removed' THEN 4 ELSE 5 END, i.position
            LIMIT \(bind: limit)
            """
        ).rows(TransferItemRow.self)
    }

    /// How many of a batch's items are in each state, by the state's raw value.
    static func counts(of batch: UUID, on sql: any SQLDatabase) async throws -> [String: Int] {
        struct Tally: Decodable {
            let state: String
            let n: Int
        }
        let tally = try await sql.raw(
            "SELECT state, COUNT(*) AS n FROM transfer_items WHERE batch_id = \(bind: batch) GROUP BY state"
        ).rows(Tally.self)
        return Dictionary(tally.map { ($0.state, $0.n) }, uniquingKeysWith: { a, _ in a })
    }

    static func item(_ id: UUID?, of project: UUID, on sql: any SQLDatabase) async throws -> TransferItemRow {
        guard let id,
            let row = try await sql.raw(
                """
                SELECT \(itemColumns) \(itemJoins) JOIN transfer_batches b ON b.id = i.batch_id
                WHERE i.id = \(bind: id) AND b.project_id = \(bind: project)
                """
            ).firstRow(TransferItemRow.self)
        else { throw Abort(.notFound) }
        return row
    }

    /// Why the gate does not pass, or nil when it does: every batch scanned, every item clean or dealt with.
    static func gateProblem(_ project: UUID, on sql: any SQLDatabase) async throws -> String? {
        struct Counts: Decodable {
            let pending: Int
            let unsettled: Int
        }
        let counts = try await sql.raw(
            """
            SELECT
                (SELECT COUNT(*) FROM transfer_batches WHERE project_id = \(bind: project) AND status <> 'scanned')
                    AS pending,
                (SELECT COUNT(*) FROM transfer_items i JOIN transfer_batches b ON b.id = i.batch_id
                 WHERE b.project_id = \(bind: project) AND i.state IN ('waiting', 'infected', 'not_scanned'))
                    AS unsettled
            """
        ).firstRow(Counts.self)
        guard let counts else { return nil }
        if counts.pending > 0 {
            return
                "The malware gate is closed: \(counts.pending == 1 ? "a batch is" : "\(counts.pending) batches are") still being scanned"
        }
        if counts.unsettled > 0 {
            return
                "The malware gate is closed: \(counts.unsettled) quarantined \(counts.unsettled == 1 ? "item has" : "items have") not been dealt with"
        }
        return nil
    }

    /// Stores an uploaded batch and queues its scan.
    static func receive(
        _ bytes: [UInt8], filename: String, project: MigrationProjectRow, by account: UUID, context: AuditContext,
        now: Date, on sql: any SQLDatabase
    ) async throws -> UUID {
        let id = UUID()
        let name = String(filename.split(separator: "/").last ?? "upload").prefix(200)
        try await sql.insertRows(
            "transfer_batches",
            [
                "id", "project_id", "filename", "content", "byte_count", "uploaded_by_id", "status", "items_total",
                "items_done", "created_at",
            ],
            [
                [
                    id, project.id, String(name), Data(bytes), bytes.count, account, BatchStatus.queued.rawValue, 0, 0,
                    now,
                ]
            ])
        try await JobRunner.enqueue(
            TransferScanJob.kind, payload: TransferScanJob.payload(id), runAt: now, maxAttempts: 10, on: sql)
        try await AuditLog.record(
            AuditEntry(
                "migration.batch_uploaded", target: "transfer_batch", id: id.uuidString,
                before: [String: String]?.none,
                after: ["project": project.id.uuidString, "filename": String(name), "bytes": "\(bytes.count)"]),
            context: context, at: now, on: sql)
        return id
    }

    enum Dealing: Sendable {
        case remove
        case release(reason: String?)
    }

    /// The ISM removes a quarantined item from the transfer, or releases it with a reason.
    static func deal(
        _ item: TransferItemRow, _ dealing: Dealing, by account: UUID, name: String, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws {
        let state = item.gateState(by: name)
        let after: TransferGate.State
        do {
            switch dealing {
            case .remove: after = try TransferGate.remove(state, by: name)
            case .release(let reason): after = try TransferGate.release(state, by: name, reason: reason ?? "")
            }
        } catch .notQuarantined {
            throw ValidationErrors([FieldError(field: "item", message: "This item is not in quarantine")])
        } catch {
            throw ValidationErrors([
                FieldError(
                    field: "reason",
                    message:
                        "Enter why it is safe to release, in at least 10 characters (for example, a confirmed false positive)"
                )
            ])
        }
        let (stored, _) = ItemState.stored(after)
        var reason: String?
        if case .released(_, let why) = after { reason = why }
        let moved = try await sql.raw(
            """
            UPDATE transfer_items SET state = \(bind: stored.rawValue), release_reason = \(bind: reason),
                dealt_by_id = \(bind: account), dealt_at = \(bind: now)
            WHERE id = \(bind: item.id) AND state = \(bind: item.state) RETURNING id
            """
        ).all()
        guard !moved.isEmpty else {
            throw ValidationErrors([FieldError(field: "item", message: "Someone else has just dealt with this item")])
        }
        try await AuditLog.record(
            AuditEntry(
                stored == .removed ? "migration.item_removed" : "migration.item_released", target: "transfer_item",
                id: item.id.uuidString, before: ["state": item.state, "detail": item.detail],
                after: ["state": stored.rawValue, "reason": reason]),
            context: context, at: now, on: sql)
    }

    static func quarantinedContent(_ item: UUID, on sql: any SQLDatabase) async throws -> Data? {
        struct Row: Decodable { let content: Data }
        return try await sql.raw("SELECT content FROM quarantine WHERE item_id = \(bind: item)").firstRow(
            Row.self)?.content
    }
}

/// Scans one batch: opens it into items, records them, then scans the waiting ones a window at a time,
/// committing each window, so a restarted worker carries on where the last one committed. When clamd
/// cannot be reached the batch waits and the scan is tried again later; nothing is marked clean.
enum TransferScanJob {
    static let kind = "migration.scan"
    /// Items in flight to clamd at once, and items per committed window.
    static let parallel = 4
    static let window = 32
    static let retryDelay: TimeInterval = 60

    struct Payload: Codable { let batch: UUID }

    static func payload(_ batch: UUID) -> String {
        String(decoding: try! JSONEncoder().encode(Payload(batch: batch)), as: UTF8.self)
    }

    struct BatchContent: Decodable {
        let id: UUID
        let projectID: UUID
        let filename: String
        let content: Data?
        let status: String
        let itemsTotal: Int
    }

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        let payload = try JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8))
        try await scan(payload.batch, app: app)
    }

    static func scan(_ batchID: UUID, app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        guard
            let batch = try await sql.raw(
                "SELECT id, project_id, filename, content, status, items_total FROM transfer_batches WHERE id = \(bind: batchID)"
            ).firstRow(BatchContent.self), let content = batch.content,
            batch.status != BatchStatus.scanned.rawValue
        else { return }
        let items = TransferItems.expand(
            name: batch.filename, bytes: [UInt8](content), budget: TransferBatches.expansionBudget)
        try await record(items, batch: batch, app: app)

        struct Waiting: Decodable {
            let id: UUID
            let position: Int
        }
        let waiting = try await sql.raw(
            "SELECT id, position FROM transfer_items WHERE batch_id = \(bind: batchID) AND state = 'waiting' ORDER BY position"
        ).rows(Waiting.self)
        let scanner = app.dependencies.scanner
        for slice in waiting.chunked(window) {
            let outcomes = await scanAll(
                slice.map { $0.position < items.count ? items[$0.position].bytes : [] }, with: scanner,
                parallel: parallel)
            let results = Array(zip(slice, outcomes))
            let verdicts = results.compactMap { entry, result in
                (try? result.get()).map { (id: entry.id, position: entry.position, verdict: $0) }
            }
            try await commit(verdicts, items: items, batch: batch, app: app)
            if let failure = results.lazy.compactMap({ _, result -> (any Error)? in
                if case .failure(let error) = result { return error }
                return nil
            }).first {
                guard let unavailable = failure as? ScannerUnavailable else { throw failure }
                try await waitForScanner(batch, note: unavailable.description, app: app)
                return
            }
        }
        try await finish(batch, app: app)
    }

    /// Scans each input with at most `parallel` in flight, keeping their order. A failure stays with its
    /// input: what was scanned before it still counts.
    static func scanAll(_ inputs: [[UInt8]], with scanner: MalwareScanner, parallel: Int) async
        -> [Result<Clamd.Verdict, any Error>]
    {
        var results = [Result<Clamd.Verdict, any Error>](
            repeating: .failure(ScannerUnavailable(reason: "not scanned")), count: inputs.count)
        var position = 0
        while position < inputs.count {
            let window = Array(position..<min(inputs.count, position + max(1, parallel)))
            let outcomes = await withTaskGroup(of: ScanOutcome.self, returning: [ScanOutcome].self) { group in
                for index in window {
                    let bytes = inputs[index]
                    group.addTask {
                        do {
                            return ScanOutcome(index: index, result: .success(try await scanner.scan(bytes)))
                        } catch {
                            return ScanOutcome(index: index, result: .failure(error))
                        }
                    }
                }
                var collected: [ScanOutcome] = []
                for await outcome in group { collected.append(outcome) }
                return collected
            }
            for outcome in outcomes { results[outcome.index] = outcome.result }
            position += window.count
        }
        return results
    }

    struct ScanOutcome: Sendable {
        let index: Int
        let result: Result<Clamd.Verdict, any Error>
    }

    /// The first run records every item (those that cannot be scanned are quarantined at once); later runs
    /// find them recorded.
    static func record(_ items: [TransferItems.Item], batch: BatchContent, app: Application) async throws {
        guard batch.itemsTotal == 0 else { return }
        let now = app.clock.now()
        let purgeAfter = now.addingTimeInterval(Double(app.settings.quarantineRetentionDays) * 86_400)
        try await app.db.inTransaction { db in
            let sql = db
            let ids = items.map { _ in UUID() }
            let rows: [[any Encodable & Sendable]] = items.enumerated().map { position, item in
                [
                    ids[position], batch.id, position, String(item.path.prefix(1000)), item.bytes.count,
                    (item.unscannable == nil ? ItemState.waiting : ItemState.notScanned).rawValue, item.unscannable,
                    item.unscannable == nil ? nil : now,
                ]
            }
            let inserted = try await sql.insertRows(
                "transfer_items",
                ["id", "batch_id", "position", "path", "byte_count", "state", "detail", "scanned_at"],
                rows, ignoringConflicts: true, returning: "id")
            let fresh = Set(inserted)
            let quarantined: [[any Encodable & Sendable]] = items.enumerated().compactMap { position, item in
                guard item.unscannable != nil, fresh.contains(ids[position].uuidString) else { return nil }
                return [ids[position], batch.projectID, Data(item.bytes), now, purgeAfter]
            }
            try await sql.insertRows(
                "quarantine", ["item_id", "project_id", "content", "stored_at", "purge_after"], quarantined,
                ignoringConflicts: true)
            try await sql.raw(
                """
                UPDATE transfer_batches SET items_total = \(bind: items.count), status = \(bind: BatchStatus.scanning.rawValue),
                    scanner_note = NULL,
                    items_done = (SELECT COUNT(*) FROM transfer_items WHERE batch_id = \(bind: batch.id) AND state <> 'waiting')
                WHERE id = \(bind: batch.id) AND items_total = 0
                """
            ).run()
        }
    }

    /// One window's verdicts, in one transaction: the items' states, quarantined content, and progress.
    static func commit(
        _ verdicts: [(id: UUID, position: Int, verdict: Clamd.Verdict)], items: [TransferItems.Item],
        batch: BatchContent, app: Application
    ) async throws {
        let now = app.clock.now()
        let purgeAfter = now.addingTimeInterval(Double(app.settings.quarantineRetentionDays) * 86_400)
        try await app.db.inTransaction { db in
            let sql = db
            var quarantined: [[any Encodable & Sendable]] = []
            for (id, position, verdict) in verdicts {
                let (state, detail) = ItemState.stored(TransferGate.state(after: verdict))
                let moved = try await sql.raw(
                    """
                    UPDATE transfer_items SET state = \(bind: state.rawValue), detail = \(bind: detail),
                        scanned_at = \(bind: now)
                    WHERE id = \(bind: id) AND state = 'waiting' RETURNING id
                    """
                ).all()
                if !moved.isEmpty, state.isQuarantined, position < items.count {
                    quarantined.append([id, batch.projectID, Data(items[position].bytes), now, purgeAfter])
                }
            }
            try await sql.insertRows(
                "quarantine", ["item_id", "project_id", "content", "stored_at", "purge_after"], quarantined,
                ignoringConflicts: true)
            try await sql.raw(
                """
                UPDATE transfer_batches SET status = \(bind: BatchStatus.scanning.rawValue), scanner_note = NULL,
                    items_done = (SELECT COUNT(*) FROM transfer_items WHERE batch_id = \(bind: batch.id) AND state <> 'waiting')
                WHERE id = \(bind: batch.id)
                """
            ).run()
        }
    }

    static func waitForScanner(_ batch: BatchContent, note: String, app: Application) async throws {
        let now = app.clock.now()
        try await app.db.inTransaction { db in
            let sql = db
            try await sql.raw(
                """
                UPDATE transfer_batches SET status = \(bind: BatchStatus.waitingForScanner.rawValue),
                    scanner_note = \(bind: note) WHERE id = \(bind: batch.id)
                """
            ).run()
            try await JobRunner.enqueue(
                kind, payload: payload(batch.id), runAt: now.addingTimeInterval(retryDelay), maxAttempts: 10, on: sql)
        }
        app.logger.warning("Transfer scan waits for the malware scanner", metadata: ["batch": "\(batch.id)"])
    }

    static func finish(_ batch: BatchContent, app: Application) async throws {
        let now = app.clock.now()
        try await app.db.inTransaction { db in
            let sql = db
            struct Tally: Decodable {
                let state: String
                let n: Int
            }
            let tally = try await sql.raw(
                "SELECT state, COUNT(*) AS n FROM transfer_items WHERE batch_id = \(bind: batch.id) GROUP BY state"
            ).rows(Tally.self)
            let moved = try await sql.raw(
                """
                UPDATE transfer_batches SET status = \(bind: BatchStatus.scanned.rawValue), finished_at = \(bind: now),
                    scanner_note = NULL,
                    items_done = (SELECT COUNT(*) FROM transfer_items WHERE batch_id = \(bind: batch.id) AND state <> 'waiting')
                WHERE id = \(bind: batch.id) AND status <> \(bind: BatchStatus.scanned.rawValue) RETURNING id
                """
            ).all()
            if !moved.isEmpty {
                try await AuditLog.record(
                    AuditEntry(
                        "migration.batch_scanned", target: "transfer_batch", id: batch.id.uuidString,
                        before: [String: String]?.none,
                        after: Dictionary(tally.map { ($0.state, "\($0.n)") }, uniquingKeysWith: { a, _ in a })),
                    context: .system, at: now, on: sql)
            }
        }
    }
}

/// Purges quarantined content after its retention period, and the uploaded batches of projects that went
/// live that long ago. The items' records and the audit log remain.
enum QuarantinePurgeJob {
    static let kind = "migration.purge"

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        let now = app.clock.now()
        let cutoff = now.addingTimeInterval(-Double(app.settings.quarantineRetentionDays) * 86_400)
        try await app.db.inTransaction { db in
            let sql = db
            let purged = try await sql.raw(
                "DELETE FROM quarantine WHERE purge_after < \(bind: now) RETURNING item_id"
            ).all()
            let batches = try await sql.raw(
                """
                UPDATE transfer_batches SET content = NULL
                WHERE content IS NOT NULL AND project_id IN
                    (SELECT id FROM migration_projects WHERE status = 'live' AND live_at < \(bind: cutoff))
                RETURNING id
                """
            ).all()
            if !purged.isEmpty || !batches.isEmpty {
                try await AuditLog.record(
                    AuditEntry(
                        "migration.purged", target: "quarantine", id: nil, before: [String: String]?.none,
                        after: ["quarantinedItems": "\(purged.count)", "batches": "\(batches.count)"]),
                    context: .system, at: now, on: sql)
            }
        }
    }

    static func scheduleIfNeeded(app: Application) async throws {
        try await JobRunner.scheduleIfNeeded(kind, every: 24 * 3600, app: app)
    }
}
