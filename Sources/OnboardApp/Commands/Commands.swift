import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

struct SeedDemoCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Loads the demo organisations and people (development only; safe to repeat)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await app.autoMigrate()
        try await DemoData.seed(app)
        try await DemoApplications.seed(app)
        context.console.info("Demo data is loaded. See them with: onboard demo-accounts --json")
    }
}

struct DemoAccountsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "json", help: "Print as JSON.")
        var json: Bool
    }

    var help: String { "Prints the demo sign-ins (development only)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await DemoData.guardAllowed(app)
        let signIns = DemoData.signIns(domain: app.settings.mailDomain)
        if signature.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            context.console.output(String(decoding: try encoder.encode(signIns), as: UTF8.self).consoleText())
        } else {
            for signIn in signIns {
                context.console.output("\(signIn.email)  \(signIn.role)  \(signIn.ods ?? "-")".consoleText())
            }
            context.console.output("Password for all: \(DemoData.password)".consoleText())
        }
    }
}

struct TokensCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "create")
        var action: String
        @Option(name: "email", help: "The account the token acts as.")
        var email: String?
        @Option(name: "name", help: "A label to recognise the token by.")
        var name: String?
    }

    var help: String { "Creates an API token: `tokens create --email ADDRESS [--name LABEL]`. Prints it once." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "create" else {
            throw Abort(.badRequest, reason: "Only `tokens create` is supported.")
        }
        guard let email = signature.email?.lowercased(), !email.isEmpty else {
            throw Abort(.badRequest, reason: "Give the account with --email ADDRESS.")
        }
        let app = context.application
        guard let account = try await Account.query(on: app.db).filter(\.$address == email).first() else {
            throw Abort(.notFound, reason: "No account has that address.")
        }
        let token = "onb_" + app.dependencies.secrets.token()
        let record = APIToken()
        record.$account.id = try account.requireID()
        record.name = signature.name ?? "API token"
        record.tokenHash = SecretHash.sha256Hex(token)
        record.createdAt = app.clock.now()
        record.expiresAt = record.createdAt.addingTimeInterval(Double(APITokens.maximumDays) * 86_400)
        record.readOnly = false
        try await app.db.transaction { db in
            try await record.save(on: db)
            try await AuditLog.record(
                AuditEntry(
                    "api_token.create", target: "account", id: account.id?.uuidString, before: String?.none,
                    after: ["token": record.id?.uuidString ?? "", "name": record.name]),
                context: AuditContext(actorRole: "operator"), at: record.createdAt, on: db as! any SQLDatabase)
        }
        context.console.info("Token created for \(email). It is shown only now; keep it safe.")
        context.console.output(token.consoleText())
    }
}

struct OrganisationsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "import")
        var action: String
        @Argument(name: "file", help: "A CSV with ods_code,name,type,postcode,region,parent,status")
        var file: String
    }

    var help: String { "Imports organisation reference data: `organisations import FILE.csv` (safe to repeat)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "import" else {
            throw Abort(.badRequest, reason: "Only `organisations import FILE` is supported.")
        }
        let app = context.application
        guard let data = FileManager.default.contents(atPath: signature.file) else {
            throw Abort(.notFound, reason: "Cannot read \(signature.file).")
        }
        let importer = OrganisationImporter(
            database: app.db, now: app.clock.now(), audit: AuditContext(actorRole: "operator"))
        do {
            let outcome = try await importer.importCSV(String(decoding: data, as: UTF8.self))
            context.console.info(
                "Imported: \(outcome.created) created, \(outcome.updated) updated, \(outcome.unchanged) unchanged.")
        } catch let errors as ValidationErrors {
            for error in errors.errors { context.console.error(error.message) }
            throw Abort(.unprocessableEntity, reason: "Nothing was imported: fix the file and try again.")
        }
    }
}

struct OutboxCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "limit", help: "How many messages, newest first (default 20).")
        var limit: Int?
        @Flag(name: "send", help: "Send what is queued first (when no server's worker is running).")
        var send: Bool
    }

    var help: String {
        "Shows what the development sink delivered: texts and emails, codes included (development only)."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard app.settings.isDevelopment, app.settings.notify == nil else {
            throw DemoData.Refused(reason: "The outbox sink exists only in development without GOV.UK Notify.")
        }
        try await app.autoMigrate()
        if signature.send {
            while try await app.jobs.runOnce(app: app) {}
        }
        for delivery in try await DevOutbox.recent(limit: signature.limit ?? 20, on: app.db as! any SQLDatabase) {
            context.console.output(
                "\(Format.dateTime(delivery.deliveredAt))  to \(delivery.recipient)  [\(delivery.template)]"
                    .consoleText())
            context.console.output("  \(delivery.body)".consoleText())
        }
    }
}

/// `onboard rebuild-summaries`: rebuilds every directory entry and the account counts per organisation from
/// the source tables, in one transaction. Triggers keep both current; this is for after a bulk load that
/// bypassed them (PostgreSQL's `session_replication_role = replica` skips triggers), and it is safe to repeat.
struct RebuildSummariesCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Rebuilds the directory's search entries and the reports' account counts." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let started = Date()
        let count = try await context.application.db.inTransaction { sql in
            let entries = try await DirectoryIndex.rebuild(on: sql)
            try await DirectoryIndex.recount(on: sql)
            return entries
        }
        context.console.info(
            "Rebuilt \(count) directory entries and the account counts in "
                + String(format: "%.1f s", Date().timeIntervalSince(started)))
    }
}
