import FluentKit
import FluentSQLiteDriver
import Logging
import NIOCore
import SQLKit

/// SQLite with every transaction begun `IMMEDIATE`: the write lock is taken when the transaction starts, so a
/// second writer waits in SQLite's busy handler. Fluent begins transactions deferred; one that reads and then
/// writes while another holds the write lock gets "database is locked" at once, because SQLite will not wait
/// where waiting could deadlock.
struct ImmediateSQLiteConfiguration: DatabaseConfiguration {
    var inner: any DatabaseConfiguration

    var middleware: [any AnyModelMiddleware] {
        get { inner.middleware }
        set { inner.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        ImmediateSQLiteDriver(inner: inner.makeDriver(for: databases))
    }
}

extension DatabaseConfigurationFactory {
    static func immediateSQLite(_ configuration: SQLiteConfiguration) -> Self {
        .init { ImmediateSQLiteConfiguration(inner: DatabaseConfigurationFactory.sqlite(configuration).make()) }
    }
}

private struct ImmediateSQLiteDriver: DatabaseDriver {
    let inner: any DatabaseDriver

    func makeDatabase(with context: DatabaseContext) -> any Database {
        ImmediateSQLiteDatabase(inner: inner.makeDatabase(with: context), inTransaction: false)
    }

    func shutdown() { inner.shutdown() }
    func shutdownAsync() async { await inner.shutdownAsync() }
}

/// Fluent's SQLite database, passed through, except that a transaction begins `IMMEDIATE`.
private struct ImmediateSQLiteDatabase: Database, SQLDatabase {
    /// SQLiteNIO's own busy handler retries at once and for ever, on a thread of the blocking pool. Two such
    /// waiters on a two-core machine hold every thread, so the writer they wait for never runs again. SQLite's
    /// timed handler sleeps between tries and gives up, and the setting stays with the connection.
    static let busyTimeoutMilliseconds = 5000

    let inner: any Database
    let inTransaction: Bool

    private var sql: any SQLDatabase { inner as! any SQLDatabase }

    var context: DatabaseContext { inner.context }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void)
        -> EventLoopFuture<Void>
    {
        inner.execute(query: query, onOutput: onOutput)
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> { inner.execute(schema: schema) }
    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> { inner.execute(enum: `enum`) }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        let inTransaction = inTransaction
        return inner.withConnection { closure(ImmediateSQLiteDatabase(inner: $0, inTransaction: inTransaction)) }
    }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if inTransaction { return closure(self) }
        return inner.withConnection { connection in
            let transaction = ImmediateSQLiteDatabase(inner: connection, inTransaction: true)
            let sql = connection as! any SQLDatabase
            return sql.raw("PRAGMA busy_timeout = \(unsafeRaw: String(Self.busyTimeoutMilliseconds))").run().flatMap {
                sql.raw("BEGIN IMMEDIATE TRANSACTION").run()
            }.flatMap {
                closure(transaction).flatMap { result in
                    sql.raw("COMMIT TRANSACTION").run().map { result }
                }.flatMapError { error in
                    // The transaction's own error is the one to report, whether or not the rollback worked.
                    sql.raw("ROLLBACK TRANSACTION").run().recover { _ in }.flatMapThrowing { throw error }
                }
            }
        }
    }

    var logger: Logger { sql.logger }
    var eventLoop: any EventLoop { sql.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { sql.version }
    var dialect: any SQLDialect { sql.dialect }
    var queryLogLevel: Logger.Level? { sql.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
        -> EventLoopFuture<Void>
    {
        sql.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await sql.execute(sql: query, onRow)
    }
}
