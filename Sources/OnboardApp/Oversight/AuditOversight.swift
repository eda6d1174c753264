import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Checkpoints of the chain's head, kept outside the database (`AUDIT_CHECKPOINT`): a file of JSON lines,
/// or an http(s) sink that is sent each one. Removing the newest events, or rewriting the chain with the
/// key, then disagrees with a checkpoint the database cannot reach.
enum AuditCheckpoints {
    /// Writes the current head, unless it is the one written last. Nil when there is nothing new.
    @discardableResult
    static func write(app: Application) async throws -> AuditCheckpoint? {
        let sql = app.db as! any SQLDatabase
        guard let head = try await AuditLog.head(on: sql) else { return nil }
        let checkpoint = AuditCheckpoint(
            chain: try await AuditLog.chainIdentity(on: sql), count: head.seq, mac: head.mac,
            at: ISO8601DateFormatter().string(from: app.clock.now()))
        let line = String(decoding: try JSONEncoder.sorted.encode(checkpoint), as: UTF8.self)
        let target = app.settings.audit.checkpoint
        if target.hasPrefix("http://") || target.hasPrefix("https://") {
            let response = try await app.client.post(URI(string: target)) { request in
                request.headers.contentType = .json
                request.body = .init(string: line)
            }
            guard (200..<300).contains(response.status.code) else {
                throw Abort(.badGateway, reason: "The checkpoint sink answered \(response.status.code)")
            }
            return checkpoint
        }
        let own = CheckpointSelection(try read(path: target), chain: checkpoint.chain).own
        if let last = own.last, last.count == checkpoint.count, last.mac == checkpoint.mac {
            return nil
        }
        let url = URL(fileURLWithPath: target)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: target) {
            FileManager.default.createFile(atPath: target, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line + "\n").utf8))
        try handle.synchronize()
        return checkpoint
    }

    /// Every checkpoint in a file; a missing file holds none.
    static func read(path: String) throws -> [AuditCheckpoint] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").filter { !$0.isEmpty }.map {
            try decoder.decode(AuditCheckpoint.self, from: Data($0.utf8))
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

/// Walks the whole chain in sequence order, a page at a time, against the checkpoints.
enum AuditVerification {
    struct Report: Sendable {
        var events: Int64
        var redacted: Int64
        var finding: AuditFinding?
        /// How many of the sink's checkpoints are this chain's, and what is wrong with the sink, if anything.
        var checkpoints = 0
        var sinkProblem: String?
    }

    private struct Row: Decodable {
        let id: UUID
        let seq: Int64
        let occurredUs: Int64
        let actorAccountID: UUID?
        let actorRole: String?
        let actorScope: String?
        let tokenID: UUID?
        let action: String
        let targetType: String
        let targetID: String?
        let organisationID: UUID?
        let requestID: String?
        let beforeDigest: String?
        let afterDigest: String?
        let addressDigest: String?
        let mac: String
        let detailID: UUID?
        let before: String?
        let after: String?
        let clientAddress: String?
        let redactedAt: Date?
    }

    static func verify(on sql: any SQLDatabase, checkpoints: [AuditCheckpoint], pageSize: Int = 2_000)
        async throws -> Report
    {
        struct Count: Decodable { let n: Int64 }
        let unchained =
            try await sql.raw("SELECT COUNT(*) AS n FROM audit_events WHERE seq IS NULL OR mac IS NULL")
            .firstRow(Count.self)?.n ?? 0
        if unchained > 0 { return Report(events: 0, redacted: 0, finding: .unchained(count: unchained)) }
        let selection = CheckpointSelection(checkpoints, chain: try await AuditLog.chainIdentity(on: sql))
        var report = try await walk(sql, checkpoints: selection.own, pageSize: pageSize)
        report.checkpoints = selection.own.count
        report.sinkProblem = selection.problem
        return report
    }

    private static func walk(_ sql: any SQLDatabase, checkpoints: [AuditCheckpoint], pageSize: Int)
        async throws -> Report
    {
        let chain = AuditKeyStore.chain
        var verifier = AuditVerifier(chain: chain, checkpoints: checkpoints)
        var redacted: Int64 = 0
        var after: Int64 = 0
        while true {
            let rows = try await sql.raw(
                """
                SELECT e.id, e.seq, e.occurred_us, e.actor_account_id, e.actor_role, e.actor_scope, e.token_id,
                    e.action, e.target_type, e.target_id, e.organisation_id, e.request_id, e.before_digest,
                    e.after_digest, e.address_digest, e.mac, d.event_id AS detail_id, d.before, d.after,
                    d.client_address, d.redacted_at
                FROM audit_events e LEFT JOIN audit_details d ON d.event_id = e.id
                WHERE e.seq > \(bind: after) ORDER BY e.seq LIMIT \(literal: pageSize)
                """
            ).rows(Row.self)
            for row in rows {
                let event = ChainedEvent(
                    seq: row.seq, id: row.id.uuidString.lowercased(), occurredMicros: row.occurredUs,
                    actorAccountID: row.actorAccountID?.uuidString.lowercased(), actorRole: row.actorRole,
                    actorScope: row.actorScope, tokenID: row.tokenID?.uuidString.lowercased(), action: row.action,
                    targetType: row.targetType, targetID: row.targetID,
                    organisationID: row.organisationID?.uuidString.lowercased(), requestID: row.requestID,
                    beforeDigest: row.beforeDigest, afterDigest: row.afterDigest, addressDigest: row.addressDigest)
                if let finding = verifier.check(event, storedMAC: row.mac) {
                    return Report(events: verifier.count, redacted: redacted, finding: finding)
                }
                if let field = detailProblem(row, chain: chain) {
                    return Report(
                        events: verifier.count, redacted: redacted,
                        finding: .detailsAltered(seq: row.seq, id: event.id, field: field))
                }
                if row.redactedAt != nil { redacted += 1 }
            }
            guard let last = rows.last, rows.count == pageSize else { break }
            after = last.seq
        }
        return Report(events: verifier.count, redacted: redacted, finding: verifier.finish())
    }

