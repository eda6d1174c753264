import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The append-only record of every change: who, in which role and scope, did what to which record,
/// before and after, when and from where.
struct AuditEntry: Sendable {
    var action: String
    var targetType: String
    var targetID: String?
    var before: String?
    var after: String?

    init<B: Encodable, A: Encodable>(
        _ action: String, target: String, id: String?, before: B?, after: A?
    ) {
        self.action = action
        self.targetType = target
        self.targetID = id
        self.before = before.flatMap(Self.json)
        self.after = after.flatMap(Self.json)
    }

    init(_ action: String, target: String, id: String?) {
        self.action = action
        self.targetType = target
        self.targetID = id
    }

    private static func json<T: Encodable>(_ value: T) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) }
    }
}

struct AuditContext: Sendable {
    var actorAccountID: UUID?
    var actorRole: String?
    var actorScope: String?
    var requestID: String?
    var clientAddress: String?

    static let system = AuditContext(actorRole: "system")
}

enum AuditLog {
    static func record(_ entry: AuditEntry, context: AuditContext, at time: Date, on db: any SQLDatabase)
        async throws
    {
        try await db.insert(into: "audit_events")
            .columns(
                "id", "occurred_at", "actor_account_id", "actor_role", "actor_scope", "action", "target_type",
                "target_id", "before", "after", "request_id", "client_address"
            )
            .values(
                SQLBind(UUID()), SQLBind(time), SQLBind(context.actorAccountID), SQLBind(context.actorRole),
                SQLBind(context.actorScope), SQLBind(entry.action), SQLBind(entry.targetType),
                SQLBind(entry.targetID), SQLBind(entry.before), SQLBind(entry.after), SQLBind(context.requestID),
                SQLBind(context.clientAddress)
            )
            .run()
    }
}

extension AuditLog {
    /// Many entries in one statement per few thousand, for bulk paths.
    static func record(_ entries: [AuditEntry], context: AuditContext, at time: Date, on db: any SQLDatabase)
        async throws
    {
        let rows: [[any Encodable & Sendable]] = entries.map { entry in
            [
                UUID(), time, context.actorAccountID, context.actorRole, context.actorScope, entry.action,
                entry.targetType, entry.targetID, entry.before, entry.after, context.requestID, context.clientAddress,
            ]
        }
        try await db.insertRows(
            "audit_events",
            [
                "id", "occurred_at", "actor_account_id", "actor_role", "actor_scope", "action", "target_type",
                "target_id", "before", "after", "request_id", "client_address",
            ], rows)
    }
}

extension Request {
    var auditContext: AuditContext {
        AuditContext(
            actorAccountID: principal?.accountID, actorRole: principal?.topRole.rawValue,
            actorScope: principal?.scopeSummary, requestID: id, clientAddress: clientAddress)
    }

    /// Records an entry on the given database (pass the transaction's, so the entry commits with the change).
    func audit(_ entry: AuditEntry, on db: any SQLDatabase) async throws {
        try await AuditLog.record(entry, context: auditContext, at: now, on: db)
    }
}
