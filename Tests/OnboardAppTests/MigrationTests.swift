import Foundation
import NIOCore
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// The EICAR test string, split so that no scanner flags this source file.
let eicarText = #"X5O!P%@AP[4\PZX54(P^)7CC)7}$"# + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

/// A message with one attachment, base64-encoded.
func mailMessage(_ subject: String, attachment name: String? = nil, _ bytes: [UInt8] = []) -> [UInt8] {
    var text = "From: pm@hospice.example\r\nTo: team@hospice.example\r\nSubject: \(subject)\r\nMIME-Version: 1.0\r\n"
    if let name {
        text +=
            "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n"
            + "--b1\r\nContent-Type: application/octet-stream; name=\"\(name)\"\r\nContent-Transfer-Encoding: base64\r\n"
            + "Content-Disposition: attachment; filename=\"\(name)\"\r\n\r\n\(Data(bytes).base64EncodedString())\r\n--b1--\r\n"
    } else {
        text += "Content-Type: text/plain\r\n\r\n\(subject).\r\n"
    }
    return Array(text.utf8)
}

func zipped(_ files: [(String, [UInt8])]) -> [UInt8] {
    var zip = ZipWriter()
    for (name, bytes) in files { zip.add(name, bytes) }
    return zip.finish()
}

/// A batch holding a clean message, a message whose attachment is a zip with EICAR, and a document.
func infectedBatch() -> [UInt8] {
    zipped([
        ("inbox/welcome.eml", mailMessage("Welcome")),
        (
            "inbox/invoice.eml",
            mailMessage("Invoice", attachment: "invoice.zip", zipped([("invoice.txt", Array(eicarText.utf8))]))
        ),
        ("documents/rota.txt", Array("Monday: Ann\n".utf8)),
    ])
}

func principal(_ app: Application, _ email: String) async throws -> Principal {
    try #require(
        try await PrincipalLoader.load(
            accountID: try await accountID(app, email: email), sessionID: nil, on: app.db as! any SQLDatabase))
}

/// St Ann's Hospice's project, started by Isaac with a self-service plan and go-live in 120 days, and one
/// scanned batch with EICAR in it: (project, batch, an infected item).
func migrationFixture(_ app: Application) async throws -> (UUID, UUID, UUID) {
    let isaac = try await principal(app, Demo.isaac)
    let now = app.clock.now()
    let today = Day.today(now)
    let sql = app.db as! any SQLDatabase
    let project = try await app.db.transaction { db in
        let sql = db as! any SQLDatabase
        let id = try await MigrationProjects.start(
            ods: "8HV48", ism: nil, principal: isaac, context: .system, now: now, on: sql)
        let row = try await MigrationProjects.visible(id, to: isaac, on: sql)
        try await MigrationProjects.chooseOption(
            row, option: "self_service", reason: "Small IT team", context: .system, now: now, today: today, on: sql)
        try await MigrationProjects.setGoLive(
            row, day: today + 120, context: .system, now: now, today: today, on: sql)
        return row
    }
    let batch = try await app.db.transaction { db in
        try await TransferBatches.receive(
            infectedBatch(), filename: "batch.zip", project: project, by: isaac.accountID, context: .system,
            now: now, on: db as! any SQLDatabase)
    }
    try await TransferScanJob.scan(batch, app: app)
    struct Row: Decodable { let id: UUID }
    let infected = try #require(
        try await sql.raw("SELECT id FROM transfer_items WHERE batch_id = \(bind: batch) AND state = 'infected'")
            .firstRow(Row.self))
    return (project.id, batch, infected.id)
}

