import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// Runs every due job, as the worker would.
func drainJobs(_ app: Application) async throws {
    while try await app.jobs.runOnce(app: app) {}
}

/// What the development sink delivered to a recipient, newest first.
func deliveries(_ app: Application, to recipient: String) async throws -> [DevOutbox.Delivery] {
    try await (app.db as! any SQLDatabase).raw(
        """
        SELECT recipient, template, body, delivered_at FROM dev_deliveries
        WHERE recipient = \(bind: recipient) ORDER BY seq DESC
        """
    ).rows(DevOutbox.Delivery.self)
}

/// The six-digit code in the newest security-code text to a number.
func latestCode(_ app: Application, to mobile: String) async throws -> String {
    let texts = try await deliveries(app, to: mobile).filter { $0.template == "security_code" }
    let body = try #require(texts.first?.body, "no security code was texted to \(mobile)")
    return String(try #require(body.firstMatch(of: /\d{6}/)).output)
}

/// The temporary password in the newest credentials text to a number.
func latestTemporaryPassword(_ app: Application, to mobile: String) async throws -> String {
    let texts = try await deliveries(app, to: mobile).filter { $0.template == "credentials" }
    let body = try #require(texts.first?.body, "no credentials were texted to \(mobile)")
    return String(try #require(body.firstMatch(of: /[0-9A-Z]{4}(-[0-9A-Z]{4}){5}/)).output.0)
}

/// A page's body, following nothing: for pages behind a session.
func page(_ app: Application, _ path: String, _ session: WebSession) async throws -> TestingHTTPResponse {
    try await app.get(path, headers: session.headers)
}

/// Posts a form with the session's CSRF token.
func submit(_ app: Application, _ path: String, _ session: WebSession, _ fields: [(String, String)]) async throws
    -> TestingHTTPResponse
{
    try await app.post(path, form: fields + [("_csrf", session.csrf)], headers: session.headers)
}

/// Adds an account through the LA's pages (form, check page, confirm) and returns its id.
func addAccount(
    _ app: Application, as session: WebSession, firstName: String, surname: String, mobile: String = "07700 900123",
    organisation: String = "RR801", method: String = "assisted"
) async throws -> UUID {
    let fields = [
        ("firstName", firstName), ("surname", surname), ("mobile", mobile), ("organisation", organisation),
        ("method", method), ("localPart", ""),
    ]
    let check = try await submit(app, "/accounts/new", session, fields)
    #expect(check.status == .ok)
    #expect(check.body.string.contains("Check the account details"), "\(check.body.string.prefix(3000))")
    let created = try await submit(app, "/accounts/new", session, fields + [("confirm", "yes")])
    #expect(created.status == .seeOther, "\(created.body.string.prefix(3000))")
    let location = try #require(created.headers.first(name: .location))
    let id = try #require(location.firstMatch(of: /\/accounts\/([0-9a-f-]{36})/)?.output.1)
    return try #require(UUID(uuidString: String(id)))
}

/// A person who is not signed in, going through the sign-in steps with a temporary password.
struct NewUser {
    let app: Application
    let address: String
    var cookie: HTTPHeaders = [:]
    var csrf = ""

    init(_ app: Application, address: String) {
        self.app = app
        self.address = address
    }

    /// Signs in and returns where the service sends them next.
    mutating func signIn(password: String) async throws -> String {
        let visitor = try await preSession(app)
        let response = try await app.post(
            "/sign-in", form: [("email", address), ("password", password), ("_csrf", visitor.csrf)],
            headers: visitor.headers)
        guard response.status == .seeOther, let token = setCookieValue(response, SessionCookie.name), !token.isEmpty
        else { return "refused: " + response.body.string }
        cookie = ["Cookie": "\(SessionCookie.name)=\(token)"]
        return try await follow(try #require(response.headers.first(name: .location)))
    }

    /// Follows redirects until a page that asks something, and reads its CSRF token.
    mutating func follow(_ start: String) async throws -> String {
        var location = start
        for _ in 0..<6 {
            let response = try await app.get(location, headers: cookie)
            if response.status == .seeOther || response.status == .found {
                location = try #require(response.headers.first(name: .location))
                continue
            }
            #expect(response.status == .ok, "\(location) answered \(response.status)")
            csrf = csrfToken(in: response.body.string) ?? csrf
            return location
        }
        return location
    }

    /// Posts a step's form and returns the next page's path, or the same path when it was refused.
    mutating func answer(_ path: String, _ fields: [(String, String)]) async throws -> (String, String) {
        let response = try await app.post(path, form: fields + [("_csrf", csrf)], headers: cookie)
        if let rotated = setCookieValue(response, SessionCookie.name), !rotated.isEmpty {
            cookie = ["Cookie": "\(SessionCookie.name)=\(rotated)"]
        }
        if response.status == .seeOther, let location = response.headers.first(name: .location) {
            return (try await follow(location), "")
        }
        csrf = csrfToken(in: response.body.string) ?? csrf
        return (path, response.body.string)
    }
}
