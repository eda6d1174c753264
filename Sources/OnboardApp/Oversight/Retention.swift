import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// How long each kind of record is kept. Security events and bulk uploads have their own settings
/// (`SECURITY_EVENT_RETENTION_DAYS`, `BULK_RETENTION_DAYS`); the audit chain itself is kept, with the
/// personal details of erased people removed from it.
public struct RetentionSettings: Sendable, Equatable {
    /// Applications that ended (not approved, withdrawn, completed), counted from their last change.
    public var applicationDays = 730
    /// Drafts nobody submitted.
    public var draftDays = 30
    /// Messages sent, failed or cancelled.
    public var outboxDays = 30
    /// Sessions after they ended.
    public var sessionDays = 30
}

enum Retention {
    struct Outcome: Sendable, Equatable {
        var applications = 0
        var drafts = 0
        var outbox = 0
        var sessions = 0
        var erasedAccounts = 0
    }

    struct Row: Decodable { let id: UUID }
    struct Reference: Decodable {
        let id: UUID
        let reference: String
    }

    /// One pass over every kind of record. Each kind is its own transaction, with its own audit entry.
    static func purge(now: Date, settings: RetentionSettings, on db: any Database) async throws -> Outcome {
        var outcome = Outcome()
        @Sendable func cutoff(_ days: Int) -> Date { now.addingTimeInterval(-Double(days) * 86_400) }
        let ended = [ApplicationState.rejected, .withdrawn, .completed].map(\.rawValue)
        outcome.applications = try await purgeApplications(
            "a.state IN (\(binds: ended)) AND a.updated_at < \(bind: cutoff(settings.applicationDays))", now: now,
            on: db)
        outcome.drafts = try await purgeApplications(
            "a.state = \(bind: ApplicationState.draft.rawValue) AND a.updated_at < \(bind: cutoff(settings.draftDays))",
            now: now, on: db)
        outcome.outbox = try await db.inTransaction { db in
            let sql = db
            let gone = try await sql.raw(
                """
                DELETE FROM outbox WHERE state IN ('sent', 'failed', 'cancelled')
                    AND created_at < \(bind: cutoff(settings.outboxDays)) RETURNING id
                """
            ).rows(Row.self)
            try await summary("outbox.purged", target: "outbox", count: gone.count, now: now, on: sql)
            return gone.count
        }
        outcome.sessions = try await db.inTransaction { db in
            let sql = db
            let gone = try await sql.raw(
                "DELETE FROM sessions WHERE ended_at < \(bind: cutoff(settings.sessionDays)) RETURNING id"
            ).rows(Row.self)
            try await summary("sessions.purged", target: "session", count: gone.count, now: now, on: sql)
            return gone.count
        }
        // Deleted accounts can be restored for 30 days; after that their personal data goes.
        let due = try await (db as! any SQLDatabase).raw(
            """
            SELECT id FROM accounts
            WHERE state = \(bind: AccountState.deleted.rawValue) AND erased_at IS NULL
                AND state_changed_at < \(bind: now.addingTimeInterval(-AccountLifecycle.restoreWindow))
            """
        ).rows(Row.self)
        for account in due {
            try await db.inTransaction { db in try await erase(account.id, now: now, on: db) }
            outcome.erasedAccounts += 1
        }
        return outcome
    }

    private static func summary(_ action: String, target: String, count: Int, now: Date, on sql: any SQLDatabase)
        async throws
    {
        guard count > 0 else { return }
        try await AuditLog.record(
            AuditEntry(action, target: target, id: nil, before: String?.none, after: ["count": String(count)]),
            context: .system, at: now, on: sql)
    }

    /// Applications matching `condition` (alias `a`), with their history; the audit keeps its events but
    /// loses their answers.
    private static func purgeApplications(_ condition: SQLQueryString, now: Date, on db: any Database) async throws
        -> Int
    {
        try await db.inTransaction { db in
            let sql = db
            let rows = try await sql.raw("SELECT a.id, a.reference FROM applications a WHERE \(condition)")
                .rows(Reference.self)
            guard !rows.isEmpty else { return 0 }
            for slice in rows.chunked(500) {
                let ids = slice.map(\.id)
                try await sql.raw(
                    "UPDATE invitations SET application_id = NULL WHERE application_id IN (\(binds: ids))"
                )
                .run()
                try await sql.raw("DELETE FROM application_events WHERE application_id IN (\(binds: ids))").run()
                try await sql.raw("DELETE FROM applications WHERE id IN (\(binds: ids))").run()
                try await redactDetails(
                    of: "target_type = 'application' AND target_id IN (\(binds: slice.map(\.reference)))", now: now,
                    on: sql)
            }
            try await summary("applications.purged", target: "application", count: rows.count, now: now, on: sql)
            return rows.count
        }
    }

    /// Removes the before, after and client address of matching events. The chain covers their digests,
    /// not the values, so it still verifies; `redacted_at` says the gap is an erasure.
    private static func redactDetails(of events: SQLQueryString, now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE audit_details SET "before" = NULL, "after" = NULL, client_address = NULL,
                redacted_at = \(bind: now)
            WHERE event_id IN (SELECT id FROM audit_events WHERE \(events))
            """
        ).run()
    }

    /// An account's personal data goes: name, mobile, address, secrets, sessions and messages, and the
    /// personal details of audit events about it or made by it. The events themselves stay.
    static func erase(_ account: UUID, now: Date, on sql: any SQLDatabase) async throws {
        let ids = [account.uuidString, account.uuidString.lowercased()]
        try await sql.raw(
            """
            UPDATE people SET given_name = 'Erased', family_name = 'person', mobile = NULL
            WHERE id = (SELECT person_id FROM accounts WHERE id = \(bind: account))
                AND NOT EXISTS (SELECT 1 FROM accounts o WHERE o.person_id = people.id AND o.id <> \(bind: account)
                    AND o.erased_at IS NULL)
            """
        ).run()
        try await sql.raw(
            """
            UPDATE accounts SET address = \(bind: "erased-\(account.uuidString.lowercased())@erased.invalid"),
                display_name = NULL, password_hash = NULL, temp_password_hash = NULL, totp_secret = NULL,
                erased_at = \(bind: now)
            WHERE id = \(bind: account)
            """
        ).run()
        for table in ["sessions", "outbox", "security_codes", "recovery_codes", "password_history"] {
            try await sql.raw("DELETE FROM \(ident: table) WHERE account_id = \(bind: account)").run()
        }
        try await sql.raw(
            "UPDATE security_events SET attempted = NULL, client_address = NULL WHERE account_id = \(bind: account)"
        ).run()
        try await redactDetails(of: "target_type = 'account' AND target_id IN (\(binds: ids))", now: now, on: sql)
        try await sql.raw(
            """
            UPDATE audit_details SET client_address = NULL, redacted_at = \(bind: now)
            WHERE event_id IN (SELECT id FROM audit_events WHERE actor_account_id = \(bind: account))
            """
        ).run()
        try await AuditLog.record(
            AuditEntry("account.erased", target: "account", id: account.uuidString), context: .system, at: now,
            on: sql)
    }
}

/// Runs `Retention.purge` daily.
enum RetentionJob {
    static let kind = "retention.purge"

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        _ = try await Retention.purge(now: app.clock.now(), settings: app.settings.retention, on: app.db)
    }

    static func scheduleIfNeeded(app: Application) async throws {
        try await JobRunner.scheduleIfNeeded(kind, every: 24 * 3600, app: app)
    }
}
