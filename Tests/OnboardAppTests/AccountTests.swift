import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Accounts: creation and activation")
struct AccountTests {
    func sql(_ app: Application) -> any SQLDatabase { app.db as! any SQLDatabase }

    @Test("An LA adds an account, confirms the code read back, reads out the password; the user is welcomed")
    func assistedActivation() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let id = try await addAccount(app, as: liam, firstName: "Siân", surname: "O'Brien")
            let account = try #require(try await AccountStore.summary(id, on: sql(app)))
            #expect(account.address == "sian.obrien@nhs.net")
            #expect(account.displayName == "O'BRIEN Siân (St James's University Hospital)")
            #expect(account.accountState == .pendingActivation)

            let sent = try await submit(app, "/accounts/\(id)/send-code", liam, [("method", "assisted")])
            #expect(sent.status == .seeOther)
            try await drainJobs(app)
            let code = try await latestCode(app, to: "+447700900123")
            let wrong = try await submit(
                app, "/accounts/\(id)/confirm-code", liam, [("code", code == "000000" ? "111111" : "000000")])
            #expect(wrong.body.string.contains("The security code is not right"))
            #expect(!wrong.body.string.contains("data-temporary-password"))

            let reveal = try await submit(app, "/accounts/\(id)/confirm-code", liam, [("code", code)])
            #expect(reveal.headers.first(name: .cacheControl) == "no-store")
            let password = String(
                try #require(reveal.body.string.firstMatch(of: /data-temporary-password>([^<]+)</)).output.1)
            #expect(TemporaryPassword.looksLike(password))
            let again = try await submit(app, "/accounts/\(id)/confirm-code", liam, [("code", code)])
            #expect(!again.body.string.contains("data-temporary-password"), "a code works once")

            var user = NewUser(app, address: account.address)
            var at = try await user.signIn(password: password.lowercased())
            #expect(at == "/sign-in/acceptable-use")
            (at, _) = try await user.answer(at, [("accept", "yes")])
            #expect(at == "/sign-in/new-password")
            var refusal: String
            (at, refusal) = try await user.answer(
                at, [("password", "sian-in-leeds-99"), ("confirm", "sian-in-leeds-99")])
            #expect(refusal.contains("must not contain your first name or surname"))
            (at, refusal) = try await user.answer(at, [("password", "password1234"), ("confirm", "password1234")])
            #expect(refusal.contains("too common"))
            (at, _) = try await user.answer(
                at, [("password", "plum kettle harbour"), ("confirm", "plum kettle harbour")])
            #expect(at == "/welcome")

            let activated = try #require(try await AccountStore.summary(id, on: sql(app)))
            #expect(activated.accountState == .active)
            struct Queued: Decodable { let template: String }
            let queued = try await sql(app).raw(
                "SELECT template FROM outbox WHERE recipient = \(bind: account.address)"
            ).rows(Queued.self)
            #expect(queued.map(\.template) == ["welcome"])
            var again2 = NewUser(app, address: account.address)
            #expect(try await again2.signIn(password: password).hasPrefix("refused"), "the temporary password is spent")
            for action in [
                "account.create", "account.code_sent", "account.code_confirmed", "account.temporary_password_issued",
                "aup.accept", "account.password_set", "account.activate",
            ] {
                #expect(try await auditCount(app, action: action) >= 1, "\(action) is audited")
            }
        }
    }

    @Test("Automated activation texts the code and the credentials separately, and the user enters the code")
    func automatedActivation() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let id = try await addAccount(
                app, as: liam, firstName: "Łukasz", surname: "Weiß", mobile: "07700 900456", method: "automated")
            try await drainJobs(app)
            let code = try await latestCode(app, to: "+447700900456")
            let password = try await latestTemporaryPassword(app, to: "+447700900456")
            let texts = try await deliveries(app, to: "+447700900456")
            #expect(texts.count == 2)
            #expect(!texts.contains { $0.body.contains(code) && $0.body.contains(password) }, "two separate messages")
            let notice = try await deliveries(app, to: Demo.liam)
            #expect(notice.contains { $0.template == "activation_started" && $0.body.contains("lukasz.weiss@nhs.net") })

            var user = NewUser(app, address: "lukasz.weiss@nhs.net")
            var at = try await user.signIn(password: password)
            #expect(at == "/sign-in/security-code")
            (at, _) = try await user.answer(at, [("code", code)])
            #expect(at == "/sign-in/acceptable-use")
            (at, _) = try await user.answer(at, [("accept", "yes")])
            (at, _) = try await user.answer(
                at, [("password", "violet canal morning"), ("confirm", "violet canal morning")])
            #expect(at == "/welcome")
            #expect(try await AccountStore.summary(id, on: sql(app))?.accountState == .active)
        }
    }

    @Test("An organisation that has not met its IG requirement gets no accounts, and is told why")
    func igRefusal() async throws {
        try await withTestApp { app, _ in
            let chloe = try await signIn(app, email: Demo.chloe)
            let response = try await submit(
                app, "/accounts/new", chloe,
                [
                    ("firstName", "Ann"), ("surname", "Lee"), ("mobile", "07700 900123"), ("organisation", "B86005"),
                    ("method", "assisted"), ("confirm", "yes"),
                ])
            #expect(response.status == .ok)
            #expect(response.body.string.contains("has not met its information governance requirement"))
            #expect(try await Account.query(on: app.db).filter(\.$address == "ann.lee@nhs.net").count() == 0)
        }
    }

    @Test("Two John Smiths get john.smith and john.smith2, and a typed part is needed for a non-Latin name")
    func collisions() async throws {
        try await withTestApp { app, _ in
            let chloe = try await signIn(app, email: Demo.chloe)
            let first = try await addAccount(
                app, as: chloe, firstName: "John", surname: "Smith", organisation: "B86001")
            let second = try await addAccount(
                app, as: chloe, firstName: "John", surname: "Smith", organisation: "B86002")
            #expect(try await AccountStore.summary(first, on: sql(app))?.address == "john.smith@nhs.net")
            #expect(try await AccountStore.summary(second, on: sql(app))?.address == "john.smith2@nhs.net")
            let greek = try await submit(
                app, "/accounts/new", chloe,
                [
                    ("firstName", "Νίκος"), ("surname", "Παπαδόπουλος"), ("mobile", "07700 900123"),
                    ("organisation", "B86001"), ("method", "assisted"),
                ])
            #expect(greek.body.string.contains("cannot be made into an address"))
        }
    }

    @Test("Creations racing for one name all succeed with different addresses, on SQLite as on PostgreSQL")
    func racingReservations() async throws {
        try await withTestApp { app, _ in
            let organisation = try await organisationID(app, ods: "B86001")
            let request = try AccountRequest(
                givenName: "Ava", familyName: "Khan", mobile: "07700900123", organisationODS: "B86001", localPart: nil,
                method: .assisted
            ).validated()
            let settings = app.settings
            let now = app.clock.now()
            @Sendable func create() async throws -> CreatedAccount {
                try await app.db.transaction { db in
                    try await AccountService.create(
                        request, organisation: organisation, createdBy: nil, settings: settings, context: .system,
                        now: now, on: db as! any SQLDatabase)
                }
            }
            // On SQLite the second waits for the first's write lock (transactions begin IMMEDIATE), rather than
            // failing with "database is locked"; on PostgreSQL they run at once.
            async let a = create()
            async let b = create()
            let addresses = Set([try await a.address, try await b.address])
            #expect(addresses == ["ava.khan@nhs.net", "ava.khan2@nhs.net"])
            let eight = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 { group.addTask { try await create().address } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(eight.count == 8, "eight writers at once each get their own address")
        }
    }

    @Test("Another organisation's LA, and an organisation admin elsewhere, get 404 for an account")
    func crossScope() async throws {
        try await withTestApp { app, _ in
            let uma = try await accountID(app, email: Demo.uma)
            let mia = try await signIn(app, email: Demo.mia)
            #expect(try await page(app, "/accounts/\(uma)", mia).status == .notFound)
            #expect(try await submit(app, "/accounts/\(uma)/reset", mia, []).status == .notFound)
            #expect(try await submit(app, "/accounts/\(uma)/leaver", mia, []).status == .notFound)
            let outside = try await submit(
                app, "/accounts/new", mia,
                [
                    ("firstName", "Ann"), ("surname", "Lee"), ("mobile", "07700 900123"), ("organisation", "RR801"),
                    ("confirm", "yes"),
                ])
            #expect(outside.body.string.contains("Choose an organisation you look after"))
            let list = try await page(app, "/accounts?q=singh", mia)
            #expect(!list.body.string.contains("uma.singh"))
            let olivia = try await signIn(app, email: Demo.olivia)
            #expect(try await page(app, "/accounts/\(uma)", olivia).status == .notFound)
            let user = try await signIn(app, email: Demo.tom)
            #expect(try await page(app, "/accounts/\(uma)", user).status == .forbidden)
        }
    }
}

