import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Leaf
import OnboardDomain
import Vapor

/// Sets up one application: database, migrations, views, middleware, routes, jobs and commands.
/// The executable and the tests both call this.
public func configure(_ app: Application, _ dependencies: Dependencies) async throws {
    app.dependencies = dependencies
    // Requests log through the application's logger: nothing secret in it, whatever an error describes.
    app.logger.handler = RedactingLogHandler(wrapping: app.logger.handler)
    let settings = dependencies.settings
    AuditKeyStore.use(settings.audit.key)
    ServiceMetrics.bootstrap()
    app.dependencies.messages = dependencies.messages.counted()

    if settings.database.kindName == "sqlite" {
        // Each SQLite statement holds a thread of this pool while it runs or waits for the write lock. With
        // more threads than connections, a connection that waits never keeps the one it waits for from running.
        app.threadPool = NIOThreadPool(numberOfThreads: max(4, 2 * System.coreCount))
    }
    switch settings.database {
    case .sqliteMemory:
        app.databases.use(.immediateSQLite(.memory), as: .sqlite)
    case .sqliteFile(let path):
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        app.databases.use(.immediateSQLite(.file(path)), as: .sqlite)
    case .postgres(let url):
        do {
            app.databases.use(.postgres(configuration: try SQLPostgresConfiguration(url: url)), as: .psql)
        } catch {
            throw Settings.Problem(setting: "DATABASE_URL", reason: "is not a PostgreSQL URL this service can use")
        }
    }
    app.migrations.addOnboardMigrations()

    app.passwords.use(.bcrypt(cost: dependencies.passwords.cost))
    let hashing = dependencies.passwords
    await app.useHashing(
        HashingPool(
            threads: hashing.threads ?? HashingPool.standardThreads(), queueLimit: hashing.queueLimit,
            hasher: hashing.hasher ?? app.password))
    app.views.use(.leaf)
    app.leaf.cache.isEnabled = !settings.isDevelopment
    app.routes.defaultMaxBodySize = BodyLimits.standard
    // Nothing sent or received for this long closes the connection: a request sent in part and then left
    // does not hold a connection (and its event loop's attention) for ever.
    app.http.server.configuration.idleTimeout = .seconds(Int64(settings.httpIdleTimeoutSeconds))

    // Outermost first: headers on everything, then errors become pages or problems.
    app.middleware = .init()
    app.middleware.use(RequestIDMiddleware())
    app.middleware.use(SecurityHeadersMiddleware(production: !settings.isDevelopment))
    app.middleware.use(OnboardErrorMiddleware())
    app.middleware.use(SecurityEventMiddleware())
    app.middleware.use(RequestLogMiddleware())
    app.middleware.use(NoticeMiddleware())
    app.middleware.use(BodyLimitMiddleware())
    app.middleware.use(FileMiddleware(publicDirectory: app.directory.publicDirectory))

    try routes(app)
    app.middleware.use(MethodNotAllowedMiddleware(routes: app.routes.all))

    app.jobs = JobRunner.standard(app: app)
    useMailServer(app, settings: settings)

    app.asyncCommands.use(MigrateCommand(), as: "migrate")
    app.asyncCommands.use(SeedDemoCommand(), as: "seed-demo")
    app.asyncCommands.use(RebuildSummariesCommand(), as: "rebuild-summaries")
    app.asyncCommands.use(DemoAccountsCommand(), as: "demo-accounts")
    app.asyncCommands.use(OutboxCommand(), as: "outbox")
    app.asyncCommands.use(TokensCommand(), as: "tokens")
    app.asyncCommands.use(AuditCommand(), as: "audit")
    app.asyncCommands.use(OrganisationsCommand(), as: "organisations")
    app.asyncCommands.use(WorkerCommand(), as: "worker")
    app.asyncCommands.use(BulkBenchmarkCommand(), as: "bench-bulk")
    app.asyncCommands.use(ScanBenchmarkCommand(), as: "bench-scan")
    app.asyncCommands.use(ReportBenchmarkCommand(), as: "bench-reports")
    app.asyncCommands.use(HashBenchmarkCommand(), as: "bench-hash")
    app.asyncCommands.use(ServeWithDemoCommand(), as: "serve", isDefault: true)
}

/// The database's kind, for /health and start-up messages.
extension Application {
    var databaseKind: String { settings.database.kindName }
}

/// With `MAIL_*` settings, the directory drives Dovecot and Postfix: deliveries and session ends go to
/// Dovecot, and `onboard serve` answers Postfix's lookups on the socketmap. Without them, nothing is connected.
private func useMailServer(_ app: Application, settings: Settings) {
    _ = app.mailLoginCache
    _ = app.mailLoginLimiter
    guard let mail = settings.mailServer else { return }
    app.mailServer = .dovecot(mail, client: app.http.client.shared, group: MultiThreadedEventLoopGroup.singleton)
}
