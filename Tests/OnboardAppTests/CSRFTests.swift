import Foundation
import Testing
import VaporTesting

@testable import OnboardApp

@Suite("CSRF")
struct CSRFTests {
    @Test("A state-changing form without its CSRF token gets 403 and changes nothing")
    func missingToken() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.nadia)
            let form = [("name", "Forged Trust"), ("type", "nhs_trust"), ("country", "england")]
            let before = try await organisationCount(app)
            let forged = try await app.post("/organisations/new", form: form, headers: session.headers)
            #expect(forged.status == .forbidden)
            #expect(try await organisationCount(app) == before)
            let genuine = try await app.post(
                "/organisations/new", form: form + [("_csrf", session.csrf)], headers: session.headers)
            #expect(genuine.status == .seeOther)
            #expect(try await organisationCount(app) == before + 1)
        }
    }

    @Test("The token a visitor had before signing in does not work after")
    func preSessionTokenDiesAtSignIn() async throws {
        try await withTestApp { app, _ in
            let visitor = try await preSession(app)
            let response = try await app.post(
                "/sign-in", form: [("email", Demo.liam), ("password", DemoData.password), ("_csrf", visitor.csrf)],
                headers: visitor.headers)
            let token = try #require(setCookieValue(response, SessionCookie.name))
            let signedIn: HTTPHeaders = ["Cookie": "\(SessionCookie.name)=\(token)"]
            let stale = try await app.post("/sign-out", form: [("_csrf", visitor.csrf)], headers: signedIn)
            #expect(stale.status == .forbidden)
        }
    }
}