    /// A detail must match its digest; only an erasure (marked on the row) may leave it empty.
    private static func detailProblem(_ row: Row, chain: AuditChain) -> String? {
        let hasDigests = row.beforeDigest != nil || row.afterDigest != nil || row.addressDigest != nil
        guard row.detailID != nil else { return hasDigests ? "details (removed)" : nil }
        let fields: [(String, String?, String?, String)] = [
            ("before", row.before, row.beforeDigest, "before"),
            ("after", row.after, row.afterDigest, "after"),
            ("client address", row.clientAddress, row.addressDigest, "address"),
        ]
        for (name, value, digest, key) in fields {
            if let value {
                if chain.digest(value, field: key) != digest { return name }
            } else if digest != nil, row.redactedAt == nil {
                return name
            }
        }
        return nil
    }
}

/// Writes a checkpoint every `AUDIT_CHECKPOINT_MINUTES`.
enum AuditCheckpointJob {
    static let kind = "audit.checkpoint"

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        try await AuditCheckpoints.write(app: app)
    }

    static func scheduleIfNeeded(app: Application) async throws {
        try await JobRunner.scheduleIfNeeded(kind, every: Double(app.settings.audit.checkpointMinutes) * 60, app: app)
    }
}

/// Deletes security events older than `SECURITY_EVENT_RETENTION_DAYS`, daily.
enum SecurityEventPurgeJob {
    static let kind = "security_events.purge"

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        let now = app.clock.now()
        let cutoff = now.addingTimeInterval(-Double(app.settings.audit.securityEventRetentionDays) * 86_400)
        try await app.db.inTransaction { db in
            let sql = db
            let purged = try await SecurityEvents.purge(olderThan: cutoff, on: sql)
            if purged > 0 {
                try await AuditLog.record(
                    AuditEntry(
                        "security_events.purged", target: "security_events", id: nil, before: [String: String]?.none,
                        after: ["events": "\(purged)"]),
                    context: .system, at: now, on: sql)
            }
        }
    }

    static func scheduleIfNeeded(app: Application) async throws {
        try await JobRunner.scheduleIfNeeded(kind, every: 24 * 3600, app: app)
    }
}

/// `onboard audit verify [--checkpoints FILE]` and `onboard audit checkpoint`.
struct AuditCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "verify or checkpoint")
        var action: String
        @Option(name: "checkpoints", help: "A file of checkpoints, when AUDIT_CHECKPOINT is a remote sink.")
        var checkpoints: String?
    }

    var help: String {
        "Checks the audit chain against its checkpoints (`audit verify`), or writes one now (`audit checkpoint`)."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        switch signature.action {
        case "checkpoint":
            if let checkpoint = try await AuditCheckpoints.write(app: app) {
                context.console.info("Checkpoint written: \(checkpoint.count) events.")
            } else {
                context.console.info("Nothing new since the last checkpoint.")
            }
        case "verify":
            let source = signature.checkpoints ?? app.settings.audit.checkpoint
            let checkpoints = source.hasPrefix("http") ? [] : try AuditCheckpoints.read(path: source)
            let report = try await AuditVerification.verify(on: app.db as! any SQLDatabase, checkpoints: checkpoints)
            if let finding = report.finding {
                context.console.error("The audit log does not verify. \(finding)")
                throw AuditVerifyFailed()
            }
            if let problem = report.sinkProblem {
                // In production the sink is this database's alone, so another chain's checkpoints mean a swap.
                guard app.settings.isDevelopment else {
                    context.console.error("The audit log does not verify. \(problem)")
                    throw AuditVerifyFailed()
                }
                context.console.warning("Warning: \(problem)")
            }
            context.console.info(
                "The audit log verifies: \(report.events) events, \(report.checkpoints) checkpoints, "
                    + "\(report.redacted) with personal details erased.")
        default:
            throw Abort(.badRequest, reason: "Use `audit verify` or `audit checkpoint`.")
        }
    }
}

/// Makes `onboard audit verify` exit non-zero.
struct AuditVerifyFailed: Error, CustomStringConvertible {
    var description: String { "audit verification failed" }
}
