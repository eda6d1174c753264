import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp

/// What a test's database starts from. Each kind is migrated (and seeded) once per run, then copied for every
/// test that asks for it: migrating and loading the demo data for each of ~400 tests was most of the suite's time.
struct DatabaseKind: Hashable, Sendable {
    /// `development` or `production`: the audit key differs, so a chain written under one does not verify
    /// under the other, and the two never share a template.
    var environment: String
    /// Whether the demo data is loaded. A test that needs an empty (migrated) database asks for `seeded: false`.
    var seeded: Bool

    var slug: String { "\(environment)_\(seeded ? "seeded" : "empty")" }
}

/// A test's own copy of a prepared database; `discard()` removes it once the application has shut down.
struct DatabaseCopy: Sendable {
    let url: String
    let discard: @Sendable () async -> Void
}

/// The prepared databases of this test process: files on SQLite, template databases on PostgreSQL
/// (`CREATE DATABASE … TEMPLATE`, as SwiftPackageIndex-Server's test pool does).
actor PreparedDatabases {
    static let shared = PreparedDatabases()

    private var templates: [DatabaseKind: Task<String, any Error>] = [:]
    private var admin: Task<Application, any Error>?

    /// A fresh copy of the prepared database of `kind`, built on first use.
    func copy(_ kind: DatabaseKind) async throws -> DatabaseCopy {
        let template = try await template(kind)
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        if let adminURL = TestDatabase.postgresURL {
            let admin = try await adminDatabase(adminURL)
            // FILE_COPY: for a database this small, copying its files beats writing them through the WAL.
            try await admin.raw("CREATE DATABASE \(ident: name) TEMPLATE \(ident: template) STRATEGY FILE_COPY").run()
            return DatabaseCopy(url: Self.url(adminURL, database: name)) {
                do {
                    try await admin.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run()
                } catch {
                    Issue.record("could not drop test database \(name): \(String(reflecting: error))")
                }
            }
        }
        let path = Self.scratch.appendingPathComponent("\(name).sqlite").path
        try FileManager.default.copyItem(atPath: template, toPath: path)
        return DatabaseCopy(url: "sqlite:" + path) {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: path + suffix)
            }
        }
    }

    private func template(_ kind: DatabaseKind) async throws -> String {
        if let task = templates[kind] { return try await task.value }
        let task = Task { try await self.build(kind) }
        templates[kind] = task
        return try await task.value
    }

    /// Migrates (and seeds) the template of `kind` through the application itself, exactly as a test would.
    private func build(_ kind: DatabaseKind) async throws -> String {
        let template: String
        let url: String
        let run = "p\(ProcessInfo.processInfo.processIdentifier)_\(kind.slug)"
        if let adminURL = TestDatabase.postgresURL {
            template = "onboard_template_" + run
            let admin = try await adminDatabase(adminURL)
            try await admin.raw("DROP DATABASE IF EXISTS \(ident: template) WITH (FORCE)").run()
            try await admin.raw("CREATE DATABASE \(ident: template)").run()
            url = Self.url(adminURL, database: template)
        } else {
            template = Self.scratch.appendingPathComponent("template_\(run).sqlite").path
            try? FileManager.default.removeItem(atPath: template)
            url = "sqlite:" + template
        }
        let app = try await makeTestApplication(environment: kind.environment, databaseURL: url).app
        do {
            try await app.autoMigrate()
            if kind.seeded { try await DemoData.seed(app) }
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        // Shutting down closes every connection: PostgreSQL copies a template only when nobody is connected.
        try await app.asyncShutdown()
        return template
    }

    /// A connection pool to the database named by `ONBOARD_TEST_DATABASE_URL`, used only to create and drop the
    /// per-test databases (the role has CREATEDB). It lives as long as the test process.
    private func adminDatabase(_ url: String) async throws -> any SQLDatabase {
        // One task for everyone: the actor is re-entered while `Application.make` suspends, and a second
        // application made meanwhile would be dropped without being shut down.
        let task =
            admin
            ?? Task {
                let app = try await Application.make(.testing)
                app.logger.logLevel = .warning
                app.databases.use(try .postgres(url: url), as: .psql)
                return app
            }
        admin = task
        return try await task.value.db as! any SQLDatabase
    }

    /// Where SQLite copies live: memory-backed `/dev/shm` when there is one (a commit then costs no disk flush),
    /// under `ONBOARD_TEST_SCRATCH` when scripts/test names a folder it removes afterwards.
    static let scratch: URL = {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["ONBOARD_TEST_SCRATCH"].map { URL(fileURLWithPath: $0) }
            ?? (FileManager.default.isWritableFile(atPath: "/dev/shm")
                ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory)
        let folder = base.appendingPathComponent("onboard-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // The copies are removed one by one; the templates go when the process ends.
        atexit { try? FileManager.default.removeItem(at: PreparedDatabases.scratch) }
        return folder
    }()

    /// `url` with its database name replaced.
    static func url(_ url: String, database: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + database
        return components.string ?? url
    }
}
