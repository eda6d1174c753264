import Fluent
import Foundation
import NIOCore
import NIOPosix
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp

/// The database the suite runs on: SQLite unless `ONBOARD_TEST_DATABASE_URL` names a PostgreSQL, whose role may
/// create databases (each test gets its own, copied from a prepared template).
enum TestDatabase {
    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["ONBOARD_TEST_DATABASE_URL"].flatMap { $0.hasPrefix("postgres") ? $0 : nil }
    }

    static var isPostgres: Bool { postgresURL != nil }

    /// What `/health` reports for this database.
    static var kindName: String { isPostgres ? "postgresql" : "sqlite" }
}

/// Where every test's clock starts: a fixed instant, so nothing depends on when the suite runs.
let testEpoch = Date(timeIntervalSince1970: 1_800_000_000)

/// What production requires besides a session secret: an MFA key and GOV.UK Notify (here, a port nothing
/// listens on: production tests send nothing).
let productionSecrets: [String: String] = [
    "ONBOARD_ENV": "production",
    // The audit key is process-wide (`AuditKeyStore`), and tests of both environments run at once in one process:
    // one key for all, or a chain written by one test would be keyed by another's.
    "AUDIT_KEY": String(decoding: AuditSettings().key, as: UTF8.self),
    "AUDIT_CHECKPOINT": FileManager.default.temporaryDirectory.appendingPathComponent("onboard-audit-production.jsonl")
        .path,
    "MFA_KEY": String(repeating: "m", count: 40),
    "NOTIFY_API_KEY": "test-\(UUID().uuidString.lowercased())-\(UUID().uuidString.lowercased())",
    "NOTIFY_BASE_URL": "http://127.0.0.1:9",
    "NOTIFY_TEMPLATES": MessageTemplate.allCases.map { "\($0.rawValue)=\(UUID().uuidString.lowercased())" }
        .joined(separator: ","),
]

/// The settings a test application uses.
func testSettings(environment: String = "development", databaseURL: String) throws -> Settings {
    var values = [
        "DATABASE_URL": databaseURL,
        "ONBOARD_ENV": environment,
        "SESSION_SECRET": String(repeating: "s", count: 40),
        // Each application checkpoints to a file of its own, so tests never read each other's.
        "AUDIT_CHECKPOINT": PreparedDatabases.scratch
            .appendingPathComponent("audit-\(UUID().uuidString).jsonl").path,
    ]
    if environment == "production" { values.merge(productionSecrets) { current, _ in current } }
    return try Settings.load(from: values)
}

/// Tests run in parallel; this bounds how many applications (and database pools) exist at once.
private let appSlots = AsyncSlots(8)

/// An application configured as every test's is, on `databaseURL`, with a clock that moves only when told to.
func makeTestApplication(environment: String, databaseURL: String) async throws -> (
    app: Application, clock: FixedClockControl
) {
    let settings = try testSettings(environment: environment, databaseURL: databaseURL)
    let (clock, control) = AppClock.fixed(testEpoch)
    let dependencies = Dependencies(
        settings: settings, clock: clock, secrets: .live, passwords: PasswordHashing(cost: 4))
    let app = try await Application.make(.testing)
    app.logger.logLevel = .warning
    do {
        try await configure(app, dependencies)
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
    app.dependencies.scanner = testScanner()
    app.storage[TestClockKey.self] = control
    return (app, control)
}

/// Runs `body` against a fresh application on its own copy of a prepared database: migrated and loaded with the
/// demo data, unless `seed` is false (migrated only). Copies cost milliseconds; see `PreparedDatabases`.
func withTestApp(
    environment: String = "development",
    seed: Bool = true,
    _ body: (Application, FixedClockControl) async throws -> Void
) async throws {
    await appSlots.acquire()
    let database: DatabaseCopy
    do {
        database = try await PreparedDatabases.shared.copy(DatabaseKind(environment: environment, seeded: seed))
    } catch {
        await appSlots.release()
        throw error
    }
    let app: Application
    let control: FixedClockControl
    do {
        (app, control) = try await makeTestApplication(environment: environment, databaseURL: database.url)
    } catch {
        await database.discard()
        await appSlots.release()
        throw error
    }
    do {
        try await body(app, control)
    } catch {
        await tearDown(app, database)
        throw error
    }
    await tearDown(app, database)
}

private func tearDown(_ app: Application, _ database: DatabaseCopy) async {
    try? await app.asyncShutdown()
    await database.discard()
    await appSlots.release()
}
/// The real clamd when scripts/test started one (`ONBOARD_TEST_CLAMD`), otherwise the EICAR-only fake.
func testScanner() -> MalwareScanner {
    if let address = ProcessInfo.processInfo.environment["ONBOARD_TEST_CLAMD"],
        let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...])
    {
        return .clamd(
            host: String(address[..<colon]), port: port, group: MultiThreadedEventLoopGroup.singleton)
    }
    return .fake
}

struct TestClockKey: StorageKey { typealias Value = FixedClockControl }

extension Application {
    /// The test's clock control, for helpers that must move time (a second authenticator code, say).
    var testClock: FixedClockControl? { storage[TestClockKey.self] }
}

/// A counting semaphore for async code: waiting suspends, it never sleeps.
actor AsyncSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