@Suite("Accounts: sign-in protection")
struct SignInProtectionTests {
    func failedSignIn(_ app: Application, _ email: String, _ password: String = "not-the-password") async throws
        -> String
    {
        var visitor = NewUser(app, address: email)
        return try await visitor.signIn(password: password)
    }

    func errorSummary(_ body: String) -> String {
        String(body.firstMatch(of: /nhsuk-error-summary__list[\s\S]*?<\/ul>/)?.output ?? "")
    }

    @Test("Ten failures lock for 15 minutes; locked attempts change nothing; any letter case counts; success resets")
    func lockoutMatrix() async throws {
        try await withTestApp { app, clock in
            for index in 0..<10 {
                let email = index.isMultiple(of: 2) ? Demo.uma : Demo.uma.uppercased()
                #expect(try await failedSignIn(app, email).hasPrefix("refused"))
            }
            let locked = try #require(try await Account.query(on: app.db).filter(\.$address == Demo.uma).first())
            let until = try #require(locked.lockedUntil)
            #expect(until == clock.current.addingTimeInterval(15 * 60))
            #expect(locked.state == .locked)

            clock.advance(by: 60)
            let right = try await failedSignIn(app, Demo.uma, DemoData.password)
            #expect(right.contains("Your account is locked"), "the right password is told about the lock")
            _ = try await failedSignIn(app, Demo.uma)
            let still = try #require(try await Account.query(on: app.db).filter(\.$address == Demo.uma).first())
            #expect(still.lockedUntil == until, "attempts while locked do not extend the lock")

            let unknown = try await failedSignIn(app, "nobody.here@nhs.net")
            let known = try await failedSignIn(app, Demo.tom)
            #expect(errorSummary(unknown) == errorSummary(known))
            #expect(!errorSummary(unknown).isEmpty)

            clock.advance(by: 15 * 60)
            var person = NewUser(app, address: Demo.uma)
            #expect(try await person.signIn(password: DemoData.password) == "/home")
            let reset = try #require(try await Account.query(on: app.db).filter(\.$address == Demo.uma).first())
            #expect(reset.failedSignIns == 0 && reset.lockCount == 0 && reset.state == .active)
        }
    }

