import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp

@Suite("Job workers side by side")
struct JobWorkersTests {
    @Test("Four workers draining one queue run every job exactly once")
    func eachJobOnce() async throws {
        try await withTestApp(seed: false) { app, _ in
            let runs = NIOLockedValueBox([String: Int]())
            let runner = JobRunner(handlers: [
                "test.count": { job, _ in runs.withLockedValue { $0[job.payload, default: 0] += 1 } }
            ])
            let sql = app.db as! any SQLDatabase
            for number in 0..<40 {
                try await JobRunner.enqueue("test.count", payload: "\(number)", runAt: app.clock.now(), on: sql)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { while try await runner.runOnce(app: app) {} }
                }
                try await group.waitForAll()
            }
            let counted = runs.withLockedValue { $0 }
            #expect(counted.count == 40)
            #expect(counted.values.allSatisfy { $0 == 1 })
        }
    }
}
