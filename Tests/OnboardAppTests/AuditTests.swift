import Crypto
import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import OnboardApp

@Suite("The audit chain")
struct AuditTests {
    /// What a person with database access but not the key could do: switch the guard triggers off.
    private func withoutGuards(_ app: Application, _ body: (any SQLDatabase) async throws -> Void) async throws {
        let sql = app.db as! any SQLDatabase
        if TestDatabase.isPostgres {
            try await sql.raw("ALTER TABLE audit_events DISABLE TRIGGER USER").run()
        } else {
            try await sql.raw("DROP TRIGGER audit_events_no_update").run()
            try await sql.raw("DROP TRIGGER audit_events_no_delete").run()
        }
        try await body(sql)
    }

    /// Thirty events, each with details, written one at a time as requests would write them.
    private func events(_ app: Application, count: Int = 30) async throws {
        let clock = try #require(app.testClock)
        for index in 0..<count {
            clock.advance(by: 1)
            try await AuditLog.record(
                AuditEntry(
                    "test.change", target: "database", id: "\(index)", before: ["n": "\(index)"],
                    after: ["n": "\(index + 1)"]),
                context: AuditContext(actorRole: "system", requestID: "r\(index)", clientAddress: "192.0.2.1"),
                at: app.clock.now(), on: app.db as! any SQLDatabase)
        }
    }

    private func verify(_ app: Application) async throws -> AuditVerification.Report {
        try await AuditVerification.verify(
            on: app.db as! any SQLDatabase, checkpoints: AuditCheckpoints.read(path: app.settings.audit.checkpoint),
            pageSize: 7)
    }

    private func newest(_ app: Application) async throws -> Int64 {
        try #require(try await AuditLog.head(on: app.db as! any SQLDatabase)).seq
    }

    private func id(_ app: Application, seq: Int64) async throws -> String {
        struct Row: Decodable { let id: UUID }
        let row = try await (app.db as! any SQLDatabase).raw("SELECT id FROM audit_events WHERE seq = \(bind: seq)")
            .firstRow(Row.self)
        return try #require(row).id.uuidString.lowercased()
    }