    @Test("A repeated lock doubles, and an LA can unlock at once")
    func doublingAndUnlock() async throws {
        try await withTestApp { app, clock in
            for _ in 0..<10 { _ = try await failedSignIn(app, Demo.uma) }
            clock.advance(by: 15 * 60)
            for _ in 0..<10 { _ = try await failedSignIn(app, Demo.uma) }
            let account = try #require(try await Account.query(on: app.db).filter(\.$address == Demo.uma).first())
            #expect(account.lockedUntil == clock.current.addingTimeInterval(30 * 60))
            let liam = try await signIn(app, email: Demo.liam)
            let unlocked = try await submit(app, "/accounts/\(try account.requireID())/unlock", liam, [])
            #expect(unlocked.status == .seeOther)
            var person = NewUser(app, address: Demo.uma)
            #expect(try await person.signIn(password: DemoData.password) == "/home")
        }
    }

    @Test("An LA cannot act without their authenticator, and a used code is refused")
    func secondFactor() async throws {
        try await withTestApp { app, _ in
            var la = NewUser(app, address: Demo.liam)
            let at = try await la.signIn(password: DemoData.password)
            #expect(at == "/sign-in/authenticator")
            let home = try await app.get("/home", headers: la.cookie)
            #expect(home.status == .seeOther)
            #expect(home.headers.first(name: .location) == "/sign-in/continue")
            let code = TOTP(secret: DemoData.totpSecret(for: Demo.liam)).code(at: app.clock.now())
            let (next, _) = try await la.answer(at, [("code", code)])
            #expect(next == "/home")

            var again = NewUser(app, address: Demo.liam)
            let second = try await again.signIn(password: DemoData.password)
            let (stayed, body) = try await again.answer(second, [("code", code)])
            #expect(stayed == "/sign-in/authenticator")
            #expect(body.contains("has been used already"))
        }
    }

