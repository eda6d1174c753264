import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Staff sign-in")
struct SignInTests {
    @Test("A successful sign-in sets a __Host- cookie that is HttpOnly, SameSite=Lax and Secure")
    func cookieAttributes() async throws {
        try await withTestApp { app, _ in
            let visitor = try await preSession(app)
            // An ordinary user: no second factor, so straight home.
            let response = try await app.post(
                "/sign-in", form: [("email", Demo.uma), ("password", DemoData.password), ("_csrf", visitor.csrf)],
                headers: visitor.headers)
            #expect(response.status == .seeOther)
            #expect(response.location == "/home")
            let header = try #require(setCookieHeader(response, "__Host-onboard-session"))
            let attributes = Set(
                header.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            #expect(attributes.contains("httponly"))
            #expect(attributes.contains("samesite=lax"))
            #expect(attributes.contains("secure"))
            #expect(attributes.contains("path=/"))
            #expect(!attributes.contains { $0.hasPrefix("domain=") }, "__Host- cookies must not name a domain")
        }
    }

    @Test("The sessions table stores only a hash of the cookie value")
    func onlyHashStored() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.liam)
            let rows = try await UserSession.query(on: app.db).all()
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row.tokenHash == SecretHash.sha256Hex(session.token))
            #expect(row.tokenHash != session.token)
            #expect(row.id?.uuidString.lowercased() != session.token.lowercased())
            // No column of any session row holds the cookie value.
            let sql = app.db as! any SQLDatabase
            struct Row: Decodable { let n: Int }
            let found = try await sql.raw(
                """
                SELECT COUNT(*) AS n FROM sessions WHERE token_hash = \(bind: session.token)
                    OR client_address = \(bind: session.token) OR user_agent = \(bind: session.token)
                """
            ).firstRow(Row.self)
            #expect(found?.n == 0)
        }
    }

    @Test("Every sign-in issues a new session id, never the pre-session value")
    func newIdEverySignIn() async throws {
        try await withTestApp { app, _ in
            let visitor = try await preSession(app)
            let response = try await app.post(
                "/sign-in", form: [("email", Demo.liam), ("password", DemoData.password), ("_csrf", visitor.csrf)],
                headers: visitor.headers)
            let first = try #require(setCookieValue(response, SessionCookie.name))
            #expect(first != visitor.value)
            #expect(setCookieValue(response, SessionCookie.preSessionName) == "", "the pre-session cookie is cleared")
            let second = try await signIn(app, email: Demo.liam)
            #expect(second.token != first)
            let ids = try await UserSession.query(on: app.db).all().compactMap(\.id)
            #expect(Set(ids).count == 2)
        }
    }

    @Test("A failed sign-in gives one message whatever the reason, and is recorded")
    func failureIsUniformAndAudited() async throws {
        try await withTestApp { app, _ in
            var pages: [String] = []
            for (email, password) in [("nobody@nhs.net", DemoData.password), (Demo.liam, "wrong-password-123")] {
                let visitor = try await preSession(app)
                let response = try await app.post(
                    "/sign-in", form: [("email", email), ("password", password), ("_csrf", visitor.csrf)],
                    headers: visitor.headers)
                #expect(response.status == .ok)
                #expect(setCookieValue(response, SessionCookie.name) == nil, "no session for a failed sign-in")
                #expect(response.body.string.contains(PublicController.failureMessage))
                pages.append(response.body.string)
            }
            #expect(PublicController.failureMessage == "Enter a correct email address and password")
            // Apart from the echoed address and the CSRF token, the two pages are the same.
            let normalised = pages.map {
                $0.replacingOccurrences(of: "nobody@nhs.net", with: "ADDRESS")
                    .replacingOccurrences(of: Demo.liam, with: "ADDRESS")
                    .replacing(/name="_csrf" value="[^"]*"/, with: "")
            }
            #expect(normalised[0] == normalised[1])
            #expect(try await securityEventCount(app, kind: .signInFailed) == 2)
            #expect(try await UserSession.query(on: app.db).count() == 0)
        }
    }

    @Test("Two passwords that differ only after byte 72 cannot both be accepted")
    func beyondSeventyTwoBytes() async throws {
        try await withTestApp { app, _ in
            let prefix = String(repeating: "p", count: 72)
            let account = try #require(try await Account.query(on: app.db).filter(\.$address == Demo.uma).first())

            // A stored hash of the 72-byte password: that exact password signs in.
            account.passwordHash = try await app.password.async.hash(prefix)
            try await account.save(on: app.db)
            #expect(try await attempt(app, Demo.uma, prefix) == true)

            // bcrypt reads 72 bytes only, so it would accept both of these. Neither may sign in.
            #expect(try await attempt(app, Demo.uma, prefix + "X") == false)
            #expect(try await attempt(app, Demo.uma, prefix + "Y") == false)

            // Even a hash made (by bcrypt, which truncates) from a longer password accepts neither variant.
            account.passwordHash = try await app.password.async.hash(prefix + "X")
            try await account.save(on: app.db)
            #expect(try await app.password.async.verify(prefix + "Y", created: account.passwordHash!))
            #expect(try await attempt(app, Demo.uma, prefix + "X") == false)
            #expect(try await attempt(app, Demo.uma, prefix + "Y") == false)
        }
    }

    @Test("Passwords are hashed with bcrypt as $2b$ at cost 12 in the live configuration")
    func bcryptFormat() async throws {
        try await withTestApp { app, _ in
            #expect(PasswordHashing.live.cost == 12)
            let demoHash = try #require(
                try await Account.query(on: app.db).filter(\.$address == Demo.uma).first()?.passwordHash)
            #expect(demoHash.hasPrefix("$2b$"))

            app.passwords.use(.bcrypt(cost: PasswordHashing.live.cost))
            let hash = try await app.password.async.hash("correct horse battery staple")
            #expect(hash.hasPrefix("$2b$12$"))
            #expect(hash.count == 60)
            #expect(try await app.password.async.verify("correct horse battery staple", created: hash))
        }
    }

    @Test("A signed-in person visiting the sign-in page goes home")
    func signedInSkipsSignIn() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.liam)
            let response = try await app.get("/sign-in", headers: session.headers)
            #expect(response.location == "/home")
        }
    }

    @Test("Signing in honours a local next page but never another host")
    func nextIsLocalOnly() async throws {
        try await withTestApp { app, _ in
            for (next, expected) in [
                ("/organisations", "/organisations"), ("//evil.example", "/home"),
                ("https://evil.example/", "/home"), ("/\t/evil.example/", "/home"), ("/\\evil.example", "/home"),
                ("/\n/evil.example", "/home"),
            ] {
                let visitor = try await preSession(app)
                let response = try await app.post(
                    "/sign-in",
                    form: [
                        ("email", Demo.liam), ("password", DemoData.password), ("next", next), ("_csrf", visitor.csrf),
                    ], headers: visitor.headers)
                #expect(try await afterSecondFactor(app, response, email: Demo.liam) == expected, "next=\(next)")
            }
        }
    }

    /// A staff sign-in as far as the authenticator step: its cookie and the step's CSRF token.
    private func passwordStep(_ app: Application, email: String) async throws -> (cookie: HTTPHeaders, csrf: String) {
        let visitor = try await preSession(app)
        let response = try await app.post(
            "/sign-in", form: [("email", email), ("password", DemoData.password), ("_csrf", visitor.csrf)],
            headers: visitor.headers)
        let token = try #require(setCookieValue(response, SessionCookie.name))
        let cookie: HTTPHeaders = ["Cookie": "\(SessionCookie.name)=\(token)"]
        #expect(response.location == "/sign-in/authenticator")
        let page = try await app.get("/sign-in/authenticator", headers: cookie)
        return (cookie, try #require(csrfToken(in: page.body.string)))
    }

    @Test("Five wrong authenticator codes end the sign-in; the right one is then no use without the password")
    func codeTriesPerSignIn() async throws {
        try await withTestApp { app, _ in
            let (cookie, csrf) = try await passwordStep(app, email: Demo.liam)
            for attempt in 1...LockoutPolicy.codeTriesPerSignIn {
                let wrong = try await app.post(
                    "/sign-in/authenticator", form: [("code", "000000"), ("_csrf", csrf)], headers: cookie)
                if attempt < LockoutPolicy.codeTriesPerSignIn {
                    #expect(wrong.status == .ok, "attempt \(attempt) asks again")
                } else {
                    #expect(wrong.status == .seeOther)
                    #expect(wrong.location == "/sign-in")
                    #expect(wrong.headers[.setCookie].contains { $0.hasPrefix(NoticeCookie.name + "=Too") })
                }
            }
            let right = try await app.post(
                "/sign-in/authenticator",
                form: [("code", try await demoTOTPCode(app, email: Demo.liam)), ("_csrf", csrf)],
                headers: cookie)
            #expect(right.location != "/sign-in/continue", "the ended sign-in goes no further")
            #expect(try await app.get("/home", headers: cookie).location?.hasPrefix("/sign-in") == true)
        }
    }

    @Test("Wrong codes count against the account across sign-ins, and lock it as wrong passwords do")
    func codeFailuresLockTheAccount() async throws {
        try await withTestApp { app, _ in
            // A right password in between does not clear them: ten wrong codes in two sign-ins lock the account.
            for _ in 0..<2 {
                let (cookie, csrf) = try await passwordStep(app, email: Demo.liam)
                for _ in 0..<LockoutPolicy.codeTriesPerSignIn {
                    _ = try await app.post(
                        "/sign-in/authenticator", form: [("code", "000000"), ("_csrf", csrf)], headers: cookie)
                }
            }
            let liam = try #require(try await Account.query(on: app.db).filter(\.$address == Demo.liam).first())
            #expect(liam.lockedUntil != nil, "locked")
            #expect(liam.state == .locked)
            #expect(try await auditCount(app, action: "account.locked") == 1)
            let visitor = try await preSession(app)
            let refused = try await app.post(
                "/sign-in", form: [("email", Demo.liam), ("password", DemoData.password), ("_csrf", visitor.csrf)],
                headers: visitor.headers)
            #expect(refused.status == .ok, "even the right password waits for the lock to end")
            #expect(refused.body.string.contains("Your account is locked"))
        }
    }

    @Test("The cookie from before the second factor is worth nothing after it")
    func sessionRotatesAtTheSecondFactor() async throws {
        try await withTestApp { app, _ in
            let (cookie, csrf) = try await passwordStep(app, email: Demo.liam)
            let answered = try await app.post(
                "/sign-in/authenticator",
                form: [("code", try await demoTOTPCode(app, email: Demo.liam)), ("_csrf", csrf)],
                headers: cookie)
            let rotated: HTTPHeaders = [
                "Cookie": "\(SessionCookie.name)=\(try #require(setCookieValue(answered, SessionCookie.name)))"
            ]
            let next = try #require(answered.location)
            #expect(try await app.get(next, headers: cookie).location?.hasPrefix("/sign-in") == true)
            #expect(try await app.get("/home", headers: cookie).location?.hasPrefix("/sign-in") == true, "old cookie")
            _ = try await app.get(next, headers: rotated)
            #expect(try await app.get("/home", headers: rotated).status == .ok, "the new cookie is signed in")
        }
    }

    @Test("A page asked for before sign-in is where the person lands after, query and all")
    func returnsToRequestedPage() async throws {
        try await withTestApp { app, _ in
            let wanted = "/organisations?q=leeds&type=nhs_trust"
            let anonymous = try await app.get(wanted)
            #expect(anonymous.isRedirectToSignIn)
            let location = try #require(anonymous.location)
            let next = URLComponents(string: location)?.queryItems?.first { $0.name == "next" }?.value
            #expect(next == wanted)

            let page = try await app.get(location)
            let html = page.body.string
            let visitor = PreSession(
                value: try #require(setCookieValue(page, SessionCookie.preSessionName)),
                csrf: try #require(csrfToken(in: html)))
            let field = try #require(html.firstMatch(of: /name="next" value="([^"]*)"/)?.output.1)
            let response = try await app.post(
                "/sign-in",
                form: [
                    ("email", Demo.liam), ("password", DemoData.password),
                    ("next", field.replacingOccurrences(of: "&amp;", with: "&")),
                    ("_csrf", visitor.csrf),
                ], headers: visitor.headers)
            #expect(try await afterSecondFactor(app, response, email: Demo.liam) == wanted)
        }
    }

    /// Whether signing in with this password succeeds.
    private func attempt(_ app: Application, _ email: String, _ password: String) async throws -> Bool {
        let visitor = try await preSession(app)
        let response = try await app.post(
            "/sign-in", form: [("email", email), ("password", password), ("_csrf", visitor.csrf)],
            headers: visitor.headers)
        return response.status == .seeOther && !(setCookieValue(response, SessionCookie.name) ?? "").isEmpty
    }
}

/// Answers the authenticator step a staff sign-in leads to, and returns where the person lands after it.
func afterSecondFactor(_ app: Application, _ response: TestingHTTPResponse, email: String) async throws -> String? {
    let token = try #require(setCookieValue(response, SessionCookie.name))
    let cookie: HTTPHeaders = ["Cookie": "\(SessionCookie.name)=\(token)"]
    let step = try #require(response.location)
    #expect(step.hasPrefix("/sign-in/authenticator"), "a staff sign-in asks for the authenticator code")
    let page = try await app.get(step, headers: cookie)
    let csrf = try #require(csrfToken(in: page.body.string))
    let answered = try await app.post(
        step, form: [("code", try await demoTOTPCode(app, email: email)), ("_csrf", csrf)], headers: cookie)
    let next = try #require(answered.location)
    let rotated = try #require(setCookieValue(answered, SessionCookie.name), "the second factor sets a new cookie")
    #expect(!rotated.isEmpty && rotated != token, "the session's cookie changes once the second factor is in")
    return try await app.get(next, headers: ["Cookie": "\(SessionCookie.name)=\(rotated)"]).location
}