@Suite("Migration projects")
struct MigrationTests {
    func call(_ app: Application, _ method: HTTPMethod, _ path: String, _ body: String? = nil, token: String)
        async throws -> TestingHTTPResponse
    {
        var headers = bearer(token)
        if body != nil { headers.add(name: .contentType, value: "application/json") }
        return try await app.send(method, path, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    func uploadBatch(_ app: Application, project: String, bytes: [UInt8], token: String) async throws
        -> TestingHTTPResponse
    {
        let boundary = "onboard-api-\(UUID().uuidString)"
        var body = ByteBuffer()
        body.writeString(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"batch.zip\"\r\n"
                + "Content-Type: application/zip\r\n\r\n")
        body.writeBytes(bytes)
        body.writeString("\r\n--\(boundary)--\r\n")
        var headers = bearer(token)
        headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
        return try await app.send(
            .POST, "/api/v1/migration-projects/\(project)/transfer-batches", headers: headers, body: body)
    }

    struct ProjectBody: Decodable {
        struct Task: Decodable {
            let key: String
            let start: String
            let done: Bool
            let problem: String?
        }
        struct Item: Decodable {
            let key: String
            let mandatory: Bool
            let ticked: Bool
        }
        let id: String
        let organisationStatus: String
        let status: String
        let tasks: [Task]
        let checklist: [Item]
        let gatePasses: Bool
        let goLive: String?
    }

    struct BatchBody: Decodable {
        struct Item: Decodable {
            let id: String
            let path: String
            let state: String
            let detail: String?
        }
        let id: String
        let status: String
        let itemsTotal: Int
        let itemsDone: Int
        let items: [Item]
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: TestingHTTPResponse) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(response.body.readableBytesView))
    }

    func runJobs(_ app: Application) async throws {
        while try await app.jobs.runOnce(app: app) {}
    }

