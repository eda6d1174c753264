import Foundation
import NIOCore
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// Staff see their work: what waits for their decision, oldest first with its age, and nothing of others'.
@Suite("Work queues")
struct WorkQueueTests {
    func send(_ app: Application, _ kind: ApplicationKind, email: String, answers: [String: String]) async throws
        -> String
    {
        let applicant = ApplicantBrowser(app)
        try await applicant.fillIn(kind, email: email, answers: answers)
        return try #require(try await applicant.submit())
    }

    func home(_ app: Application, as email: String) async throws -> String {
        let session = try await signIn(app, email: email)
        return try await app.get("/home", headers: session.headers).body.string
    }

    @Test("Each reviewer's home page lists what waits for their decision, oldest first, with its age")
    func applicationsWaiting() async throws {
        try await withTestApp { app, clock in
            let optometrist = try await send(
                app, .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            clock.advance(by: 3 * 86_400)
            let careHome = try await send(
                app, .careHome, email: "helen@sunnybank.example", answers: SampleAnswers.careHome)
            clock.advance(by: 2 * 3_600)

            let rachel = try await home(app, as: Demo.rachel)
            #expect(rachel.contains("Applications waiting for your decision (1)"))
            #expect(rachel.contains(optometrist))
            #expect(rachel.contains("Waiting 3 days"))
            #expect(!rachel.contains(careHome), "a care home is not the regional contact's to decide")

            let chloe = try await home(app, as: Demo.chloe)
            #expect(chloe.contains(careHome), "the commissioner's LA decides care homes")
            #expect(chloe.contains("Waiting 2 hours"))
            #expect(!chloe.contains(optometrist), "not passed to her yet")

            let liam = try await home(app, as: Demo.liam)
            #expect(!liam.contains("Applications waiting for your decision"), "Leeds's LA has nothing waiting")

            // Passed to Chloe's organisation, the optometrist joins her queue, ahead of the newer care home.
            let qwo = try await organisationID(app, ods: "QWO")
            let id = try await ApplicationSetUpTests.id(app, optometrist)
            let session = try await signIn(app, email: Demo.rachel)
            _ = try await app.post(
                "/applications/\(id)/decisions",
                form: [
                    ("action", "pass_to_la"), ("assignee", lower(qwo)), ("reason", "Regular referrals."),
                    ("_csrf", session.csrf),
                ], headers: session.headers)
            clock.advance(by: 86_400)
            let after = try await home(app, as: Demo.chloe)
            #expect(after.contains("Applications waiting for your decision (2)"))
            let first = try #require(after.range(of: careHome)).lowerBound
            let second = try #require(after.range(of: optometrist)).lowerBound
            #expect(first < second, "oldest first: the care home has waited 1 day and 2 hours, the passed one 1 day")
            #expect(!(try await home(app, as: Demo.rachel)).contains(optometrist), "no longer hers to decide")
        }
    }

    @Test("An LA's home page lists accounts waiting to be activated in their scope, and no one else's")
    func activationsWaiting() async throws {
        try await withTestApp { app, clock in
            let token = try await apiToken(app, email: Demo.liam)
            var headers = bearer(token)
            headers.contentType = .json
            let created = try await app.send(
                .POST, "/api/v1/accounts", headers: headers,
                body: ByteBuffer(
                    string:
                        #"{"firstName":"Nina","surname":"Wells","mobile":"07700900555","organisation":"RR801","activation":"assisted"}"#
                ))
            #expect(created.status == .created)
            clock.advance(by: 2 * 86_400)
            let liam = try await home(app, as: Demo.liam)
            #expect(liam.contains("Accounts waiting to be activated"))
            #expect(liam.contains("Nina Wells: phone them to activate"))
            #expect(liam.contains("Waiting 2 days"))
            #expect(!(try await home(app, as: Demo.mia)).contains("Nina Wells"), "another trust's LA")
        }
    }

    @Test("The applications list is oldest first, filters by type and region, and by what waits for me")
    func listFilters() async throws {
        try await withTestApp { app, clock in
            let older = try await send(
                app, .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            clock.advance(by: 3_600)
            let newer = try await send(
                app, .communityPharmacy, email: "ada@seacroftchemist.co.uk", answers: SampleAnswers.pharmacy)
            let nadia = try await signIn(app, email: Demo.nadia)
            let all = try await app.get("/applications", headers: nadia.headers).body.string
            let first = try #require(all.range(of: older)).lowerBound
            let second = try #require(all.range(of: newer)).lowerBound
            #expect(first < second, "oldest first")
            let pharmacies = try await app.get("/applications?kind=community_pharmacy", headers: nadia.headers)
            #expect(pharmacies.body.string.contains(newer))
            #expect(!pharmacies.body.string.contains(older))
            let london = try await app.get("/applications?region=london", headers: nadia.headers)
            #expect(!london.body.string.contains(older) && !london.body.string.contains(newer))
            // Nadia decides organisations, not practices or pharmacies: neither waits for her.
            let mine = try await app.get("/applications?waiting=me", headers: nadia.headers).body.string
            #expect(!mine.contains(older) && !mine.contains(newer))
            let priya = try await signIn(app, email: Demo.priya)
            let hers = try await app.get("/applications?waiting=me", headers: priya.headers).body.string
            #expect(hers.contains(newer))
        }
    }

    @Test("Staff are emailed when an application arrives in their queue, and only they are")
    func staffNotified() async throws {
        try await withTestApp { app, _ in
            let careHome = try await send(
                app, .careHome, email: "helen@sunnybank.example", answers: SampleAnswers.careHome)
            let optometrist = try await send(
                app, .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            try await drainJobs(app)
            let sent = app.dependencies.sentMessages
            let chloe = sent.to(Demo.chloe)
            #expect(chloe.contains { $0.subject == "Care home application \(careHome) is waiting for you" })
            #expect(!chloe.contains { $0.subject.contains(optometrist) }, "not hers until it is passed to her")
            #expect(sent.to(Demo.rachel).contains { $0.subject.contains(optometrist) }, "the region's contact")
            #expect(!sent.to(Demo.liam).contains { $0.subject.contains(careHome) }, "another area's LA")
            #expect(
                !chloe.contains { $0.body.contains("Helen") || $0.body.contains("07700") },
                "the email names the application, not the applicant")

            let qwo = try await organisationID(app, ods: "QWO")
            let id = try await ApplicationSetUpTests.id(app, optometrist)
            let session = try await signIn(app, email: Demo.rachel)
            _ = try await app.post(
                "/applications/\(id)/decisions",
                form: [
                    ("action", "pass_to_la"), ("assignee", lower(qwo)), ("reason", "Regular referrals."),
                    ("_csrf", session.csrf),
                ], headers: session.headers)
            try await drainJobs(app)
            let passed = app.dependencies.sentMessages.to(Demo.chloe).last
            #expect(passed?.subject == "Optometrist application \(optometrist) has been passed to you")
            #expect(passed?.body.contains("/applications/\(id)") == true)
        }
    }
    @Test("The pharmacy team sees sheets waiting to be applied, and an ISM the items quarantined in their migrations")
    func sheetsAndQuarantine() async throws {
        try await withTestApp { app, _ in
            let database = app.db as! any SQLDatabase
            let sam = try #require(
                try await PrincipalLoader.load(
                    accountID: try await accountID(app, email: samKhan), sessionID: nil, on: database))
            let sheet = pharmacyCSV(stores: storeRows(1), users: userRows(1, stores: 1))
            let settings = app.settings
            let now = app.clock.now()
            _ = try await app.db.transaction { db in
                try await BulkUploads.receive(
                    Array(sheet.utf8), filename: "stores-december.csv", kind: .pharmacyMultiple, principal: sam,
                    settings: settings, context: .system, now: now, on: db as! any SQLDatabase
                ).id
            }
            let priya = try await home(app, as: Demo.priya)
            #expect(priya.contains("Sheets waiting to be applied (1)"))
            #expect(priya.contains("stores-december.csv"))
            #expect(!(try await home(app, as: Demo.liam)).contains("stores-december.csv"), "not an LA's to apply")

            _ = try await migrationFixture(app)
            let isaac = try await home(app, as: Demo.isaac)
            #expect(isaac.contains("Quarantined items waiting for you"))
            #expect(!(try await home(app, as: Demo.chloe)).contains("Quarantined items"), "only the assigned ISM")
        }
    }
}

extension WorkQueueTests {
    struct Queues: Decodable {
        struct Queue: Decodable {
            struct Item: Decodable {
                let text: String
                let path: String
            }
            let name: String
            let total: Int
            let items: [Item]
        }
        let queues: [Queue]

