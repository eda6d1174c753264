import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp

/// What an empty test costs before its body runs: the old way (migrate and seed a new database) beside the way
/// every test now gets its database (copy the prepared one). Not a timed test: it prints figures, and runs only
/// when asked (`ONBOARD_BENCH_SETUP=20 swift test --filter SetupBenchmark`); docs/testing.md has the results.
@Suite(
    "Set-up benchmark",
    .enabled(if: ProcessInfo.processInfo.environment["ONBOARD_BENCH_SETUP"] != nil),
    .serialized
)
struct SetupBenchmark {
    private var rounds: Int { Int(ProcessInfo.processInfo.environment["ONBOARD_BENCH_SETUP"] ?? "") ?? 20 }

    @Test("An empty test: migrate and seed per test, beside a copy of the prepared database")
    func emptyTest() async throws {
        let database = TestDatabase.kindName
        // The first copy builds the template: paid once per run.
        let first = ContinuousClock().now
        try await withTestApp { _, _ in }
        let once = ContinuousClock().now - first

        var copied: [Duration] = []
        for _ in 0..<rounds {
            let start = ContinuousClock().now
            try await withTestApp { _, _ in }
            copied.append(ContinuousClock().now - start)
        }
        var seeded: [Duration] = []
        for _ in 0..<rounds {
            let start = ContinuousClock().now
            try await withFreshlySeededApp()
            seeded.append(ContinuousClock().now - start)
        }
        let before = median(seeded)
        let after = median(copied)
        print(
            """
            set-up benchmark (\(database), \(rounds) rounds, median):
              migrate and seed per test: \(milliseconds(before)) ms
              copy the prepared database: \(milliseconds(after)) ms (template built once in \(milliseconds(once)) ms)
              ratio: \(String(format: "%.1f", seconds(before) / seconds(after)))x
            """)
    }

    /// What every test did before: an application on a new, empty database, migrated, then loaded with the demo data.
    private func withFreshlySeededApp() async throws {
        let name = "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let url: String
        var admin: Application?
        if let adminURL = TestDatabase.postgresURL {
            let app = try await Application.make(.testing)
            app.databases.use(try .postgres(url: adminURL), as: .psql)
            try await (app.db as! any SQLDatabase).raw("CREATE DATABASE \(ident: name)").run()
            admin = app
            url = PreparedDatabases.url(adminURL, database: name)
        } else {
            url = "sqlite:" + FileManager.default.temporaryDirectory.appendingPathComponent("\(name).sqlite").path
        }
        let app = try await makeTestApplication(environment: "development", databaseURL: url).app
        try await app.autoMigrate()
        try await DemoData.seed(app)
        try await app.asyncShutdown()
        if let admin {
            try await (admin.db as! any SQLDatabase).raw("DROP DATABASE \(ident: name) WITH (FORCE)").run()
            try await admin.asyncShutdown()
        } else {
            try? FileManager.default.removeItem(atPath: String(url.dropFirst("sqlite:".count)))
        }
    }

    private func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
    private func milliseconds(_ d: Duration) -> Int { Int((seconds(d) * 1000).rounded()) }
}