    @Test(
        "An ISM runs a project through the API: option, plan moved with go-live, EICAR quarantined, gate, checklist, live"
    )
    func journeyThroughTheAPI() async throws {
        try await withTestApp { app, clock in
            let token = try await apiToken(app, email: Demo.isaac)
            let started = try await call(
                app, .POST, "/api/v1/migration-projects", #"{"organisation":"8HV48"}"#, token: token)
            #expect(started.status == .created, "\(started.body.string)")
            let id = try decode(ProjectBody.self, started).id
            let base = "/api/v1/migration-projects/\(id)"

            let missing = try await call(app, .PUT, base + "/option", #"{}"#, token: token)
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.body.string.contains("\"option\"") && missing.body.string.contains("\"reason\""))
            let chosen = try await call(
                app, .PUT, base + "/option", #"{"option":"partial_managed","reason":"Needs tooling help"}"#,
                token: token)
            #expect(chosen.status == .ok, "\(chosen.body.string)")
            #expect(try decode(ProjectBody.self, chosen).tasks.contains { $0.key == "tooling" })

            let today = Day.today(app.clock.now())
            let set = try await call(app, .PUT, base + "/go-live", #"{"date":"\#((today + 100).iso)"}"#, token: token)
            #expect(set.status == .ok, "\(set.body.string)")
            let before = try decode(ProjectBody.self, set).tasks
            let moved = try await call(app, .PUT, base + "/go-live", #"{"date":"\#((today + 121).iso)"}"#, token: token)
            let after = try decode(ProjectBody.self, moved).tasks
            for (a, b) in zip(before, after) {
                let shift = try #require(Day(iso: b.start)) - (try #require(Day(iso: a.start)))
                #expect(shift == 21, "\(a.key) moved \(shift) days, not 21")
            }
            // Too soon for the template: the first tasks cannot fit, and say so.
            let tight = try await call(app, .PUT, base + "/go-live", #"{"date":"\#((today + 30).iso)"}"#, token: token)
            #expect(try decode(ProjectBody.self, tight).tasks.first?.problem?.contains("move go-live later") == true)
            _ = try await call(app, .PUT, base + "/go-live", #"{"date":"\#((today + 121).iso)"}"#, token: token)

            let done = try await call(
                app, .POST, base + "/tasks/initiate/done", #"{"evidence":"Signed off"}"#, token: token)
            #expect(done.status == .ok)
            let again = try await call(
                app, .POST, base + "/tasks/initiate/done", #"{"evidence":"Again"}"#, token: token)
            #expect(again.status == .conflict)
            let csv = try await call(app, .GET, base + "/plan", token: token)
            #expect(csv.status == .ok && csv.body.string.contains("Signed off"))

            let upload = try await uploadBatch(app, project: id, bytes: infectedBatch(), token: token)
            #expect(upload.status == .accepted, "\(upload.body.string)")
            let batchID = try decode(BatchBody.self, upload).id
            try await runJobs(app)
            let batch = try decode(
                BatchBody.self, try await call(app, .GET, base + "/transfer-batches/\(batchID)", token: token))
            #expect(batch.status == "scanned" && batch.itemsDone == batch.itemsTotal)
            let infected = batch.items.filter { $0.state == "infected" }
            #expect(infected.contains { $0.path == "batch.zip › inbox/invoice.eml › invoice.zip › invoice.txt" })
            #expect(infected.allSatisfy { $0.detail?.contains("EICAR") == true })
            #expect(batch.items.contains { $0.path.hasSuffix("welcome.eml") && $0.state == "clean" })
            // Quarantined content is kept apart.
            #expect(try await count(app, "FROM quarantine") == infected.count)

            let blocked = try await call(app, .POST, base + "/go-live/confirm", token: token)
            #expect(blocked.status == .conflict && blocked.body.string.contains("gate is closed"))
            let gateTick = try await call(
                app, .POST, base + "/checklist/transfer-clean", #"{"evidence":"x"}"#, token: token)
            #expect(gateTick.status == .unprocessableEntity, "the gate's item waits for the gate")

            let short = try await call(
                app, .POST, base + "/transfer-items/\(infected[0].id)/release", #"{"reason":"fine"}"#, token: token)
            #expect(short.status == .unprocessableEntity)
            let released = try await call(
                app, .POST, base + "/transfer-items/\(infected[0].id)/release",
                #"{"reason":"Confirmed false positive with the vendor"}"#, token: token)
            #expect(released.status == .ok)
            for item in infected.dropFirst() {
                let removed = try await call(app, .POST, base + "/transfer-items/\(item.id)/remove", token: token)
                #expect(removed.status == .ok)
            }
            let project = try decode(ProjectBody.self, try await call(app, .GET, base, token: token))
            #expect(project.gatePasses)

            for item in project.checklist where item.mandatory {
                let ticked = try await call(
                    app, .POST, base + "/checklist/\(item.key)", #"{"evidence":"Confirmed"}"#, token: token)
                #expect(ticked.status == .ok, "\(item.key): \(ticked.body.string)")
            }
            // Going live waits for the plan's tasks that come before it.
            let early = try await call(app, .POST, base + "/go-live/confirm", token: token)
            #expect(early.status == .conflict && early.body.string.contains("done on the plan"), "\(early.body.string)")
            for task in project.tasks where !task.done {
                let done = try await call(
                    app, .POST, base + "/tasks/\(task.key)/done", #"{"evidence":"Done"}"#, token: token)
                #expect(done.status == .ok, "\(task.key): \(done.body.string)")
            }
            clock.advance(by: 3600)
            let live = try await call(app, .POST, base + "/go-live/confirm", token: token)
            #expect(live.status == .ok, "\(live.body.string)")
            let final = try decode(ProjectBody.self, live)
            #expect(final.status == "live" && final.organisationStatus == "live")
            #expect(
                final.goLive == Day.today(app.clock.now()).iso,
                "confirmed before its planned date, go-live moves to the real one")
            let organisation = try await Organisation.find(try await organisationID(app, ods: "8HV48"), on: app.db)
            #expect(organisation?.status == .live)
            let closed = try await call(
                app, .PUT, base + "/option", #"{"option":"managed","reason":"Later"}"#, token: token)
            #expect(closed.status == .conflict, "a live project's record stands")

            for action in [
                "migration.project_started", "migration.option_chosen", "migration.go_live_set", "migration.task_done",
                "migration.batch_uploaded", "migration.batch_scanned", "migration.item_released",
                "migration.checklist_ticked", "migration.go_live_confirmed", "organisation.status_changed",
            ] {
                #expect(
                    try await count(app, "FROM audit_events WHERE action = \(bind: action)") > 0, "\(action) audited")
            }
        }
    }

    @Test(
        "Projects are seen by their ISM, the organisation's LA and national administrators only; only the ISM deals with quarantine"
    )
    func scope() async throws {
        try await withTestApp { app, _ in
            let (project, _, infected) = try await migrationFixture(app)
            let path = "/api/v1/migration-projects/\(lower(project))"
            for email in [Demo.isaac, Demo.mia, Demo.nadia] {
                let seen = try await call(app, .GET, path, token: try await apiToken(app, email: email))
                #expect(seen.status == .ok, "\(email) sees the project")
            }
            for email in [Demo.chloe, Demo.liam] {
                let hidden = try await call(app, .GET, path, token: try await apiToken(app, email: email))
                #expect(hidden.status == .notFound, "\(email) does not")
            }
            let upload = try await uploadBatch(
                app, project: lower(project), bytes: infectedBatch(), token: try await apiToken(app, email: Demo.chloe))
            #expect(upload.status == .notFound, "another scope's project takes no batches")
            let uma = try await call(app, .GET, path, token: try await apiToken(app, email: Demo.uma))
            #expect(uma.status == .forbidden, "a user has no migration role")
            for email in [Demo.mia, Demo.nadia] {
                let token = try await apiToken(app, email: email)
                let refused = try await call(
                    app, .POST, path + "/transfer-items/\(lower(infected))/remove", token: token)
                #expect(refused.status == .forbidden, "\(email) cannot deal with quarantine")
                let session = try await signIn(app, email: email)
                let content = try await app.get(
                    "/migration/\(lower(project))/items/\(lower(infected))/content", headers: session.headers)
                #expect(content.status == .notFound, "\(email) cannot read quarantined content")
            }
            let isaac = try await signIn(app, email: Demo.isaac)
            let content = try await app.get(
                "/migration/\(lower(project))/items/\(lower(infected))/content", headers: isaac.headers)
            let stored = try await TransferBatches.quarantinedContent(infected, on: app.db as! any SQLDatabase)
            #expect(content.status == .ok && stored != nil && Data(content.body.readableBytesView) == stored)
            #expect(try await count(app, "FROM audit_events WHERE action = 'migration.quarantine_read'") == 1)
            // An LA cannot start a project for an organisation outside their scope.
            let chloe = try await apiToken(app, email: Demo.chloe)
            let outside = try await call(
                app, .POST, "/api/v1/migration-projects",
                #"{"organisation":"R0A02","ism":"\#(lower(try await accountID(app, email: Demo.isaac)))"}"#,
                token: chloe)
            #expect(
                outside.status == .unprocessableEntity && outside.body.string.contains("No organisation you administer")
            )
        }
    }

    @Test("With clamd down nothing is marked clean: the batch waits and the scan is tried again")
    func scannerDown() async throws {
        try await withTestApp { app, clock in
            let isaac = try await principal(app, Demo.isaac)
            let (projectID, _, _) = try await migrationFixture(app)
            let project = try await MigrationProjects.visible(projectID, to: isaac, on: app.db as! any SQLDatabase)
            app.dependencies.scanner = MalwareScanner { _ in throw ScannerUnavailable(reason: "connection refused") }
            let now = app.clock.now()
            let batch = try await app.db.transaction { db in
                try await TransferBatches.receive(
                    infectedBatch(), filename: "second.zip", project: project, by: isaac.accountID, context: .system,
                    now: now, on: db as! any SQLDatabase)
            }
            try await runJobs(app)
            let row = try await TransferBatches.batch(batch, of: projectID, on: app.db as! any SQLDatabase)
            #expect(row.batchStatus == .waitingForScanner)
            #expect(
                try await count(app, "FROM transfer_items WHERE batch_id = \(bind: batch) AND state = 'clean'") == 0)
            #expect(
                try await count(app, "FROM transfer_items WHERE batch_id = \(bind: batch) AND state = 'waiting'") > 0)
            #expect(try await TransferBatches.gateProblem(projectID, on: app.db as! any SQLDatabase) != nil)
            #expect(try await count(app, "FROM jobs WHERE kind = 'migration.scan' AND state = 'queued'") == 1)

            app.dependencies.scanner = .fake
            clock.advance(by: TransferScanJob.retryDelay + 1)
            try await runJobs(app)
            let scanned = try await TransferBatches.batch(batch, of: projectID, on: app.db as! any SQLDatabase)
            #expect(scanned.batchStatus == .scanned && scanned.itemsDone == scanned.itemsTotal)
        }
    }

    @Test("A worker stopped dead mid-scan: the next carries on from the last committed window, scanning nothing twice")
    func scanResumes() async throws {
        try await withTestApp { app, clock in
            let isaac = try await principal(app, Demo.isaac)
            let (projectID, _, _) = try await migrationFixture(app)
            let project = try await MigrationProjects.visible(projectID, to: isaac, on: app.db as! any SQLDatabase)
            let files = (1...40).map { ("file-\($0).txt", Array("document \($0)\n".utf8)) }
            let now = app.clock.now()
            let batch = try await app.db.transaction { db in
                try await TransferBatches.receive(
                    zipped(files), filename: "forty.zip", project: project, by: isaac.accountID, context: .system,
                    now: now, on: db as! any SQLDatabase)
            }
            let calls = ScanCounter()
            app.dependencies.scanner = MalwareScanner { bytes in
                if await calls.next() == 36 { throw WorkerStoppedDead() }
                return try await MalwareScanner.fake.scan(bytes)
            }
            try await runJobs(app)
            let committed = try await count(
                app, "FROM transfer_items WHERE batch_id = \(bind: batch) AND state <> 'waiting'")
            #expect(committed >= TransferScanJob.window && committed < 40, "the first window was committed")

            let resumed = ScanCounter()
            app.dependencies.scanner = MalwareScanner { bytes in
                _ = await resumed.next()
                return try await MalwareScanner.fake.scan(bytes)
            }
            clock.advance(by: app.jobs.leaseDuration + 1)
            try await runJobs(app)
            #expect(await resumed.count == 40 - committed, "only the items still waiting were scanned again")
            let row = try await TransferBatches.batch(batch, of: projectID, on: app.db as! any SQLDatabase)
            #expect(row.batchStatus == .scanned && row.itemsDone == 40)
            #expect(
                try await count(app, "FROM transfer_items WHERE batch_id = \(bind: batch) AND state = 'clean'") == 40)
        }
    }

    @Test("Quarantined content is purged after its retention period; the items' records stay")
    func purge() async throws {
        try await withTestApp { app, clock in
            _ = try await migrationFixture(app)
            #expect(try await count(app, "FROM quarantine") > 0)
            clock.advance(by: Double(app.settings.quarantineRetentionDays + 1) * 86_400)
            try await QuarantinePurgeJob.run(
                ClaimedJob(id: UUID(), kind: QuarantinePurgeJob.kind, payload: "{}", attempts: 1, maxAttempts: 5), app)
            #expect(try await count(app, "FROM quarantine") == 0)
            #expect(try await count(app, "FROM transfer_items WHERE state = 'infected'") > 0)
            #expect(try await count(app, "FROM audit_events WHERE action = 'migration.purged'") == 1)
        }
    }

    @Test("Guidance for a project follows its option, and national administrators edit it")
    func guidance() async throws {
        try await withTestApp { app, _ in
            let sql = app.db as! any SQLDatabase
            let selfService = try await MigrationProjects.guidance(for: .selfService, on: sql).map(\.key)
            let managed = try await MigrationProjects.guidance(for: .managed, on: sql).map(\.key)
            #expect(!selfService.contains("migration-contact") && managed.contains("migration-contact"))
            #expect(managed.contains("managed-migration-webinar"))
            let token = try await apiToken(app, email: Demo.nadia)
            let bad = try await call(
                app, .PUT, "/api/v1/guidance/migration-contact", #"{"title":"","url":"ftp://x","audience":"nobody"}"#,
                token: token)
            #expect(bad.status == .unprocessableEntity)
            for field in ["title", "url", "audience"] { #expect(bad.body.string.contains("\"\(field)\"")) }
            let saved = try await call(
                app, .PUT, "/api/v1/guidance/migration-contact",
                #"{"title":"Migration team","url":"mailto:team@onboard.example","audience":"migration_supported"}"#,
                token: token)
            #expect(saved.status == .ok)
            #expect(
                try await MigrationProjects.guidance(for: .managed, on: sql).contains { $0.title == "Migration team" })
            #expect(try await count(app, "FROM audit_events WHERE action = 'guidance.updated'") == 1)
        }
    }
}

actor ScanCounter {
    private(set) var count = 0
    func next() -> Int {
        count += 1
        return count
    }
}
