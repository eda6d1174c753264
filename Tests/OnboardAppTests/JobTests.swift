import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Background jobs")
struct JobTests {
    struct Boom: Error, CustomStringConvertible {
        var description: String { "the mail server said no" }
    }

    /// What handlers saw, for the assertions.
    final class Calls: Sendable {
        private let box = NIOLockedValueBox<[String]>([])
        func record(_ payload: String) { box.withLockedValue { $0.append(payload) } }
        var all: [String] { box.withLockedValue { $0 } }
    }

    struct JobRow: Decodable {
        let state: String
        let attempts: Int
        let runAt: Date
        let lastError: String?
        let finishedAt: Date?
        let leaseUntil: Date?
        let leasedBy: String?
    }

    private func job(_ app: Application, _ id: UUID) async throws -> JobRow {
        let row = try await (app.db as! any SQLDatabase).raw(
            """
            SELECT state, attempts, run_at, last_error, finished_at, lease_until, leased_by
            FROM jobs WHERE id = \(bind: id)
            """
        ).firstRow(JobRow.self)
        return try #require(row)
    }

    private func runner(_ calls: Calls) -> JobRunner {
        JobRunner(
            handlers: [
                "test.fail": { job, _ in
                    calls.record(job.payload)
                    throw Boom()
                },
                "test.ok": { job, _ in calls.record(job.payload) },
            ],
            retry: RetryPolicy(maxAttempts: 3, baseDelay: 30, maxDelay: 3600))
    }

    private func close(_ a: Date?, _ b: Date) -> Bool {
        guard let a else { return false }
        return abs(a.timeIntervalSince(b)) < 0.001
    }

    @Test("A failing job is retried with backoff, records why, and ends failed after its attempts")
    func retriesThenFails() async throws {
        try await withTestApp { app, clock in
            let calls = Calls()
            app.jobs = runner(calls)
            let sql = app.db as! any SQLDatabase
            let id = try await JobRunner.enqueue(
                "test.fail", payload: "{\"n\":1}", runAt: clock.current, maxAttempts: 3, on: sql)

            #expect(try await app.jobs.runOnce(app: app))
            var row = try await job(app, id)
            #expect(row.state == "queued")
            #expect(row.attempts == 1)
            #expect(close(row.runAt, clock.current.addingTimeInterval(30)))
            #expect(row.lastError?.contains("the mail server said no") == true)
            #expect(row.leaseUntil == nil)

            // Not due yet: nothing runs.
            #expect(try await app.jobs.runOnce(app: app) == false)
            clock.advance(by: 29)
            #expect(try await app.jobs.runOnce(app: app) == false)

            clock.advance(by: 1)
            #expect(try await app.jobs.runOnce(app: app))
            row = try await job(app, id)
            #expect(row.state == "queued")
            #expect(row.attempts == 2)
            #expect(close(row.runAt, clock.current.addingTimeInterval(60)), "the wait doubles")

            clock.advance(by: 60)
            #expect(try await app.jobs.runOnce(app: app))
            row = try await job(app, id)
            #expect(row.state == "failed")
            #expect(row.attempts == 3)
            #expect(close(row.finishedAt, clock.current))
            #expect(row.lastError?.contains("the mail server said no") == true)

            clock.advance(by: 86_400)
            #expect(try await app.jobs.runOnce(app: app) == false, "a failed job is not run again")
            #expect(calls.all == ["{\"n\":1}", "{\"n\":1}", "{\"n\":1}"])
        }
    }

    @Test("A job that works ends succeeded")
    func succeeds() async throws {
        try await withTestApp { app, clock in
            let calls = Calls()
            app.jobs = runner(calls)
            let id = try await JobRunner.enqueue(
                "test.ok", payload: "hello", runAt: clock.current, on: app.db as! any SQLDatabase)
            #expect(try await app.jobs.runOnce(app: app))
            let row = try await job(app, id)
            #expect(row.state == "succeeded")
            #expect(row.attempts == 1)
            #expect(row.lastError == nil)
            #expect(close(row.finishedAt, clock.current))
            #expect(calls.all == ["hello"])
            #expect(try await app.jobs.runOnce(app: app) == false)
        }
    }

    @Test("A job is not run before its time")
    func notBeforeItsTime() async throws {
        try await withTestApp { app, clock in
            let calls = Calls()
            app.jobs = runner(calls)
            let id = try await JobRunner.enqueue(
                "test.ok", runAt: clock.current.addingTimeInterval(600), on: app.db as! any SQLDatabase)
            #expect(try await app.jobs.runOnce(app: app) == false)
            clock.advance(by: 600)
            #expect(try await app.jobs.runOnce(app: app))
            #expect(try await job(app, id).state == "succeeded")
        }
    }

    @Test("A job whose worker's lease ran out is claimed again by another worker")
    func expiredLeaseReclaimed() async throws {
        try await withTestApp { app, clock in
            let calls = Calls()
            var first = runner(calls)
            first.workerID = "worker-that-died"
            let id = try await JobRunner.enqueue("test.ok", runAt: clock.current, on: app.db as! any SQLDatabase)
            // The first worker claims the job and then never finishes it.
            let claimed = try await first.claim(on: app.db, now: clock.current)
            #expect(claimed?.id == id)
            var row = try await job(app, id)
            #expect(row.state == "running")
            #expect(row.leasedBy == "worker-that-died")

            var second = runner(calls)
            second.workerID = "worker-two"
            app.jobs = second
            #expect(try await second.runOnce(app: app) == false, "the lease still holds")
            clock.advance(by: first.leaseDuration + 1)
            #expect(try await second.runOnce(app: app))
            row = try await job(app, id)
            #expect(row.state == "succeeded")
            #expect(row.attempts == 2)
            #expect(row.leasedBy == "worker-two")
            #expect(calls.all.count == 1)
        }
    }

    @Test("A job of a kind nobody handles is recorded as a failure, not forgotten")
    func unknownKind() async throws {
        try await withTestApp { app, clock in
            app.jobs = JobRunner(handlers: [:], retry: RetryPolicy(maxAttempts: 1, baseDelay: 1, maxDelay: 1))
            let id = try await JobRunner.enqueue(
                "test.nobody", runAt: clock.current, maxAttempts: 1, on: app.db as! any SQLDatabase)
            #expect(try await app.jobs.runOnce(app: app))
            let row = try await job(app, id)
            #expect(row.state == "failed")
            #expect(row.lastError?.contains("test.nobody") == true)
        }
    }

    @Test("Two claims at the same moment never take the same job")
    func claimsAreExclusive() async throws {
        try await withTestApp { app, clock in
            let sql = app.db as! any SQLDatabase
            for _ in 0..<6 { try await JobRunner.enqueue("test.ok", runAt: clock.current, on: sql) }
            let calls = Calls()
            let a = runner(calls)
            let b = runner(calls)
            let now = clock.current
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for worker in [a, b] {
                    group.addTask {
                        var mine: [UUID] = []
                        while let job = try await worker.claim(on: app.db, now: now) { mine.append(job.id) }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claimed.count == 6)
            #expect(Set(claimed).count == 6)
        }
    }
}