    @Test("A new LA sets up an authenticator, gets recovery codes once, and a recovery code works once")
    func enrolment() async throws {
        try await withTestApp { app, clock in
            let uma = try await accountID(app, email: Demo.uma)
            try await (app.db as! any SQLDatabase).raw(
                """
                INSERT INTO role_grants (id, account_id, role, organisation_id, granted_at)
                VALUES (\(bind: UUID()), \(bind: uma), 'organisation_admin', \(bind: try await organisationID(app, ods: "RR801")), \(bind: clock.current))
                """
            ).run()
            var person = NewUser(app, address: Demo.uma)
            let at = try await person.signIn(password: DemoData.password)
            #expect(at == "/sign-in/authenticator/set-up")
            let setup = try await app.get(at, headers: person.cookie)
            let secretText = String(
                try #require(setup.body.string.firstMatch(of: /onboard-secret">([A-Z2-7 ]+)</)).output.1)
            #expect(setup.body.string.contains("otpauth://totp/"))
            let secret = try #require(Base32.decode(secretText))
            let (done, codesPage) = try await person.answer(
                at, [("code", TOTP(secret: secret).code(at: clock.current))])
            #expect(done == at && codesPage.contains("Save your recovery codes"))
            let codes = codesPage.matches(of: /<code>([0-9a-z-]+)<\/code>/).map { String($0.output.1) }
            #expect(codes.count == 10)
            #expect(try await person.follow("/sign-in/continue") == "/home")

            clock.advance(by: 60)
            var lost = NewUser(app, address: Demo.uma)
            let step = try await lost.signIn(password: DemoData.password)
            #expect(try await lost.answer(step, [("code", codes[0])]).0 == "/home")
            var reuse = NewUser(app, address: Demo.uma)
            let step2 = try await reuse.signIn(password: DemoData.password)
            #expect(try await reuse.answer(step2, [("code", codes[0])]).0 == step2)
        }
    }
}

@Suite("Accounts: security codes")
struct SecurityCodeTests {
    func pending(_ app: Application) async throws -> (WebSession, UUID) {
        let liam = try await signIn(app, email: Demo.liam)
        let id = try await addAccount(app, as: liam, firstName: "Zoë", surname: "Smith-Jones")
        _ = try await submit(app, "/accounts/\(id)/send-code", liam, [("method", "assisted")])
        try await drainJobs(app)
        return (liam, id)
    }

    @Test("A code expires after 10 minutes")
    func expiry() async throws {
        try await withTestApp { app, clock in
            let (liam, id) = try await pending(app)
            let code = try await latestCode(app, to: "+447700900123")
            clock.advance(by: 10 * 60)
            let late = try await submit(app, "/accounts/\(id)/confirm-code", liam, [("code", code)])
            #expect(late.body.string.contains("The security code has expired"))
        }
    }

    @Test("Five wrong tries spend a code, and a resend makes the old code useless")
    func triesAndResend() async throws {
        try await withTestApp { app, _ in
            let (liam, id) = try await pending(app)
            let first = try await latestCode(app, to: "+447700900123")
            let wrong = first == "999999" ? "888888" : "999999"
            for _ in 0..<5 { _ = try await submit(app, "/accounts/\(id)/confirm-code", liam, [("code", wrong)]) }
            let spent = try await submit(app, "/accounts/\(id)/confirm-code", liam, [("code", first)])
            #expect(spent.body.string.contains("There is no security code waiting"))

            _ = try await submit(app, "/accounts/\(id)/send-code", liam, [("method", "assisted")])
            try await drainJobs(app)
            let second = try await latestCode(app, to: "+447700900123")
            _ = try await submit(app, "/accounts/\(id)/send-code", liam, [("method", "assisted")])
            try await drainJobs(app)
            let third = try await latestCode(app, to: "+447700900123")
            if second != third {
                let old = try await submit(app, "/accounts/\(id)/confirm-code", liam, [("code", second)])
                #expect(!old.body.string.contains("data-temporary-password"), "a resent code replaces the old one")
            }
        }
    }

