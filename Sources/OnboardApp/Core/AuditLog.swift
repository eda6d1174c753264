import Fluent
import Foundation
import NIOConcurrencyHelpers
import OnboardDomain
import SQLKit
import Vapor

/// What changed: the action, the record it concerns, and that record before and after (never secrets).
struct AuditEntry: Sendable {
    var action: String
    var targetType: String
    var targetID: String?
    var before: String?
    var after: String?
    /// The organisation the event concerns, when the target's own row does not say (see `AuditLog.owners`).
    var organisationID: UUID?

    init<B: Encodable, A: Encodable>(
        _ action: String, target: String, id: String?, before: B?, after: A?, organisation: UUID? = nil
    ) {
        self.action = action
        self.targetType = target
        self.targetID = id
        self.before = before.flatMap(Self.json)
        self.after = after.flatMap(Self.json)
        self.organisationID = organisation
    }

    init(_ action: String, target: String, id: String?, organisation: UUID? = nil) {
        self.action = action
        self.targetType = target
        self.targetID = id
        self.organisationID = organisation
    }

    private static func json<T: Encodable>(_ value: T) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) }
    }
}

/// Who did it: the actor, their role and scope, the API token they used, the request and its address.
struct AuditContext: Sendable {
    var actorAccountID: UUID?
    var actorRole: String?
    var actorScope: String?
    var requestID: String?
    var clientAddress: String?
    var tokenID: UUID?

    static let system = AuditContext(actorRole: "system")
}

/// The chain's key, set once per process by `configure` from `AUDIT_KEY`. Every write path reaches the
/// audit log through a plain database handle, so the key is held here rather than threaded through them.
enum AuditKeyStore {
    private static let box = NIOLockedValueBox(AuditChain(key: AuditSettings().key))

    static var chain: AuditChain { box.withLockedValue { $0 } }

    static func use(_ key: [UInt8]) {
        box.withLockedValue { $0 = AuditChain(key: key) }
    }
}

/// The append-only, hash-chained record of every change. Only INSERT exists here; the database refuses
/// UPDATE and DELETE on `audit_events` by trigger.
enum AuditLog {
    static func record(_ entry: AuditEntry, context: AuditContext, at time: Date, on db: any SQLDatabase)
        async throws
    {
        try await record([entry], context: context, at: time, on: db)
    }

    /// Appends entries in the caller's transaction (or in one of their own when there is none), after taking
    /// the chain's lock, so two writers can never both extend the same head.
    static func record(_ entries: [AuditEntry], context: AuditContext, at time: Date, on db: any SQLDatabase)
        async throws
    {
        guard !entries.isEmpty else { return }
        if let fluent = db as? any Database, !fluent.inTransaction {
            try await fluent.transaction { transaction in
                try await append(entries, context: context, at: time, on: transaction as! any SQLDatabase)
            }
        } else {
            try await append(entries, context: context, at: time, on: db)
        }
    }

