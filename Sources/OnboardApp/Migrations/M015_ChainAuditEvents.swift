// swift-format-ignore-file: AlwaysUseLowerCamelCase

import Fluent
import Foundation
import OnboardDomain
import SQLKit

/// Turns the audit log into a keyed hash chain: sequence numbers, integer microseconds, MACs, digests of
/// the personal details (which move to `audit_details`, where they can be erased), the organisation an
/// event concerns (for scoped search), and triggers that refuse UPDATE, DELETE and TRUNCATE.
/// Security events get a table of their own.
struct M015_ChainAuditEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let postgres = sql.dialect.name == "postgresql"
        // SQLite adds one column per statement.
        let columns: [(String, DatabaseSchema.DataType)] = [
            ("seq", .int64), ("occurred_us", .int64), ("token_id", .uuid), ("organisation_id", .uuid),
            ("before_digest", .string), ("after_digest", .string), ("address_digest", .string), ("mac", .string),
        ]
        for (name, type) in columns {
            try await database.schema("audit_events").field(.string(name), type).update()
        }
        try await database.schema("audit_details")
            .field("event_id", .uuid, .identifier(auto: false))
            .field("before", .string)
            .field("after", .string)
            .field("client_address", .string)
            .field("redacted_at", .datetime)
            .create()

        try await chainExistingEvents(sql)

        for column in ["before", "after", "client_address"] {
            try await sql.raw("ALTER TABLE audit_events DROP COLUMN \(ident: column)").run()
        }
        try await sql.raw("CREATE UNIQUE INDEX audit_events_seq_idx ON audit_events (seq)").run()
        try await sql.raw("CREATE INDEX audit_events_org_idx ON audit_events (organisation_id, seq)").run()
        try await sql.raw("CREATE INDEX audit_events_actor_idx ON audit_events (actor_account_id, seq)").run()
        try await sql.raw("CREATE INDEX audit_events_action_idx ON audit_events (action, seq)").run()

        // One row whose update takes SQLite's write lock before the head is read, as BEGIN IMMEDIATE would.
        try await database.schema("audit_chain_lock").field("id", .int, .identifier(auto: false))
            .field("taken", .int64, .required).create()
        try await sql.raw("INSERT INTO audit_chain_lock (id, taken) VALUES (1, 0)").run()

        if postgres {
            try await sql.raw(
                """
                CREATE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit events cannot be changed or removed (%)', TG_OP; END $$
                """
            ).run()
            try await sql.raw(
                """
                CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
                FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()
                """
            ).run()
            try await sql.raw(
                """
                CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
                FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse()
                """
            ).run()
        } else {
            for operation in ["UPDATE", "DELETE"] {
                try await sql.raw(
                    """
                    CREATE TRIGGER \(unsafeRaw: "audit_events_no_" + operation.lowercased())
                    BEFORE \(unsafeRaw: operation) ON audit_events
                    BEGIN SELECT RAISE(ABORT, 'audit events cannot be changed or removed'); END
                    """
                ).run()
            }
        }

        try await database.schema("security_events")
            .id()
            .field("occurred_at", .datetime, .required)
            .field("kind", .string, .required)
            .field("account_id", .uuid)
            .field("organisation_id", .uuid)
            .field("attempted", .string)
            .field("detail", .string)
            .field("path", .string)
            .field("request_id", .string)
            .field("client_address", .string)
            .create()
        try await sql.raw("CREATE INDEX security_events_time_idx ON security_events (occurred_at)").run()
        try await sql.raw("CREATE INDEX security_events_kind_idx ON security_events (kind, occurred_at)").run()
    }

    /// Rows written before the chain existed join it in the order they happened.
    private func chainExistingEvents(_ sql: any SQLDatabase) async throws {
        struct Old: Decodable {
            let id: UUID
            let occurred_at: Date
            let actor_account_id: UUID?
            let actor_role: String?
            let actor_scope: String?
            let action: String
            let target_type: String
            let target_id: String?
            let before: String?
            let after: String?
            let request_id: String?
            let client_address: String?
        }
        let chain = AuditKeyStore.chain
        var previous = ""
        var seq: Int64 = 0
        let rows = try await sql.raw("SELECT * FROM audit_events ORDER BY occurred_at, id").all(decoding: Old.self)
        for row in rows {
            seq += 1
            let micros = AuditLog.micros(row.occurred_at)
            let event = ChainedEvent(
                seq: seq, id: row.id.uuidString.lowercased(), occurredMicros: micros,
                actorAccountID: row.actor_account_id?.uuidString.lowercased(), actorRole: row.actor_role,
                actorScope: row.actor_scope, action: row.action, targetType: row.target_type, targetID: row.target_id,
                requestID: row.request_id, beforeDigest: chain.digest(row.before, field: "before"),
                afterDigest: chain.digest(row.after, field: "after"),
                addressDigest: chain.digest(row.client_address, field: "address"))
            let mac = chain.mac(event, previous: previous)
            previous = mac
            try await sql.update("audit_events")
                .set("seq", to: seq).set("occurred_us", to: micros).set("mac", to: mac)
                .set("before_digest", to: event.beforeDigest).set("after_digest", to: event.afterDigest)
                .set("address_digest", to: event.addressDigest)
                .where("id", .equal, row.id).run()
            try await sql.insert(into: "audit_details")
                .columns("event_id", "before", "after", "client_address")
                .values(SQLBind(row.id), SQLBind(row.before), SQLBind(row.after), SQLBind(row.client_address)).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("security_events").delete()
        try await database.schema("audit_chain_lock").delete()
        try await database.schema("audit_details").delete()
    }
}
