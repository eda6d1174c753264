import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// `onboard bench-bulk`: generates a pharmacy multiple's sheet (10,000 users over 1,000 stores by default)
/// and runs the real validate and apply paths on the configured database, audit and outbox included.
/// Prints rows per second and peak memory. Development databases only: it adds organisations and accounts.
struct BulkBenchmarkCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "users", help: "Users on the sheet (default 10000).")
        var users: Int?
        @Option(name: "stores", help: "Stores on the sheet (default 1000).")
        var stores: Int?
        @Option(name: "format", help: "csv or xlsx (default xlsx).")
        var format: String?
    }

    var help: String { "Measures bulk registration: validate and apply a generated sheet (development only)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await DemoData.guardAllowed(app)
        try await app.autoMigrate()
        if try await DemoData.isEmpty(app.db) { try await DemoData.seed(app) }
        let users = signature.users ?? 10_000
        let stores = signature.stores ?? 1_000
        let format = BulkFormat(rawValue: signature.format ?? "xlsx") ?? .xlsx
        let sql = app.db as! any SQLDatabase
        let run = String(UUID().uuidString.prefix(4))  // keeps repeated runs apart: new stores, ids and names
        let now = app.clock.now()
        let offset = Int.random(in: 0..<5_000) * 20_000

        // Stores under the demo head office, IG met through it: one multi-row insert.
        struct Row: Decodable { let id: UUID }
        guard
            let hq = try await sql.raw("SELECT id FROM organisations WHERE ods_code = 'FHQ01'").firstRow(
                Row.self)?.id
        else { throw Abort(.notFound, reason: "The demo head office FHQ01 is missing: run seed-demo") }
        let storeCodes = (1...stores).map { "B\(run)\(String(format: "%04d", $0))".uppercased() }
        let storeRows: [[any Encodable & Sendable]] = storeCodes.enumerated().map { index, ods in
            [
                UUID(), ods, "Bench Pharmacy \(run) \(index + 1)", OrganisationType.communityPharmacy.rawValue,
                "england", "north_east_and_yorkshire", "LS1 1AA", OnboardingStatus.onboarding.rawValue,
                IGToolkitStatus.notStarted.rawValue, hq, true, false, hq, hq, now, now,
            ]
        }
        try await sql.insertRows(
            "organisations",
            [
                "id", "ods_code", "name", "type", "country", "region", "postcode", "status", "ig_status",
                "ig_completed_by_id", "delivers_nhs_care", "other_public_email", "parent_id", "administered_by_id",
                "created_at", "updated_at",
            ], storeRows)
        guard
            let sam = try await sql.raw(
                "SELECT id FROM accounts WHERE address = \(bind: "sam.khan@\(app.settings.mailDomain)")"
            )
            .firstRow(Row.self)?.id,
            let principal = try await PrincipalLoader.load(accountID: sam, sessionID: nil, on: sql)
        else { throw Abort(.notFound, reason: "The demo super user is missing: run seed-demo") }

        // A tenth of the people share one name, so addresses take numbers the way common names do.
        let sheets = [
            SheetTable(
                name: "stores",
                cells: [BulkSheet.storeColumns]
                    + storeCodes.enumerated().map { index, ods in
                        [
                            ods, "Bench Pharmacy \(index + 1)", String(1_000_000 + index),
                            "bench\(run)-\(index + 1)".lowercased(),
                        ]
                    }),
            SheetTable(
                name: "users",
                cells: [BulkSheet.userColumns]
                    + (1...users).map { i in
                        let common = i % 10 == 0
                        return [
                            "\(run)-\(i)", common ? "John" : "Person\(i)", common ? "Smith" : "Bench\(run)",
                            "077" + String(format: "%08d", (offset + i) % 100_000_000), storeCodes[(i - 1) % stores],
                            BulkSheet.PharmacyRole.allCases[i % 4].rawValue,
                        ]
                    }),
        ]
        let bytes = BulkFile.write(sheets, as: format)
        context.console.output(
            "database: \(app.databaseKind); sheet: \(users) users, \(stores) stores, \(format.rawValue) \(bytes.count / 1024) KB"
                .consoleText())

        let settings = app.settings
        let clock = ContinuousClock()
        var received: BulkUploads.Received?
        let validate = try await clock.measure {
            received = try await app.db.inTransaction { db in
                try await BulkUploads.receive(
                    bytes, filename: "bench.\(format.rawValue)", kind: .pharmacyMultiple, principal: principal,
                    settings: settings, context: .system, now: now, on: db)
            }
        }
        guard let received, received.status == .valid else {
            throw Abort(
                .internalServerError,
                reason: "The generated sheet was not valid: \(received?.report.problems.prefix(3) ?? [])")
        }
        try await sql.raw(
            """
            UPDATE bulk_uploads SET status = 'queued', activation_method = 'automated', applied_by_id = \(bind: sam),
                applied_at = \(bind: now) WHERE id = \(bind: received.id)
            """
        ).run()
        let job = ClaimedJob(
            id: UUID(), kind: BulkApplyJob.kind, payload: #"{"upload":"\#(received.id.uuidString)"}"#, attempts: 1,
            maxAttempts: 1)
        let apply = try await clock.measure { try await BulkApplyJob.run(job, app) }
        let upload = try await BulkUploads.load(received.id, on: sql)
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        let rows = Double(users + stores)
        context.console.output(
            """
            validate: \(String(format: "%.2f", seconds(validate))) s (\(Int(rows / seconds(validate))) rows/s)
            apply:    \(String(format: "%.2f", seconds(apply))) s (\(Int(rows / seconds(apply))) rows/s): \(upload?.createdCount ?? 0) accounts, \(upload?.mailboxesCreated ?? 0) mailboxes, status \(upload?.status ?? "?")
            peak memory: \(Self.peakMemoryMB()) MB
            """.consoleText())
    }

    /// The process's high-water resident set, from /proc (Linux).
    static func peakMemoryMB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kb = Int(line.split(separator: " ").dropFirst().first(where: { Int($0) != nil }) ?? "")
        else { return -1 }
        return kb / 1024
    }
}
