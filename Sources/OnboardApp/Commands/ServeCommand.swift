import Fluent
import Foundation
import Vapor

/// `onboard serve`: prepares the database when it can do so safely, runs background jobs unless told
/// not to, then serves HTTP through Vapor's own command (which honours --hostname and --port).
struct ServeWithDemoCommand: AsyncCommand {
    typealias Signature = ServeCommand.Signature

    var help: String {
        "Serves the web pages and the API (and runs background jobs unless ONBOARD_JOBS_IN_SERVE=false)."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let settings = app.settings
        if settings.isDevelopment {
            try await app.autoMigrate()
            if try await DemoData.isEmpty(app.db) {
                try await DemoData.seed(app)
                try await DemoApplications.seed(app)
                context.console.info("Loaded the demo data into the empty database.")
            }
        }
        if settings.runJobsInServe {
            app.lifecycle.use(JobLifecycle.start(app, workers: settings.jobWorkers))
        }
        if let mail = settings.mailServer {
            app.lifecycle.use(try await SocketmapServer.start(app, address: mail.socketmap))
        }
        context.console.info("Database: \(settings.database.description)")
        if settings.isDevelopment {
            context.console.info(
                "Demo sign-ins: swift run onboard demo-accounts --json (password: \(DemoData.password))")
        }
        try await app.servers.asyncCommand.run(using: context, signature: signature)
        let address = app.http.server.configuration
        context.console.info("Onboard is running at http://\(address.hostname):\(address.port)")
    }
}

struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "yes", short: "y", help: "Accepted for scripts; migrating never asks.")
        var yes: Bool
    }

    var help: String { "Applies every migration that has not yet run." }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await context.application.autoMigrate()
        context.console.info("Database is up to date: \(context.application.settings.database.description)")
    }
}

struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "once", help: "Run the jobs that are due now, then stop.")
        var once: Bool
    }

    var help: String { "Runs background jobs, for instances that do not serve HTTP." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if signature.once {
            var count = 0
            while try await app.jobs.runOnce(app: app) { count += 1 }
            context.console.info("Ran \(count) job(s).")
            return
        }
        // Stopping the process mid-job is safe: the job's lease runs out and another worker retakes it.
        context.console.info("Worker running. Stop it with Ctrl-C.")
        let lifecycle = JobLifecycle.start(app, workers: app.settings.jobWorkers)
        await lifecycle.task.value
    }
}
