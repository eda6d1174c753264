import Fluent
import Foundation
import NIOConcurrencyHelpers
import OnboardDomain
import SQLKit
import Vapor

/// A job taken off the queue by one worker, under a lease.
struct ClaimedJob: Sendable, Decodable {
    let id: UUID
    let kind: String
    let payload: String
    let attempts: Int
    let maxAttempts: Int
}

typealias JobHandler = @Sendable (ClaimedJob, Application) async throws -> Void

/// The one mechanism for background work. Jobs live in the database with leases: a worker that dies
/// loses its lease and another takes the job again. Failures are recorded, retried with backoff and
/// finally marked failed, never just logged.
struct JobRunner: Sendable {
    var handlers: [String: JobHandler]
    var retry: RetryPolicy = .standard
    var leaseDuration: TimeInterval = 300
    var workerID = "worker-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"

    static func standard(app: Application) -> JobRunner {
        JobRunner(handlers: [
            SessionPruneJob.kind: SessionPruneJob.run,
            ApplicationMessageJob.kind: ApplicationMessageJob.run,
            StaffNoticeJob.kind: StaffNoticeJob.run,
            InvitationMessageJob.kind: InvitationMessageJob.run,
            Outbox.jobKind: Outbox.run,
            AccountLifecycleJob.kind: AccountLifecycleJob.run,
            BulkApplyJob.kind: BulkApplyJob.run,
            BulkPurgeJob.kind: BulkPurgeJob.run,
            TransferScanJob.kind: TransferScanJob.run,
            QuarantinePurgeJob.kind: QuarantinePurgeJob.run,
            AuditCheckpointJob.kind: AuditCheckpointJob.run,
            SecurityEventPurgeJob.kind: SecurityEventPurgeJob.run,
            RetentionJob.kind: RetentionJob.run,
            MailSessions.jobKind: MailSessions.run,
            MailSharing.jobKind: MailSharing.run,
        ])
    }

    @discardableResult
    static func enqueue(
        _ kind: String, payload: String = "{}", runAt: Date, maxAttempts: Int = RetryPolicy.standard.maxAttempts,
        on db: any SQLDatabase
    ) async throws -> UUID {
        let id = UUID()
        try await db.insert(
            into: "jobs",
            row: [
                "id": id, "kind": kind, "payload": payload, "state": JobState.queued.rawValue, "attempts": 0,
                "max_attempts": maxAttempts, "run_at": runAt, "created_at": runAt,
            ]
        )
        .run()
        JobBell.shared.ring()
        return id
    }

    /// Keeps one future run of a periodic job queued.
    static func scheduleIfNeeded(_ kind: String, every interval: TimeInterval, app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        let pending = try await sql.raw(
            "SELECT id FROM jobs WHERE kind = \(bind: kind) AND state IN (\(binds: [JobState.queued.rawValue, JobState.running.rawValue]))"
        ).first()
        if pending == nil {
            try await enqueue(kind, runAt: app.clock.now().addingTimeInterval(interval), on: sql)
        }
    }