    @Test("Resending never buys unlimited guesses: ten wrong tries a day, across codes")
    func attemptCap() async throws {
        try await withTestApp { app, _ in
            let (liam, id) = try await pending(app)
            for _ in 0..<2 {
                let code = try await latestCode(app, to: "+447700900123")
                let wrong = code == "999999" ? "888888" : "999999"
                for _ in 0..<5 { _ = try await submit(app, "/accounts/\(id)/confirm-code", liam, [("code", wrong)]) }
                _ = try await submit(app, "/accounts/\(id)/send-code", liam, [("method", "assisted")])
                try await drainJobs(app)
            }
            let right = try await latestCode(app, to: "+447700900123")
            let capped = try await submit(app, "/accounts/\(id)/confirm-code", liam, [("code", right)])
            #expect(capped.body.string.contains("too many wrong codes today"))
        }
    }

    @Test("Texts are capped per account per hour")
    func textCap() async throws {
        try await withTestApp { app, _ in
            let (liam, id) = try await pending(app)
            for _ in 0..<4 { _ = try await submit(app, "/accounts/\(id)/send-code", liam, [("method", "assisted")]) }
            let refused = try await submit(app, "/accounts/\(id)/send-code", liam, [("method", "assisted")])
            #expect(refused.body.string.contains("Too many texts have been sent in the last hour"))
        }
    }
}

@Suite("Accounts: lifecycle")
struct AccountLifecycleTests {
    @Test("A leaver loses everything from the old organisation, and another LA accepts them keeping the address")
    func leaverToJoiner() async throws {
        try await withTestApp { app, _ in
            let tom = try await accountID(app, email: Demo.tom)
            let tomSession = try await signIn(app, email: Demo.tom)
            let liam = try await signIn(app, email: Demo.liam)
            let asked = try await submit(app, "/accounts/\(tom)/leaver", liam, [])
            #expect(asked.body.string.contains("Mark Tom Reed as a leaver?"), "leaving is confirmed first")
            #expect(try await AccountStore.summary(tom, on: app.db as! any SQLDatabase)?.accountState == .active)
            let marked = try await submit(app, "/accounts/\(tom)/leaver", liam, [("confirm", "yes")])
            #expect(marked.status == .seeOther)
            #expect(try await app.get("/home", headers: tomSession.headers).status == .seeOther, "sessions end")
            #expect(try await grants(app, email: Demo.tom).isEmpty)

            let mia = try await signIn(app, email: Demo.mia)
            let found = try await submit(app, "/accounts/joiners", mia, [("address", Demo.tom)])
            #expect(found.body.string.contains("Tom Reed left Leeds General Infirmary"))
            #expect(found.body.string.contains(#"name="address" value="\#(Demo.tom)""#), "the accept form carries it")
            let accepted = try await submit(
                app, "/accounts/joiners/\(tom)", mia, [("address", Demo.tom), ("organisation", "R0A02")])
            #expect(accepted.status == .seeOther)
            let moved = try #require(try await AccountStore.summary(tom, on: app.db as! any SQLDatabase))
            #expect(moved.address == Demo.tom)
            #expect(moved.accountState == .active)
            #expect(moved.odsCode == "R0A02")
            #expect(moved.displayName == "REED Tom (Manchester Royal Infirmary)")
            #expect(try await page(app, "/accounts/\(tom)", liam).status == .notFound, "the old LA no longer sees them")
            #expect(try await auditCount(app, action: "account.accept_joiner") == 1)
        }
    }

