import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// Connects the recording mail server and the settings Dovecot would use.
@discardableResult
func connectMailServer(_ app: Application) -> MailServerLog {
    let local = ServerAddress(host: "127.0.0.1", port: 1)
    app.dependencies.settings.mailServer = MailServerSettings(
        imap: local, submission: local, smtp: local, lmtp: local, doveadmURL: "http://127.0.0.1:1",
        doveadmKey: "key", authSecret: MailTest.secret, socketmap: local, quotaBytes: 4096 * 1024 * 1024)
    let log = MailServerLog()
    app.mailServer = .recording(log)
    return log
}

enum MailTest {
    static let secret = "mail-secret-for-tests-0123456789"

    static func login(_ app: Application, _ user: String, _ password: String, secret: String = secret) async throws
        -> (HTTPStatus, MailLogins.Answer?)
    {
        let response = try await app.sendRequest(
            .POST, "/internal/mail/auth",
            headers: ["X-Onboard-Mail-Secret": secret, "Content-Type": "application/json"],
            body: ByteBuffer(string: #"{"user":"\#(user)","password":"\#(password)","service":"imap"}"#))
        return (response.status, try? response.content.decode(MailLogins.Answer.self))
    }

    static func account(_ app: Application, _ address: String) async throws -> Account {
        try #require(try await SignInService.account(forAddress: address, on: app.db))
    }
}

@Suite("Mail server: Dovecot's logins and Postfix's lookups")
struct MailServerTests {
    @Test("A mail login with the web password is accepted, with the mailbox's quota and no shared mailboxes")
    func loginAccepted() async throws {
        try await withTestApp { app, _ in
            connectMailServer(app)
            let (status, answer) = try await MailTest.login(app, Demo.uma.uppercased(), DemoData.password)
            #expect(status == .ok)
            #expect(
                answer == MailLogins.Answer(ok: true, user: Demo.uma, quotaBytes: 4096 * 1024 * 1024, aclGroups: ""))
        }
    }

    @Test("Without the shared secret, or with no mail server set up, the login address does not exist")
    func secretRequired() async throws {
        try await withTestApp { app, _ in
            let (unconfigured, _) = try await MailTest.login(app, Demo.uma, DemoData.password)
            #expect(unconfigured == .notFound)
            connectMailServer(app)
            let (wrongSecret, _) = try await MailTest.login(
                app, Demo.uma, DemoData.password, secret: "wrong-secret-0123456789")
            #expect(wrongSecret == .notFound)
        }
    }

    @Test("Wrong mail passwords count toward the same lock as the web, and a locked account cannot log in")
    func wrongPasswordsLock() async throws {
        try await withTestApp { app, _ in
            connectMailServer(app)
            let threshold = app.settings.lockoutThreshold
            for _ in 0..<threshold {
                #expect(try await MailTest.login(app, Demo.tom, "not-the-password").1?.ok == false)
            }
            let account = try await MailTest.account(app, Demo.tom)
            #expect(account.state == .locked)
            #expect(try await MailTest.login(app, Demo.tom, DemoData.password).1?.ok == false)
        }
    }

    @Test("A lock, a disable or a leaver queues the end of the account's open mail sessions, and the job ends them")
    func lockEndsSessions() async throws {
        try await withTestApp { app, _ in
            let log = connectMailServer(app)
            let account = try await MailTest.account(app, Demo.uma)
            try await (app.db as! any SQLDatabase).raw("DELETE FROM jobs").run()
            _ = try await app.db.inTransaction { sql in
                try await AccountService.transition(
                    try account.requireID(), from: .active, on: .disable, context: .system, now: app.clock.now(),
                    on: sql)
            }
            try await drainJobs(app)
            #expect(log.endedSessions(of: Demo.uma) == 1)
            #expect(try await MailTest.login(app, Demo.uma, DemoData.password).1?.ok == false)
        }
    }

    @Test("A mail login is recorded as activity at most once an hour")
    func activityHourly() async throws {
        try await withTestApp { app, clock in
            connectMailServer(app)
            _ = try await MailTest.login(app, Demo.uma, DemoData.password)
            let first = try #require(try await MailTest.account(app, Demo.uma).lastMailLoginAt)
            clock.advance(by: 600)
            _ = try await MailTest.login(app, Demo.uma, DemoData.password)
            #expect(try await MailTest.account(app, Demo.uma).lastMailLoginAt == first)
            clock.advance(by: 3600)
            _ = try await MailTest.login(app, Demo.uma, DemoData.password)
            #expect(try await MailTest.account(app, Demo.uma).lastMailLoginAt == app.clock.now())
        }
    }

    @Test("Postfix's maps: accounts and aliases receive, unknown addresses do not, Send As lists the members")
    func socketmapAnswers() async throws {
        try await withTestApp { app, _ in
            let sql = app.db as! any SQLDatabase
            let directory = MailDirectory(sql: sql, defaultQuotaBytes: 0)
            func ask(_ request: String) async -> Socketmap.Reply {
                await Socketmap.answer(request, directory: directory, mailDomain: "nhs.net")
            }
            #expect(await ask("mailbox \(Demo.uma)") == .ok(Demo.uma))
            #expect(await ask("mailbox nobody.here@nhs.net") == .notFound)
            #expect(await ask("domain nhs.net") == .ok("nhs.net"))
            #expect(await ask("domain example.com") == .notFound)
            let uma = try await MailTest.account(app, Demo.uma)
            try await sql.insert(
                into: "address_reservations",
                row: [
                    "address": "uma.old@nhs.net", "kind": "alias", "account_id": try uma.requireID(),
                    "reserved_at": app.clock.now(),
                ]
            ).run()
            #expect(await ask("alias uma.old@nhs.net") == .ok(Demo.uma))
            #expect(await ask("alias \(Demo.uma)") == .notFound)
            #expect(await ask("senders \(Demo.uma)") == .ok(Demo.uma))

            let owner = try #require(try await AccountStore.summary(try uma.requireID(), on: sql))
            let tom = try #require(
                try await AccountStore.summary(try await MailTest.account(app, Demo.tom).requireID(), on: sql))
            let mailbox = try await SharedMailboxes.create(
                organisation: owner.organisationID, localPart: "ward.nine", name: "Ward 9", owner: owner,
                createdBy: nil,
                settings: app.settings, context: .system, now: app.clock.now(), on: sql)
            try await SharedMailboxes.setMember(
                mailbox, account: tom, rights: .init(fullAccess: true, sendAs: false, owner: false), context: .system,
                now: app.clock.now(), on: sql)
            #expect(await ask("mailbox ward.nine@nhs.net") == .ok("ward.nine@nhs.net"))
            #expect(await ask("senders ward.nine@nhs.net") == .ok(Demo.uma))
            #expect(try await directory.sharedMailboxes(of: try uma.requireID()) == ["ward.nine@nhs.net"])
            // A shared mailbox is delivered to but never logs in.
            connectMailServer(app)
            #expect(try await MailTest.login(app, "ward.nine@nhs.net", DemoData.password).1?.ok == false)
            let (_, tomAnswer) = try await MailTest.login(app, Demo.tom, DemoData.password)
            #expect(tomAnswer?.aclGroups == "ward.nine@nhs.net")
        }
    }