    /// Takes the next due job, or one whose lease has run out.
    func claim(on database: any Database, now: Date) async throws -> ClaimedJob? {
        let leaseUntil = now.addingTimeInterval(leaseDuration)
        let queued = JobState.queued.rawValue
        let running = JobState.running.rawValue
        if database is any SQLDatabase, (database as! any SQLDatabase).dialect.name == "postgresql" {
            let sql = database as! any SQLDatabase
            // Due jobs first, then lapsed leases: each arm is its own index probe. One query with OR read and
            // sorted every due row for each claim, so a batch of 10,000 cost the square of its size.
            return try await sql.raw(
                """
                UPDATE jobs SET state = \(bind: running), attempts = attempts + 1,
                    lease_until = \(bind: leaseUntil), leased_by = \(bind: workerID)
                WHERE id = COALESCE(
                    (SELECT id FROM jobs WHERE state = \(bind: queued) AND run_at <= \(bind: now)
                     ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED),
                    (SELECT id FROM jobs WHERE state = \(bind: running) AND lease_until < \(bind: now)
                     ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED))
                RETURNING id, kind, payload, attempts, max_attempts
                """
            ).firstRow(ClaimedJob.self)
        }
        // SQLite has one writer, and its transactions begin IMMEDIATE (`ImmediateSQLite`): the write lock is
        // held before the read, so two workers cannot pick the same row.
        return try await database.transaction { transaction in
            let sql = transaction as! any SQLDatabase
            struct Due: Decodable { let id: UUID }
            // Each arm is its own index probe on (state, …), as on PostgreSQL.
            guard
                let due = try await sql.raw(
                    """
                    SELECT id, due FROM (
                        SELECT id, run_at AS due FROM jobs
                        WHERE state = \(bind: queued) AND run_at <= \(bind: now) ORDER BY run_at LIMIT 1) AS waiting
                    UNION ALL
                    SELECT id, due FROM (
                        SELECT id, lease_until AS due FROM jobs
                        WHERE state = \(bind: running) AND lease_until < \(bind: now) ORDER BY lease_until LIMIT 1) AS lapsed
                    ORDER BY due LIMIT 1
                    """
                ).firstRow(Due.self)
            else { return nil }
            // Guarded by the same condition, so an update can never take a job that is no longer due.
            return try await sql.raw(
                """
                UPDATE jobs SET state = \(bind: running), attempts = attempts + 1,
                    lease_until = \(bind: leaseUntil), leased_by = \(bind: workerID)
                WHERE id = \(bind: due.id)
                  AND ((state = \(bind: queued) AND run_at <= \(bind: now))
                    OR (state = \(bind: running) AND lease_until < \(bind: now)))
                RETURNING id, kind, payload, attempts, max_attempts
                """
            ).firstRow(ClaimedJob.self)
        }
    }

    /// Claims and runs one job. Returns false when nothing was due.
    @discardableResult
    func runOnce(app: Application) async throws -> Bool {
        let now = app.clock.now()
        guard let job = try await claim(on: app.db, now: now) else { return false }
        let sql = app.db as! any SQLDatabase
        do {
            guard let handler = handlers[job.kind] else {
                throw Abort(.internalServerError, reason: "No handler for job kind \(job.kind)")
            }
            do {
                try await handler(job, app)
            } catch is WorkerStoppedDead {
                // A test's stand-in for a killed worker: the job keeps its lease, untouched, until it runs out.
                return true
            }
            try await sql.raw(
                """
                UPDATE jobs SET state = \(bind: JobState.succeeded.rawValue), finished_at = \(bind: app.clock.now()),
                    lease_until = NULL, last_error = NULL
                WHERE id = \(bind: job.id)
                """
            ).run()
        } catch {
            let reason = String(describing: error).prefix(1000)
            let policy = RetryPolicy(
                maxAttempts: job.maxAttempts, baseDelay: retry.baseDelay, maxDelay: retry.maxDelay)
            switch policy.afterFailure(attempts: job.attempts) {
            case .retry(let delay):
                try await sql.raw(
                    """
                    UPDATE jobs SET state = \(bind: JobState.queued.rawValue), lease_until = NULL,
                        run_at = \(bind: app.clock.now().addingTimeInterval(delay)), last_error = \(bind: String(reason))
                    WHERE id = \(bind: job.id)
                    """
                ).run()
            case .giveUp:
                try await sql.raw(
                    """
                    UPDATE jobs SET state = \(bind: JobState.failed.rawValue), lease_until = NULL,
                        finished_at = \(bind: app.clock.now()), last_error = \(bind: String(reason))
                    WHERE id = \(bind: job.id)
                    """
                ).run()
            }
            app.logger.warning("Job failed", metadata: ["job": "\(job.id)", "kind": "\(job.kind)"])
        }
        return true
    }