    @Test("The accept-a-joiner address answers any other account, or a leaver without their address, as not found")
    func joinerByIDRevealsNothing() async throws {
        try await withTestApp { app, _ in
            let tom = try await accountID(app, email: Demo.tom)
            let uma = try await accountID(app, email: Demo.uma)
            let liam = try await signIn(app, email: Demo.liam)
            _ = try await submit(app, "/accounts/\(tom)/leaver", liam, [("confirm", "yes")])
            let mia = try await signIn(app, email: Demo.mia)
            let random = try await submit(app, "/accounts/joiners/\(UUID())", mia, [("organisation", "")])
            #expect(random.status == .notFound)
            for (id, fields) in [
                (uma, [("organisation", "")]), (uma, [("address", Demo.uma), ("organisation", "")]),
                (tom, [("organisation", "")]), (tom, [("address", Demo.uma), ("organisation", "R0A02")]),
            ] {
                let answer = try await submit(app, "/accounts/joiners/\(id)", mia, fields)
                #expect(answer.status == random.status, "\(id) \(fields)")
                #expect(answer.body.string == random.body.string, "\(id) \(fields)")
            }
            #expect(try await AccountStore.summary(tom, on: app.db as! any SQLDatabase)?.accountState == .leaver)
        }
    }

    @Test("An unclaimed leaver is deleted after 30 days and can be restored within 30 more, keeping the address")
    func deleteAndRestore() async throws {
        try await withTestApp { app, clock in
            let tom = try await accountID(app, email: Demo.tom)
            let liam = try await signIn(app, email: Demo.liam)
            _ = try await submit(app, "/accounts/\(tom)/leaver", liam, [("confirm", "yes")])
            clock.advance(by: 31 * 86400)
            #expect(try await AccountLifecycleJob.apply(app: app) >= 1)
            #expect(try await AccountStore.summary(tom, on: app.db as! any SQLDatabase)?.accountState == .deleted)
            let again = try await signIn(app, email: Demo.liam)
            let restored = try await submit(app, "/accounts/\(tom)/restore", again, [])
            #expect(restored.status == .seeOther)
            let account = try #require(try await AccountStore.summary(tom, on: app.db as! any SQLDatabase))
            #expect(account.accountState == .inactive && account.address == Demo.tom)
        }
    }

    @Test("Two lifecycle runs at once apply each transition once")
    func concurrentRuns() async throws {
        try await withTestApp { app, clock in
            let liam = try await signIn(app, email: Demo.liam)
            let first = try await addAccount(app, as: liam, firstName: "Ada", surname: "Lovelace", method: "automated")
            let second = try await addAccount(
                app, as: liam, firstName: "Mary", surname: "Seacole", mobile: "07700 900777", method: "automated")
            try await drainJobs(app)
            clock.advance(by: TemporaryPassword.lifetime + 60)
            async let a = AccountLifecycleJob.apply(app: app)
            async let b = AccountLifecycleJob.apply(app: app)
            let total = try await a + b
            #expect(total == 2)
            #expect(try await auditCount(app, action: "account.expire") == 2)
            for id in [first, second] {
                #expect(try await AccountStore.summary(id, on: app.db as! any SQLDatabase)?.accountState == .expired)
            }
        }
    }
}

@Suite("Accounts: self-service reset")
struct SelfServiceResetTests {
    func ask(_ app: Application, _ address: String) async throws -> (PreSession, TestingHTTPResponse) {
        let visitor = try await preSession(app)
        let response = try await app.post(
            "/sign-in/forgotten-password", form: [("address", address), ("_csrf", visitor.csrf)],
            headers: visitor.headers)
        return (visitor, response)
    }