    @Test("The chain verifies, read in pages, against a checkpoint")
    func verifies() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            #expect(try await newest(app) > 20)
            try await AuditCheckpoints.write(app: app)
            let report = try await verify(app)
            #expect(report.finding == nil)
            #expect(report.events == (try await newest(app)))
            // Nothing new: no second checkpoint.
            #expect(try await AuditCheckpoints.write(app: app) == nil)
        }
    }

    @Test("The database refuses UPDATE and DELETE on audit events (and TRUNCATE on PostgreSQL)")
    func triggers() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            let sql = app.db as! any SQLDatabase
            await #expect(throws: (any Error).self) {
                try await sql.raw("UPDATE audit_events SET action = 'x' WHERE seq = 1").run()
            }
            await #expect(throws: (any Error).self) {
                try await sql.raw("DELETE FROM audit_events WHERE seq = 1").run()
            }
            if TestDatabase.isPostgres {
                await #expect(throws: (any Error).self) { try await sql.raw("TRUNCATE audit_events").run() }
            }
            let found = try await verify(app).finding
            #expect(found == nil)
        }
    }

    @Test("Editing one event is found, naming it")
    func edited() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            let target = try await id(app, seq: 5)
            try await withoutGuards(app) { sql in
                try await sql.raw("UPDATE audit_events SET action = 'organisation.create' WHERE seq = 5").run()
            }
            let found = try await verify(app).finding
            #expect(found == .altered(seq: 5, id: target))
        }
    }

    @Test("Deleting one event is found, naming it")
    func deleted() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            try await withoutGuards(app) { sql in try await sql.raw("DELETE FROM audit_events WHERE seq = 9").run() }
            let found = try await verify(app).finding
            #expect(found == .missing(from: 9, nextFound: 10))
        }
    }

    @Test("Deleting the newest three events is found from the checkpoint")
    func newestRemoved() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            try await AuditCheckpoints.write(app: app)
            let head = try await newest(app)
            try await withoutGuards(app) { sql in
                try await sql.raw("DELETE FROM audit_events WHERE seq > \(bind: head - 3)").run()
            }
            let finding = try await verify(app).finding
            guard case .truncated(let count, let recorded, _) = finding else {
                Issue.record("expected the removal to be found, got \(String(describing: finding))")
                return
            }
            #expect(count == head - 3)
            #expect(recorded == head)
            #expect(finding?.description.contains("Event #\(head - 2) is missing") == true)
        }
    }

    @Test("Rewriting the tail with recomputed SHA-256 does not pass for the keyed MAC")
    func rewrittenTail() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            let head = try await newest(app)
            let first = head - 2
            let target = try await id(app, seq: first)
            try await withoutGuards(app) { sql in
                struct Row: Decodable {
                    let seq: Int64
                    let mac: String
                }
                var previous = try #require(
                    try await sql.raw("SELECT seq, mac FROM audit_events WHERE seq = \(bind: first - 1)")
                        .firstRow(Row.self)
                ).mac
                for seq in first...head {
                    try await sql.raw("UPDATE audit_events SET action = 'account.read' WHERE seq = \(bind: seq)").run()
                    let forged = SHA256.hash(data: Data("\(previous)|\(seq)|account.read".utf8))
                        .map { String(format: "%02x", $0) }.joined()
                    try await sql.raw("UPDATE audit_events SET mac = \(bind: forged) WHERE seq = \(bind: seq)").run()
                    previous = forged
                }
            }
            let found = try await verify(app).finding
            #expect(found == .altered(seq: first, id: target))
        }
    }

    @Test("Changing a personal detail is found; erasing one is not a break")
    func details() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            let sql = app.db as! any SQLDatabase
            struct Row: Decodable {
                let seq: Int64
                let id: UUID
            }
            let row = try #require(
                try await sql.raw(
                    """
                    SELECT e.seq, e.id FROM audit_events e JOIN audit_details d ON d.event_id = e.id
                    WHERE d."after" IS NOT NULL ORDER BY e.seq LIMIT 1
                    """
                ).firstRow(Row.self))
            try await sql.raw(
                "UPDATE audit_details SET \"after\" = NULL, redacted_at = \(bind: app.clock.now()) WHERE event_id = \(bind: row.id)"
            ).run()
            let erased = try await verify(app)
            #expect(erased.finding == nil)
            #expect(erased.redacted == 1)
            try await sql.raw("UPDATE audit_details SET \"after\" = '{}' WHERE event_id = \(bind: row.id)").run()
            let altered = try await verify(app).finding
            #expect(altered == .detailsAltered(seq: row.seq, id: row.id.uuidString.lowercased(), field: "after"))
        }
    }

    @Test("Writers at the same moment extend one unbroken chain")
    func concurrentWriters() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            let before = try await newest(app)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        try await app.db.transaction { db in
                            try await AuditLog.record(
                                AuditEntry("test.write", target: "database", id: "\(index)"), context: .system,
                                at: app.clock.now(), on: db as! any SQLDatabase)
                        }
                    }
                }
                // SQLite has one writer: a transaction that meets the lock fails rather than forking the chain.
                while let result = await Result(catching: { try await group.next() }).successValue, result != nil {}
            }
            let report = try await verify(app)
            #expect(report.finding == nil)
            let written = try await auditCount(app, action: "test.write")
            #expect(try await newest(app) == before + Int64(written))
            if TestDatabase.isPostgres { #expect(written == 16) }
        }
    }

    @Test("`onboard audit verify` exits non-zero, naming the event")
    func command() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            var context = CommandContext(console: Terminal(), input: CommandInput(arguments: ["onboard", "verify"]))
            context.application = app
            try await AuditCommand().run(using: &context)
            try await withoutGuards(app) { sql in try await sql.raw("DELETE FROM audit_events WHERE seq = 3").run() }
            var failing = CommandContext(console: Terminal(), input: CommandInput(arguments: ["onboard", "verify"]))
            failing.application = app
            await #expect(throws: AuditVerifyFailed.self) { try await AuditCommand().run(using: &failing) }
        }
    }

    /// `audit verify` as the command runs it: throws when it would exit non-zero.
    private func runVerify(_ app: Application) async throws {
        var context = CommandContext(console: Terminal(), input: CommandInput(arguments: ["onboard", "verify"]))
        context.application = app
        try await AuditCommand().run(using: &context)
    }

    @Test("Two new databases checkpointing to one sink each verify against their own chain's checkpoints")
    func twoChainsOneSink() async throws {
        try await withTestApp(seed: false) { first, _ in
            try await withTestApp(seed: false) { second, _ in
                second.dependencies.settings.audit.checkpoint = first.settings.audit.checkpoint
                try await events(first, count: 5)
                try #require(try await AuditCheckpoints.write(app: first) != nil)
                try await events(second, count: 3)
                try #require(try await AuditCheckpoints.write(app: second) != nil)
                try await events(first, count: 2)
                try #require(try await AuditCheckpoints.write(app: first) != nil)

                let one = try await verify(first)
                #expect(one.finding == nil)
                #expect(one.sinkProblem == nil)
                #expect(one.checkpoints == 2)
                let two = try await verify(second)
                #expect(two.finding == nil, "\(String(describing: two.finding))")
                #expect(two.sinkProblem == nil)
                #expect(two.checkpoints == 1)
                // The command agrees, in development as it would in production.
                try await runVerify(first)
                try await runVerify(second)
            }
        }
    }

    @Test("A database swapped for a new one fails verification in production, saying whose checkpoints it found")
    func swappedDatabase() async throws {
        try await withTestApp(environment: "production", seed: false) { original, _ in
            try await events(original, count: 5)
            try #require(try await AuditCheckpoints.write(app: original) != nil)
            try await withTestApp(environment: "production", seed: false) { replacement, _ in
                replacement.dependencies.settings.audit.checkpoint = original.settings.audit.checkpoint
                try await events(replacement, count: 5)
                let report = try await verify(replacement)
                #expect(report.finding == nil)
                let problem = try #require(report.sinkProblem)
                #expect(problem.contains("This database's chain has no checkpoints; the sink holds another chain's"))
                await #expect(throws: AuditVerifyFailed.self) { try await runVerify(replacement) }
                // The original still verifies against the same sink.
                try await runVerify(original)
            }
        }
    }

    @Test("In development, another chain's checkpoints are a warning, not a failure")
    func swappedDatabaseInDevelopment() async throws {
        try await withTestApp(seed: false) { original, _ in
            try await events(original, count: 3)
            try #require(try await AuditCheckpoints.write(app: original) != nil)
            try await withTestApp(seed: false) { other, _ in
                other.dependencies.settings.audit.checkpoint = original.settings.audit.checkpoint
                try await events(other, count: 3)
                #expect(try await verify(other).sinkProblem != nil)
                try await runVerify(other)
            }
        }
    }

    @Test("A checkpoint names its chain: the id of the chain's first event")
    func checkpointNamesItsChain() async throws {
        try await withTestApp(seed: false) { app, _ in
            try await events(app, count: 2)
            let checkpoint = try #require(try await AuditCheckpoints.write(app: app))
            #expect(checkpoint.chain == (try await id(app, seq: 1)))
            #expect(try AuditCheckpoints.read(path: app.settings.audit.checkpoint) == [checkpoint])
        }
    }

    @Test("Events carry microseconds, the request id, the organisation and the token id")
    func fields() async throws {
        try await withTestApp { app, _ in
            try await events(app)
            let token = try await apiToken(app, email: Demo.nadia)
            var headers: HTTPHeaders = ["Content-Type": "application/json"]
            headers.add(name: .authorization, value: "Bearer \(token)")
            let response = try await app.send(
                .POST, "/api/v1/organisations", headers: headers,
                body: ByteBuffer(
                    string: #"{"odsCode":"RR899","name":"Leeds Annex","type":"trust_site","country":"england"}"#))
            #expect(response.status == .created)
            let organisation = try await organisationID(app, ods: "RR899")
            struct Row: Decodable {
                let occurredUs: Int64
                let requestID: String?
                let organisationID: UUID?
                let tokenID: UUID?
            }
            let row = try #require(
                try await (app.db as! any SQLDatabase).raw(
                    "SELECT occurred_us, request_id, organisation_id, token_id FROM audit_events ORDER BY seq DESC LIMIT 1"
                ).firstRow(Row.self))
            #expect(row.occurredUs == AuditLog.micros(app.clock.now()))
            #expect(row.requestID != nil)
            #expect(row.organisationID == organisation)
            #expect(row.tokenID != nil)
        }
    }

    @Test("A client's request id is kept only when short and plain; otherwise the service makes its own")
    func clientRequestIDs() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.nadia)
            struct Row: Decodable { let requestID: String? }
            let huge = String(repeating: "x", count: 60_000)
            for (index, (sent, kept)) in [("trace-42.a:b", true), (huge, false), ("has space\u{0}", false)].enumerated()
            {
                var headers: HTTPHeaders = ["Content-Type": "application/json", "X-Request-Id": sent]
                headers.add(name: .authorization, value: "Bearer \(token)")
                let response = try await app.send(
                    .POST, "/api/v1/organisations", headers: headers,
                    body: ByteBuffer(
                        string: #"{"odsCode":"RR89\#(index)","name":"Annex","type":"trust_site","country":"england"}"#))
                #expect(response.status == .created)
                let row = try #require(
                    try await (app.db as! any SQLDatabase).raw(
                        "SELECT request_id FROM audit_events ORDER BY seq DESC LIMIT 1"
                    ).firstRow(Row.self))
                let stored = try #require(row.requestID)
                if kept {
                    #expect(stored == sent)
                } else {
                    #expect(stored != sent && UUID(uuidString: stored) != nil, "made by the service")
                }
            }
        }
    }
}

extension Result where Failure == any Error {
    fileprivate init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }

    fileprivate var successValue: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}