    /// Works until cancelled: drains due jobs, keeps housekeeping scheduled, then waits a little.
    func work(app: Application, pollInterval: Duration = .seconds(2), housekeeping: Bool = true) async {
        while !Task.isCancelled {
            do {
                if housekeeping { try await scheduleHousekeeping(app: app) }
                while try await runOnce(app: app), !Task.isCancelled {}
            } catch {
                app.logger.error("Job worker could not reach the queue: \(String(reflecting: type(of: error)))")
            }
            await JobBell.shared.wait(upTo: pollInterval)
        }
    }

    private func scheduleHousekeeping(app: Application) async throws {
        try await SessionPruneJob.scheduleIfNeeded(app: app)
        try await AccountLifecycleJob.scheduleIfNeeded(app: app)
        try await BulkPurgeJob.scheduleIfNeeded(app: app)
        try await QuarantinePurgeJob.scheduleIfNeeded(app: app)
        try await AuditCheckpointJob.scheduleIfNeeded(app: app)
        try await SecurityEventPurgeJob.scheduleIfNeeded(app: app)
        try await RetentionJob.scheduleIfNeeded(app: app)
    }
}

/// Wakes the worker when work is queued, so a job asked for now (ending a locked account's mail sessions,
/// sending a security code) starts within a fraction of a second instead of at the next poll. A ring can
/// come before the enqueuing transaction commits, so after one the worker looks again every 50 ms for a
/// second rather than once.
final class JobBell: Sendable {
    static let shared = JobBell()
    private let rungAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    static let step: Duration = .milliseconds(50)
    static let watchful: Duration = .seconds(1)

    func ring() { rungAt.withLockedValue { $0 = .now } }

    /// Returns after `limit`, or within one step once rung (and for a second after it).
    func wait(upTo limit: Duration) async {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit, !Task.isCancelled {
            try? await Task.sleep(for: Self.step)
            if let rung = rungAt.withLockedValue({ $0 }), ContinuousClock.now - rung < Self.watchful { return }
        }
    }
}

extension Application {
    private struct JobRunnerKey: StorageKey { typealias Value = JobRunner }

    var jobs: JobRunner {
        get { storage[JobRunnerKey.self] ?? JobRunner(handlers: [:]) }
        set { storage[JobRunnerKey.self] = newValue }
    }
}

/// Runs jobs inside `serve`, and stops them when the application shuts down.
struct JobLifecycle: LifecycleHandler {
    let task: Task<Void, Never>

    /// `workers` loops drain the queue side by side (a welcome email for each of 10,000 new accounts should
    /// not wait in single file); one of them also keeps the housekeeping jobs scheduled.
    static func start(_ app: Application, workers: Int) -> JobLifecycle {
        let runner = app.jobs
        return JobLifecycle(
            task: Task {
                await withTaskGroup(of: Void.self) { group in
                    for index in 0..<max(1, workers) {
                        // Each loop its own name, so a job's `leased_by` says which loop holds it.
                        var loop = runner
                        loop.workerID = "\(runner.workerID)-\(index + 1)"
                        let named = loop
                        group.addTask { await named.work(app: app, housekeeping: index == 0) }
                    }
                }
            })
    }

    func shutdownAsync(_ app: Application) async {
        task.cancel()
        await task.value
    }
}

/// Housekeeping: ends sessions that have passed their limits.
enum SessionPruneJob {
    static let kind = "sessions.prune"

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        let now = app.clock.now()
        let policy = SessionPolicy.standard
        let sql = app.db as! any SQLDatabase
        try await sql.raw(
            """
            UPDATE sessions SET ended_at = \(bind: now)
            WHERE ended_at IS NULL
              AND (last_seen_at < \(bind: now.addingTimeInterval(-policy.idleLimit))
                   OR created_at < \(bind: now.addingTimeInterval(-policy.absoluteLimit)))
            """
        ).run()
    }

    static func scheduleIfNeeded(app: Application) async throws {
        try await JobRunner.scheduleIfNeeded(kind, every: 15 * 60, app: app)
    }
}