    @Test("A code to the registered mobile leads to a new password; an unknown address sees the same page")
    func resetByText() async throws {
        try await withTestApp { app, _ in
            let (visitor, asked) = try await ask(app, Demo.uma)
            #expect(asked.body.string.contains("has an account with a mobile number, we have texted"))
            let (_, unknown) = try await ask(app, "nobody.here@nhs.net")
            #expect(unknown.body.string.contains("has an account with a mobile number, we have texted"))
            try await drainJobs(app)
            let uma = try #require(
                try await AccountStore.summary(
                    try await accountID(app, email: Demo.uma), on: app.db as! any SQLDatabase))
            let code = try await latestCode(app, to: try #require(uma.mobile))
            #expect(try await deliveries(app, to: "nobody.here@nhs.net").isEmpty)

            let answered = try await app.post(
                "/sign-in/forgotten-password/code",
                form: [("address", Demo.uma), ("code", code), ("_csrf", visitor.csrf)], headers: visitor.headers)
            #expect(answered.status == .seeOther)
            var person = NewUser(app, address: Demo.uma)
            person.cookie = [
                "Cookie": "\(SessionCookie.name)=\(try #require(setCookieValue(answered, SessionCookie.name)))"
            ]
            let at = try await person.follow("/sign-in/continue")
            #expect(at == "/sign-in/new-password")
            let (home, _) = try await person.answer(
                at, [("password", "quiet meadow lantern"), ("confirm", "quiet meadow lantern")])
            #expect(home == "/home")
            var old = NewUser(app, address: Demo.uma)
            #expect(try await old.signIn(password: DemoData.password).hasPrefix("refused"))
        }
    }

    @Test("No reset by text for a day after the mobile number changes")
    func holdAfterMobileChange() async throws {
        try await withTestApp { app, clock in
            let token = try await apiToken(app, email: Demo.liam)
            let tom = try await accountID(app, email: Demo.tom)
            var headers = bearer(token)
            headers.add(name: .contentType, value: "application/json")
            let changed = try await app.send(
                .PATCH, "/api/v1/accounts/\(tom)", headers: headers,
                body: ByteBuffer(string: #"{"mobile":"07700 900999"}"#))
            #expect(changed.status == .ok)
            _ = try await ask(app, Demo.tom)
            try await drainJobs(app)
            #expect(try await deliveries(app, to: "+447700900999").isEmpty)
            clock.advance(by: 24 * 3600)
            _ = try await ask(app, Demo.tom)
            try await drainJobs(app)
            #expect(try await deliveries(app, to: "+447700900999").contains { $0.template == "security_code" })
        }
    }
}

@Suite("Accounts: a person's own security")
struct OwnSecurityTests {
    @Test("An ordinary user adds an authenticator, and is asked for it at the next sign-in")
    func addAuthenticator() async throws {
        try await withTestApp { app, clock in
            let uma = try await signIn(app, email: Demo.uma)
            let setup = try await page(app, "/account/authenticator", uma)
            let text = try #require(setup.body.string.firstMatch(of: /onboard-secret">([A-Z2-7 ]+)</)?.output.1)
            let secret = try #require(Base32.decode(String(text)))
            let added = try await submit(
                app, "/account/authenticator", uma, [("code", TOTP(secret: secret).code(at: clock.current))])
            #expect(added.body.string.contains("Save your recovery codes"))
            clock.advance(by: 60)
            var again = NewUser(app, address: Demo.uma)
            #expect(try await again.signIn(password: DemoData.password) == "/sign-in/authenticator")
        }
    }

    @Test("A new mobile number is confirmed by a code sent to it, and the old number is told")
    func changeMobile() async throws {
        try await withTestApp { app, _ in
            let uma = try await signIn(app, email: Demo.uma)
            let id = try await accountID(app, email: Demo.uma)
            let old = try #require(try await AccountStore.summary(id, on: app.db as! any SQLDatabase)?.mobile)
            let sent = try await submit(app, "/account/mobile", uma, [("mobile", "07700 900765")])
            #expect(sent.body.string.contains("07700 900765"))
            try await drainJobs(app)
            let code = try await latestCode(app, to: "+447700900765")
            let wrong = try await submit(
                app, "/account/mobile/code", uma, [("code", code == "000000" ? "111111" : "000000")])
            #expect(wrong.body.string.contains("The security code is not right"))
            #expect(try await AccountStore.summary(id, on: app.db as! any SQLDatabase)?.mobile == old)
            let changed = try await submit(app, "/account/mobile/code", uma, [("code", code)])
            #expect(changed.status == .seeOther)
            #expect(try await AccountStore.summary(id, on: app.db as! any SQLDatabase)?.mobile == "+447700900765")
            try await drainJobs(app)
            #expect(try await deliveries(app, to: old).contains { $0.template == "mobile_changed" })
        }
    }
}
