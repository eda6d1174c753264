import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import OnboardApp

@Suite("Retention")
struct RetentionTests {
    private func count(_ app: Application, _ query: SQLQueryString) async throws -> Int {
        struct Row: Decodable { let n: Int }
        var full: SQLQueryString = "SELECT COUNT(*) AS n "
        full.appendInterpolation(query)
        return try await (app.db as! any SQLDatabase).raw(full).firstRow(Row.self)?.n ?? 0
    }

    @Test("Erasing a deleted account removes its personal data, and the audit chain still verifies")
    func erasure() async throws {
        try await withTestApp { app, clock in
            let sql = app.db as! any SQLDatabase
            let tom = try await accountID(app, email: Demo.tom)
            // Something personal about Tom in the chain, then Tom is deleted.
            try await AuditLog.record(
                AuditEntry(
                    "account.update", target: "account", id: tom.uuidString, before: ["mobile": "07700 900111"],
                    after: ["mobile": "07700 900222"]),
                context: AuditContext(actorRole: "local_admin", clientAddress: "192.0.2.9"), at: app.clock.now(),
                on: sql)
            try await sql.raw(
                "UPDATE accounts SET state = 'deleted', state_changed_at = \(bind: app.clock.now()) WHERE id = \(bind: tom)"
            ).run()
            // Within the restore window nothing goes.
            clock.advance(by: 29 * 86_400)
            var outcome = try await Retention.purge(now: app.clock.now(), settings: RetentionSettings(), on: app.db)
            #expect(outcome.erasedAccounts == 0)
            clock.advance(by: 2 * 86_400)
            outcome = try await Retention.purge(now: app.clock.now(), settings: RetentionSettings(), on: app.db)
            #expect(outcome.erasedAccounts == 1)

            #expect(try await count(app, "FROM accounts WHERE address = \(bind: Demo.tom)") == 0)
            #expect(
                try await count(
                    app,
                    "FROM people p JOIN accounts a ON a.person_id = p.id WHERE a.id = \(bind: tom) AND p.family_name = 'Reed'"
                ) == 0)
            #expect(
                try await count(
                    app,
                    """
                    FROM audit_details d JOIN audit_events e ON e.id = d.event_id
                    WHERE e.target_id = \(bind: tom.uuidString) AND (d."after" LIKE '%07700%' OR d.client_address IS NOT NULL)
                    """) == 0)
            let report = try await AuditVerification.verify(on: sql, checkpoints: [])
            #expect(report.finding == nil)
            #expect(report.redacted > 0)
            #expect(try await auditCount(app, action: "account.erased") == 1)
            // A second pass finds nothing more to erase.
            let again = try await Retention.purge(now: app.clock.now(), settings: RetentionSettings(), on: app.db)
            #expect(again.erasedAccounts == 0)
        }
    }

    @Test("Ended applications, old drafts, sent messages and ended sessions go after their periods")
    func purges() async throws {
        try await withTestApp { app, clock in
            let sql = app.db as! any SQLDatabase
            let start = app.clock.now()
            // Two withdrawn applications with history, and a draft nobody finished.
            for (reference, state) in [
                ("APP-TEST-0001", "withdrawn"), ("APP-TEST-0002", "withdrawn"), ("APP-TEST-0003", "draft"),
            ] {
                let id = UUID()
                try await sql.raw(
                    """
                    INSERT INTO applications (id, reference, kind, state, applicant_email, code_attempts, answers,
                        created_at, updated_at)
                    VALUES (\(bind: id), \(bind: reference), 'non_nhs', \(bind: state), 'someone@example.org', 0, '{}',
                        \(bind: start), \(bind: start))
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO application_events (id, application_id, sequence, occurred_at, action, from_state,
                        to_state, actor)
                    VALUES (\(bind: UUID()), \(bind: id), 1, \(bind: start), 'withdraw', 'submitted', \(bind: state), 'applicant')
                    """
                ).run()
                try await AuditLog.record(
                    AuditEntry(
                        "application.withdrawn", target: "application", id: reference, before: String?.none,
                        after: ["email": "someone@example.org"]),
                    context: .system, at: start, on: sql)
            }
            let applications = 2
            try await sql.raw(
                """
                INSERT INTO outbox (id, channel, template, recipient, fields, state, attempts, created_at)
                VALUES (\(bind: UUID()), 'sms', 'code', '+447700900123', '{}', 'sent', 1, \(bind: start))
                """
            ).run()
            let outbox = try await count(app, "FROM outbox WHERE state IN ('sent', 'failed', 'cancelled')")
            _ = try await signIn(app, email: Demo.uma)
            try await sql.raw("UPDATE sessions SET ended_at = \(bind: start)").run()
            let settings = RetentionSettings(applicationDays: 10, draftDays: 5, outboxDays: 3, sessionDays: 2)

            clock.advance(by: 86_400)
            let early = try await Retention.purge(now: app.clock.now(), settings: settings, on: app.db)
            #expect(early == Retention.Outcome())

            clock.advance(by: 11 * 86_400)
            let late = try await Retention.purge(now: app.clock.now(), settings: settings, on: app.db)
            #expect(late.applications == applications)
            #expect(late.drafts == 1)
            #expect(try await count(app, "FROM applications WHERE reference LIKE 'APP-TEST-%'") == 0)
            #expect(
                try await count(
                    app,
                    """
                    FROM audit_details d JOIN audit_events e ON e.id = d.event_id
                    WHERE e.target_type = 'application' AND d."after" LIKE '%someone@%'
                    """) == 0)
            #expect(late.outbox == outbox)
            #expect(late.sessions > 0)
            #expect(try await count(app, "FROM sessions") == 0)
            #expect(try await auditCount(app, action: "applications.purged") == 2)
            let report = try await AuditVerification.verify(on: sql, checkpoints: [])
            #expect(report.finding == nil)
        }
    }

    @Test("Security events go after their own retention period")
    func securityEvents() async throws {
        try await withTestApp { app, clock in
            let visitor = try await preSession(app)
            _ = try await app.post(
                "/sign-in", form: [("email", Demo.tom), ("password", "wrong"), ("_csrf", visitor.csrf)],
                headers: visitor.headers)
            #expect(try await securityEventCount(app, kind: .signInFailed) == 1)
            clock.advance(by: 89 * 86_400)
            try await SecurityEventPurgeJob.run(
                ClaimedJob(id: UUID(), kind: SecurityEventPurgeJob.kind, payload: "{}", attempts: 1, maxAttempts: 1),
                app)
            #expect(try await securityEventCount(app, kind: .signInFailed) == 1)
            clock.advance(by: 2 * 86_400)
            try await SecurityEventPurgeJob.run(
                ClaimedJob(id: UUID(), kind: SecurityEventPurgeJob.kind, payload: "{}", attempts: 1, maxAttempts: 1),
                app)
            #expect(try await securityEventCount(app, kind: .signInFailed) == 0)
        }
    }
}
