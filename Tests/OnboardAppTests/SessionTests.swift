import Fluent
import Foundation
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Sessions")
struct SessionTests {
    @Test("After 30 idle minutes a page sends the person to sign in again")
    func idleLimit() async throws {
        try await withTestApp { app, clock in
            let session = try await signIn(app, email: Demo.liam)
            clock.advance(by: 29 * 60)
            #expect(try await app.get("/home", headers: session.headers).status == .ok)
            // Being active resets the idle clock.
            clock.advance(by: 29 * 60)
            #expect(try await app.get("/home", headers: session.headers).status == .ok)
            clock.advance(by: 31 * 60)
            let response = try await app.get("/home", headers: session.headers)
            #expect(response.isRedirectToSignIn)
            #expect(setCookieValue(response, SessionCookie.name) == "", "the dead cookie is cleared")
            // And it stays ended: the clock going back does not revive it.
            clock.advance(by: -31 * 60)
            #expect(try await app.get("/home", headers: session.headers).isRedirectToSignIn)
        }
    }

    @Test("After 12 hours the session ends even when used every 20 minutes")
    func absoluteLimit() async throws {
        try await withTestApp { app, clock in
            let session = try await signIn(app, email: Demo.liam)
            for step in 1..<36 {
                clock.advance(by: 20 * 60)
                let response = try await app.get("/home", headers: session.headers)
                #expect(response.status == .ok, "after \(step * 20) minutes of activity")
            }
            clock.advance(by: 20 * 60)
            #expect(try await app.get("/home", headers: session.headers).isRedirectToSignIn)
        }
    }

    @Test("Signing out everywhere ends every session of the person, this one included, and nobody else's")
    func signOutEverywhere() async throws {
        // docs/decisions.md: "Sign out everywhere" ends all of a person's sessions, this one included.
        try await withTestApp { app, _ in
            let current = try await signIn(app, email: Demo.liam)
            let laptop = try await signIn(app, email: Demo.liam)
            let phone = try await signIn(app, email: Demo.liam)
            let someoneElse = try await signIn(app, email: Demo.mia)

            let page = try await app.get("/account/sessions", headers: current.headers)
            #expect(page.body.string.components(separatedBy: "/end\"").count - 1 == 3, "three sessions listed")

            let response = try await app.post(
                "/account/sessions/end-all", form: [("_csrf", current.csrf)], headers: current.headers)
            #expect(response.status == .seeOther)
            #expect(response.location?.hasPrefix("/sign-in") == true)
            #expect(setCookieValue(response, SessionCookie.name) == "")
            for session in [current, laptop, phone] {
                #expect(try await app.get("/home", headers: session.headers).isRedirectToSignIn)
            }
            #expect(try await app.get("/home", headers: someoneElse.headers).status == .ok)
            let liam = try await accountID(app, email: Demo.liam)
            let open = try await UserSession.query(on: app.db)
                .filter(\.$account.$id == liam).filter(\.$endedAt == nil).count()
            #expect(open == 0)
            #expect(try await auditCount(app, action: "session.end_all") == 1)
        }
    }

    @Test("One of your own sessions can be ended from the sessions page")
    func endOne() async throws {
        try await withTestApp { app, _ in
            let current = try await signIn(app, email: Demo.liam)
            let other = try await signIn(app, email: Demo.liam)
            let otherID = try await sessionID(app, other)
            let response = try await app.post(
                "/account/sessions/\(lower(otherID))/end", form: [("_csrf", current.csrf)], headers: current.headers)
            #expect(response.status == .seeOther)
            #expect(response.location?.hasPrefix("/account/sessions") == true)
            #expect(try await app.get("/home", headers: other.headers).isRedirectToSignIn)
            #expect(try await app.get("/home", headers: current.headers).status == .ok)
            #expect(try await auditCount(app, action: "session.end") == 1)
        }
    }

    @Test("Ending another person's session answers 404 and leaves it alone")
    func endOthersSession() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let nadia = try await signIn(app, email: Demo.nadia)
            let nadiaID = try await sessionID(app, nadia)
            let response = try await app.post(
                "/account/sessions/\(lower(nadiaID))/end", form: [("_csrf", liam.csrf)], headers: liam.headers)
            #expect(response.status == .notFound)
            #expect(try await app.get("/home", headers: nadia.headers).status == .ok)
        }
    }

    @Test("Signing out ends the session on the server, not just in the browser")
    func signOut() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.liam)
            let response = try await app.post("/sign-out", form: [("_csrf", session.csrf)], headers: session.headers)
            #expect(response.status == .seeOther)
            #expect(setCookieValue(response, SessionCookie.name) == "")
            // Replaying the old cookie does not work.
            #expect(try await app.get("/home", headers: session.headers).isRedirectToSignIn)
            #expect(try await auditCount(app, action: "sign_out") == 1)
        }
    }

    @Test("A session of an account that is no longer active stops working")
    func inactiveAccount() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.liam)
            let account = try #require(try await Account.query(on: app.db).filter(\.$address == Demo.liam).first())
            account.state = .locked
            try await account.save(on: app.db)
            #expect(try await app.get("/home", headers: session.headers).isRedirectToSignIn)
        }
    }

    @Test("The prune job ends sessions past their limits")
    func pruneJob() async throws {
        try await withTestApp { app, clock in
            _ = try await signIn(app, email: Demo.liam)
            clock.advance(by: 31 * 60)
            let fresh = try await signIn(app, email: Demo.liam)
            try await SessionPruneJob.run(
                ClaimedJob(id: UUID(), kind: SessionPruneJob.kind, payload: "{}", attempts: 1, maxAttempts: 1), app)
            let open = try await UserSession.query(on: app.db).filter(\.$endedAt == nil).all()
            #expect(open.map(\.tokenHash) == [SecretHash.sha256Hex(fresh.token)])
        }
    }

    private func sessionID(_ app: Application, _ session: WebSession) async throws -> UUID {
        let row = try await UserSession.query(on: app.db)
            .filter(\.$tokenHash == SecretHash.sha256Hex(session.token)).first()
        return try #require(row?.id)
    }
}