    static func micros(_ time: Date) -> Int64 {
        Int64((time.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// Holds the chain until the transaction ends: an advisory lock on PostgreSQL. SQLite needs nothing more: its
    /// transactions begin IMMEDIATE (`ImmediateSQLite`), so the single write lock is held before the head is read.
    static func lockChain(on db: any SQLDatabase) async throws {
        guard db.dialect.name == "postgresql" else { return }
        try await db.raw("SELECT pg_advisory_xact_lock(\(literal: 7_424_100))").run()
    }

    struct Head: Decodable {
        let seq: Int64
        let mac: String
    }

    /// The chain's identity: its first event's id, fixed when that event is written (nil before any event).
    static func chainIdentity(on db: any SQLDatabase) async throws -> String? {
        struct First: Decodable { let id: UUID }
        return try await db.raw("SELECT id FROM audit_events WHERE seq = 1").firstRow(First.self)?
            .id.uuidString.lowercased()
    }

    static func head(on db: any SQLDatabase) async throws -> Head? {
        try await db.raw("SELECT seq, mac FROM audit_events ORDER BY seq DESC LIMIT 1").firstRow(Head.self)
    }

    private static func append(
        _ entries: [AuditEntry], context: AuditContext, at time: Date, on db: any SQLDatabase
    ) async throws {
        try await lockChain(on: db)
        let chain = AuditKeyStore.chain
        let owners = try await organisations(of: entries, on: db)
        let head = try await head(on: db)
        var previous = head?.mac ?? ""
        var seq = head?.seq ?? 0
        let micros = micros(time)
        var events: [[any Encodable & Sendable]] = []
        var details: [[any Encodable & Sendable]] = []
        events.reserveCapacity(entries.count)
        for entry in entries {
            seq += 1
            let id = UUID()
            let organisation = entry.organisationID ?? entry.targetID.flatMap { owners[entry.targetType + ":" + $0] }
            let event = ChainedEvent(
                seq: seq, id: id.uuidString.lowercased(), occurredMicros: micros,
                actorAccountID: context.actorAccountID?.uuidString.lowercased(), actorRole: context.actorRole,
                actorScope: context.actorScope, tokenID: context.tokenID?.uuidString.lowercased(),
                action: entry.action, targetType: entry.targetType, targetID: entry.targetID,
                organisationID: organisation?.uuidString.lowercased(), requestID: context.requestID,
                beforeDigest: chain.digest(entry.before, field: "before"),
                afterDigest: chain.digest(entry.after, field: "after"),
                addressDigest: chain.digest(context.clientAddress, field: "address"))
            let mac = chain.mac(event, previous: previous)
            previous = mac
            events.append([
                id, seq, time, micros, context.actorAccountID, context.actorRole, context.actorScope, context.tokenID,
                entry.action, entry.targetType, entry.targetID, organisation, context.requestID, event.beforeDigest,
                event.afterDigest, event.addressDigest, mac,
            ])
            if entry.before != nil || entry.after != nil || context.clientAddress != nil {
                details.append([id, entry.before, entry.after, context.clientAddress])
            }
        }
        try await db.insertRows(
            "audit_events",
            [
                "id", "seq", "occurred_at", "occurred_us", "actor_account_id", "actor_role", "actor_scope", "token_id",
                "action", "target_type", "target_id", "organisation_id", "request_id", "before_digest", "after_digest",
                "address_digest", "mac",
            ], events)
        try await db.insertRows("audit_details", ["event_id", "before", "after", "client_address"], details)
    }

    /// How each kind of target names its organisation, for scoped search. Kinds not listed (programme
    /// parameters, guidance, cohorts) concern the whole service and are seen by national administrators only.
    private static let owners: [String: (query: String, key: String)] = [
        "account": ("SELECT id AS target, organisation_id AS organisation FROM accounts", "id"),
        "session": (
            "SELECT s.id AS target, a.organisation_id AS organisation FROM sessions s "
                + "JOIN accounts a ON a.id = s.account_id", "s.id"
        ),
        "application": (
            "SELECT reference AS target, COALESCE(created_organisation_id, organisation_id, "
                + "assigned_organisation_id) AS organisation FROM applications", "reference"
        ),
        "invitation": ("SELECT id AS target, organisation_id AS organisation FROM invitations", "id"),
        "mailbox": ("SELECT id AS target, organisation_id AS organisation FROM shared_mailboxes", "id"),
        "bulk_upload": ("SELECT id AS target, organisation_id AS organisation FROM bulk_uploads", "id"),
        "migration_project": ("SELECT id AS target, organisation_id AS organisation FROM migration_projects", "id"),
        "transfer_batch": (
            "SELECT b.id AS target, p.organisation_id AS organisation FROM transfer_batches b "
                + "JOIN migration_projects p ON p.id = b.project_id", "b.id"
        ),
        "transfer_item": (
            "SELECT i.id AS target, p.organisation_id AS organisation FROM transfer_items i "
                + "JOIN transfer_batches b ON b.id = i.batch_id JOIN migration_projects p ON p.id = b.project_id",
            "i.id"
        ),
    ]

    private static func organisations(of entries: [AuditEntry], on db: any SQLDatabase) async throws
        -> [String: UUID]
    {
        var found: [String: UUID] = [:]
        var wanted: [String: Set<String>] = [:]
        for entry in entries where entry.organisationID == nil {
            guard let id = entry.targetID else { continue }
            if entry.targetType == "organisation" {
                if let uuid = UUID(uuidString: id) { found["organisation:" + id] = uuid }
            } else if owners[entry.targetType] != nil {
                wanted[entry.targetType, default: []].insert(id)
            }
        }
        struct ByID: Decodable {
            let target: UUID
            let organisation: UUID?
        }
        struct ByReference: Decodable {
            let target: String
            let organisation: UUID?
        }
        for (type, ids) in wanted {
            guard let owner = owners[type] else { continue }
            for slice in Array(ids).chunked(1_000) {
                if owner.key == "reference" {
                    let rows = try await db.raw(
                        "\(unsafeRaw: owner.query) WHERE reference IN (\(binds: slice))"
                    ).rows(ByReference.self)
                    for row in rows {
                        if let organisation = row.organisation { found[type + ":" + row.target] = organisation }
                    }
                } else {
                    let uuids = slice.compactMap(UUID.init(uuidString:))
                    guard !uuids.isEmpty else { continue }
                    let rows = try await db.raw(
                        "\(unsafeRaw: owner.query) WHERE \(unsafeRaw: owner.key) IN (\(binds: uuids))"
                    ).rows(ByID.self)
                    for row in rows {
                        guard let organisation = row.organisation else { continue }
                        // The entry's id text may be in either case; index both.
                        found[type + ":" + row.target.uuidString] = organisation
                        found[type + ":" + row.target.uuidString.lowercased()] = organisation
                    }
                }
            }
        }
        return found
    }
}

extension Request {
    private struct RequestIDKey: StorageKey { typealias Value = String }

    /// This request's id in logs and the audit log: the client's `X-Request-Id` only when it is short and plain
    /// (`RequestIdentifier`), otherwise one the service makes.
    var requestID: String {
        if let chosen = storage[RequestIDKey.self] { return chosen }
        let chosen = RequestIdentifier.acceptable(id) ?? UUID().uuidString
        storage[RequestIDKey.self] = chosen
        return chosen
    }

    var auditContext: AuditContext {
        AuditContext(
            actorAccountID: principal?.accountID, actorRole: principal?.topRole.rawValue,
            actorScope: principal?.scopeSummary, requestID: requestID, clientAddress: clientAddress,
            tokenID: principal?.tokenID)
    }

    /// Records an entry on the given database (pass the transaction's, so the entry commits with the change).
    func audit(_ entry: AuditEntry, on db: any SQLDatabase) async throws {
        try await AuditLog.record(entry, context: auditContext, at: now, on: db)
    }
}

extension AuditContext {
    /// The same request, acted by `account`: for steps taken before the session has a principal.
    func actor(_ account: UUID) -> AuditContext {
        var copy = self
        copy.actorAccountID = account
        return copy
    }
}