    @Test("Netstrings: whole ones decode, partial ones wait, broken ones are refused")
    func netstrings() throws {
        #expect(try Socketmap.decode(Array("11:mailbox a@b,".utf8))?.0 == "mailbox a@b")
        #expect(try Socketmap.decode(Array("11:mailbox a@".utf8)) == nil)
        #expect(throws: SocketmapError.self) { try Socketmap.decode(Array("3:abcd".utf8)) }
        #expect(Socketmap.encode("OK x") == Array("4:OK x,".utf8))
    }

    @Test("Activation delivers the welcome email into the new mailbox once, even when the delivery is retried")
    func welcomeOnce() async throws {
        try await withTestApp { app, _ in
            let log = connectMailServer(app)
            let uma = try await MailTest.account(app, Demo.uma)
            let outbox = try await app.db.inTransaction { sql in
                try await Outbox.enqueue(
                    .welcome, to: Demo.uma, fields: ["name": "Uma"], account: try uma.requireID(), now: app.clock.now(),
                    on: sql)
            }
            try await drainJobs(app)
            #expect(log.delivered(to: Demo.uma).count == 1)
            #expect(log.delivered(to: Demo.uma).first?.subject == "Welcome to NHSmail")
            // A first delivery does not ask the mailbox first: that costs a search per new account.
            #expect(!log.entries.contains { if case .asked = $0 { true } else { false } })
            // The same delivery again, as after a crash before it was marked sent: the mailbox already has it.
            try await WelcomeEmail.deliver(outbox: outbox, to: Demo.uma, name: "Uma", retry: true, app: app)
            #expect(log.delivered(to: Demo.uma).count == 1)
        }
    }