        func total(_ name: String) -> Int? { queues.first { $0.name == name }?.total }
        func texts(_ name: String) -> [String] { queues.first { $0.name == name }?.items.map(\.text) ?? [] }
    }

    func queues(_ app: Application, as email: String) async throws -> Queues {
        let response = try await app.get("/api/v1/work-queues", headers: bearer(try await apiToken(app, email: email)))
        #expect(response.status == .ok)
        return try JSONDecoder().decode(Queues.self, from: Data(response.body.string.utf8))
    }

    @Test("The API gives each person the counts of their own queues, scoped as their home page")
    func queueCountsByAPI() async throws {
        try await withTestApp { app, _ in
            let optometrist = try await send(
                app, .optometrist, email: "ada@wetherbyvision.co.uk", answers: SampleAnswers.optometrist)
            let careHome = try await send(
                app, .careHome, email: "helen@sunnybank.example", answers: SampleAnswers.careHome)

            let rachel = try await queues(app, as: Demo.rachel)
            #expect(rachel.total("applications") == 1)
            #expect(rachel.texts("applications").contains { $0.contains(optometrist) })

            let chloe = try await queues(app, as: Demo.chloe)
            #expect(chloe.total("applications") == 1)
            #expect(chloe.texts("applications").contains { $0.contains(careHome) })

            let liam = try await queues(app, as: Demo.liam)
            #expect(liam.total("applications") == 0, "Leeds's LA decides neither")
            #expect(liam.queues.allSatisfy { !$0.items.contains { $0.text.contains(careHome) } })

            let tom = try await queues(app, as: Demo.tom)
            #expect(tom.queues.isEmpty, "a person with no staff role has no queues")
        }
    }
}