    @Test("A person's own mailbox page gives the mail app settings, or says that no mail server is connected")
    func ownMailboxPage() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.uma)
            let without = try await page(app, "/account/mailbox", session)
            #expect(without.status == .ok)
            #expect(without.body.string.contains("No mail server is connected"))
            connectMailServer(app)
            let with = try await page(app, "/account/mailbox", session).body.string
            #expect(with.contains("data-mail-settings"))
            #expect(with.contains("Server 127.0.0.1, port 1"))
            #expect(with.contains("Receiving mail"))
        }
    }

    @Test("The account page shows an administrator the mailbox and its last mail login")
    func accountPageMailbox() async throws {
        try await withTestApp { app, _ in
            connectMailServer(app)
            _ = try await MailTest.login(app, Demo.uma, DemoData.password)
            let uma = try await MailTest.account(app, Demo.uma)
            let session = try await signIn(app, email: Demo.liam)
            let body = try await page(app, "/accounts/\(try uma.requireID().uuidString)", session).body.string
            #expect(body.contains("data-mailbox"))
            #expect(body.contains(LondonTime.receipt(app.clock.now())))
            #expect(body.contains("1 MB (1 message)"))
        }
    }

    @Test("A deleted account's mail is kept through the restore window, then erased once, with audit")
    func erasedAfterWindow() async throws {
        try await withTestApp { app, clock in
            let log = connectMailServer(app)
            let uma = try await MailTest.account(app, Demo.uma)
            let id = try uma.requireID()
            let sql = app.db as! any SQLDatabase
            try await sql.raw(
                "UPDATE accounts SET state = 'deleted', state_changed_at = \(bind: app.clock.now()) WHERE id = \(bind: id)"
            ).run()
            clock.advance(by: AccountLifecycle.restoreWindow - 60)
            _ = try await AccountLifecycleJob.apply(app: app)
            #expect(!log.entries.contains(.erased(Demo.uma)))
            clock.advance(by: 120)
            _ = try await AccountLifecycleJob.apply(app: app)
            _ = try await AccountLifecycleJob.apply(app: app)
            #expect(log.entries.filter { $0 == .erased(Demo.uma) }.count == 1)
            #expect(try await MailTest.account(app, Demo.uma).mailboxErasedAt != nil)
            struct Event: Decodable { let action: String }
            let events = try await sql.raw(
                "SELECT action FROM audit_events WHERE action = 'mailbox.erased' AND target_id = \(bind: id.uuidString)"
            ).rows(Event.self)
            #expect(events.count == 1)
        }
    }

    @Test("Mail logins are activity: someone who only uses a mail app does not become inactive")
    func mailKeepsActive() async throws {
        try await withTestApp { app, clock in
            connectMailServer(app)
            let days = try #require(app.settings.lifecycle.inactiveAfterDays)
            for _ in 0..<3 {
                clock.advance(by: Double(days) * 86400 / 2)
                let (_, answer) = try await MailTest.login(app, Demo.uma, DemoData.password)
                #expect(answer?.ok == true)
                _ = try await AccountLifecycleJob.apply(app: app)
                #expect(try await MailTest.account(app, Demo.uma).state == .active)
            }
        }
    }

    @Test(
        "A new shared mailbox is shared on the mail server; losing Full Access or membership ends the member's sessions"
    )
    func sharedMailboxJobs() async throws {
        try await withTestApp { app, _ in
            let log = connectMailServer(app)
            let sql = app.db as! any SQLDatabase
            let uma = try await MailTest.account(app, Demo.uma)
            let owner = try #require(try await AccountStore.summary(try uma.requireID(), on: sql))
            let tom = try #require(
                try await AccountStore.summary(try await MailTest.account(app, Demo.tom).requireID(), on: sql))
            let now = app.clock.now()
            let mailbox = try await app.db.inTransaction { sql in
                let id = try await SharedMailboxes.create(
                    organisation: owner.organisationID, localPart: "ward.ten", name: "Ward 10", owner: owner,
                    createdBy: nil, settings: app.settings, context: .system, now: now, on: sql)
                try await SharedMailboxes.setMember(
                    id, account: tom, rights: .init(fullAccess: true, sendAs: true, owner: false), context: .system,
                    now: now, on: sql)
                return id
            }
            try await drainJobs(app)
            #expect(log.entries.contains(.shared("ward.ten@nhs.net")))
            #expect(log.endedSessions(of: Demo.tom) == 0)
            try await app.db.inTransaction { sql in
                try await SharedMailboxes.setMember(
                    mailbox, account: tom, rights: .init(fullAccess: false, sendAs: true, owner: false),
                    context: .system, now: now, on: sql)
            }
            try await drainJobs(app)
            #expect(log.endedSessions(of: Demo.tom) == 1)
            try await app.db.inTransaction { sql in
                try await SharedMailboxes.removeMember(mailbox, account: tom.id, context: .system, now: now, on: sql)
            }
            try await drainJobs(app)
            #expect(log.endedSessions(of: Demo.tom) == 2)
        }
    }

    @Test("A national administrator sets an organisation's mailbox size; Dovecot is told it at the next lookup")
    func organisationMailboxSize() async throws {
        try await withTestApp { app, _ in
            connectMailServer(app)
            let uma = try await MailTest.account(app, Demo.uma)
            let organisation = try await uma.$organisation.get(on: app.db)
            let path = "/organisations/\(try organisation.requireID().uuidString.lowercased())/mailbox-size"
            let session = try await signIn(app, email: Demo.nadia)
            let refused = try await submit(app, path, session, [("size", "0.5")])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.string.contains("Enter the size as a whole number of gigabytes"))
            #expect(refused.body.string.contains("nhsuk-error-summary"))
            let saved = try await submit(app, path, session, [("size", "8")])
            #expect(saved.status == .seeOther)
            let (_, answer) = try await MailTest.login(app, Demo.uma, DemoData.password)
            let eightGB: Int64 = 8_589_934_592
            #expect(answer?.quotaBytes == eightGB)
            let shown = try await page(app, "/organisations/\(try organisation.requireID().uuidString)", session)
            #expect(shown.body.string.contains("8 GB"))
        }
    }

    @Test("A leaver keeps receiving but cannot log in; accepted as a joiner, they log in to the same mailbox")
    func leaverThenJoiner() async throws {
        try await withTestApp { app, _ in
            connectMailServer(app)
            let sql = app.db as! any SQLDatabase
            let id = try await MailTest.account(app, Demo.uma).requireID()
            let now = app.clock.now()
            try await app.db.inTransaction { sql in
                let summary = try #require(try await AccountStore.summary(id, on: sql))
                try await AccountService.markLeaver(summary, context: .system, now: now, on: sql)
            }
            let (_, refused) = try await MailTest.login(app, Demo.uma, DemoData.password)
            #expect(refused?.ok == false)
            let directory = MailDirectory(sql: sql, defaultQuotaBytes: 0)
            #expect(
                await Socketmap.answer("mailbox \(Demo.uma)", directory: directory, mailDomain: "nhs.net")
                    == .ok(Demo.uma))
            struct Org: Decodable { let id: UUID }
            let summary = try #require(try await AccountStore.summary(id, on: sql))
            let other = try #require(
                try await sql.raw(
                    """
                    SELECT id FROM organisations WHERE ig_status = 'completed' AND id <> \(bind: summary.organisationID)
                    ORDER BY name LIMIT 1
                    """
                ).firstRow(Org.self))
            try await app.db.inTransaction { sql in
                try await AccountService.acceptJoiner(
                    summary, into: other.id, windowDays: 30, context: .system, now: now, on: sql)
            }
            let (_, accepted) = try await MailTest.login(app, Demo.uma, DemoData.password)
            #expect(accepted?.ok == true)
            #expect(accepted?.user == Demo.uma)
        }
    }
}
