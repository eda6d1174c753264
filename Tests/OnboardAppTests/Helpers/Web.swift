import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// Demo people by role (see `DemoData.people`), all on the demo mail domain.
enum Demo {
    /// National administrator.
    static let nadia = "nadia.okafor@nhs.net"
    /// Local Administrator of RR8, Leeds Teaching Hospitals.
    static let liam = "liam.walker@nhs.net"
    /// Local Administrator of R0A, Manchester University.
    static let mia = "mia.hughes@nhs.net"
    /// Local Administrator of QWO, the commissioner that administers the practices, pharmacies and care homes.
    static let chloe = "chloe.brown@nhs.net"
    /// A user at RR801 with no role.
    static let uma = "uma.singh@nhs.net"
    /// A user at RR813 with no role.
    static let tom = "tom.reed@nhs.net"
    /// Regional contact for North East and Yorkshire (Leeds practices).
    static let rachel = "rachel.green@nhs.net"
    /// Regional contact for London.
    static let grace = "grace.adeyemi@nhs.net"
    /// Regional pharmacy team for North East and Yorkshire.
    static let peter = "peter.shaw@nhs.net"
    /// Pharmacy administration team (all pharmacies).
    static let priya = "priya.patel@nhs.net"
    /// Organisation administrator of B86001.
    static let olivia = "olivia.jones@nhs.net"
    /// Implementation support manager (granted on the Manchester trust), assigned to migration projects.
    static let isaac = "isaac.morgan@nhs.net"
}

/// A signed-in browser: the session cookie and the CSRF token its pages carry.
struct WebSession: Sendable {
    let token: String
    let csrf: String

    /// The value of a `Cookie` request header.
    var cookieHeader: String { "\(SessionCookie.name)=\(token)" }

    var headers: HTTPHeaders { ["Cookie": cookieHeader] }
}

/// A visitor who has loaded the sign-in page but not signed in.
struct PreSession: Sendable {
    let value: String
    let csrf: String

    var cookieHeader: String { "\(SessionCookie.preSessionName)=\(value)" }
    var headers: HTTPHeaders { ["Cookie": cookieHeader] }
}

extension Application {
    func get(_ path: String, headers: HTTPHeaders = [:]) async throws -> TestingHTTPResponse {
        try await testing().sendRequest(.GET, path, headers: headers)
    }

    /// Sends a form as a browser does.
    func post(_ path: String, form: [(String, String)], headers: HTTPHeaders = [:]) async throws
        -> TestingHTTPResponse
    {
        var headers = headers
        headers.replaceOrAdd(name: .contentType, value: "application/x-www-form-urlencoded")
        return try await testing().sendRequest(.POST, path, headers: headers, body: formBody(form))
    }

    func send(
        _ method: HTTPMethod, _ path: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil
    ) async throws -> TestingHTTPResponse {
        try await testing().sendRequest(method, path, headers: headers, body: body)
    }
}

func formBody(_ fields: [(String, String)]) -> ByteBuffer {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    let text = fields.map { name, value in
        let encodedName = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
        let encodedValue = value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
        return encodedName + "=" + encodedValue
    }.joined(separator: "&")
    return ByteBuffer(string: text)
}

/// The value a response's Set-Cookie gives the named cookie, if it sets it.
func setCookieValue(_ response: TestingHTTPResponse, _ name: String) -> String? {
    setCookieHeader(response, name).map { header in
        String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
    }
}

/// The whole Set-Cookie header line for the named cookie.
func setCookieHeader(_ response: TestingHTTPResponse, _ name: String) -> String? {
    response.headers[.setCookie].first { $0.hasPrefix(name + "=") }
}

/// The CSRF token a page's forms carry.
func csrfToken(in html: String) -> String? {
    guard let match = html.firstMatch(of: /name="_csrf" value="([^"]*)"/) else { return nil }
    let token = String(match.output.1)
    return token.isEmpty ? nil : token
}

/// Loads the sign-in page as a new visitor: the pre-session cookie and its CSRF token.
func preSession(_ app: Application) async throws -> PreSession {
    let page = try await app.get("/sign-in")
    #expect(page.status == .ok)
    let value = try #require(setCookieValue(page, SessionCookie.preSessionName), "no pre-session cookie")
    let csrf = try #require(csrfToken(in: page.body.string), "no CSRF token on the sign-in page")
    return PreSession(value: value, csrf: csrf)
}

/// Signs in through the pages as a browser would and returns the new session's cookie and CSRF token. Staff
/// accounts answer the authenticator step with their demo seed.
func signIn(_ app: Application, email: String, password: String = DemoData.password) async throws -> WebSession {
    let visitor = try await preSession(app)
    let response = try await app.post(
        "/sign-in", form: [("email", email), ("password", password), ("_csrf", visitor.csrf)],
        headers: visitor.headers)
    #expect(response.status == .seeOther, "sign-in as \(email) should redirect")
    var token = try #require(
        setCookieValue(response, SessionCookie.name).flatMap { $0.isEmpty ? nil : $0 },
        "sign-in as \(email) set no session cookie")
    var cookie: HTTPHeaders = ["Cookie": "\(SessionCookie.name)=\(token)"]
    var location = response.headers.first(name: .location)
    for _ in 0..<6 {
        guard let next = location, next.hasPrefix("/sign-in/") else { break }
        if next.hasPrefix(SiteURL.signInAuthenticatorSetup.path) {
            // A staff role without an authenticator yet (a grant made by the test): set one up.
            let page = try await app.get(next, headers: cookie)
            let csrf = try #require(csrfToken(in: page.body.string), "no CSRF token on \(next)")
            let text = try #require(page.body.string.firstMatch(of: /onboard-secret">([A-Z2-7 ]+)</)?.output.1)
            let secret = try #require(Base32.decode(String(text)))
            _ = try await app.post(
                next, form: [("code", TOTP(secret: secret).code(at: app.clock.now())), ("_csrf", csrf)], headers: cookie
            )
            location = SiteURL.signInContinue.path
        } else if next.hasPrefix(SiteURL.signInAuthenticator.path) {
            let page = try await app.get(next, headers: cookie)
            let csrf = try #require(csrfToken(in: page.body.string), "no CSRF token on \(next)")
            let answer = try await app.post(
                next, form: [("code", try await demoTOTPCode(app, email: email)), ("_csrf", csrf)], headers: cookie)
            location = answer.headers.first(name: .location)
            // The session's cookie changes once the second factor is in.
            if let rotated = setCookieValue(answer, SessionCookie.name), !rotated.isEmpty {
                token = rotated
                cookie = ["Cookie": "\(SessionCookie.name)=\(token)"]
            }
        } else {
            location = try await app.get(next, headers: cookie).headers.first(name: .location)
        }
    }
    let home = try await app.get("/home", headers: cookie)
    #expect(home.status == .ok, "sign-in as \(email) did not reach the home page")
    let csrf = try #require(csrfToken(in: home.body.string), "no CSRF token on the home page")
    return WebSession(token: token, csrf: csrf)
}

/// The account's next unused authenticator code, from its stored seed. When this step's code was used
/// already, the test clock moves on to the next step, as a person would wait for the next code.
func demoTOTPCode(_ app: Application, email: String) async throws -> String {
    let account = try #require(try await Account.query(on: app.db).filter(\.$address == email).first())
    let secret = try #require(account.totpSecret.flatMap { SecondFactor.open($0, settings: app.settings) })
    if let last = account.totpLastStep, last >= TOTP.counter(at: app.clock.now()) {
        let clock = try #require(app.testClock)
        clock.advance(by: Double(last + 1 - TOTP.counter(at: clock.current)) * TOTP.step)
    }
    return TOTP(secret: secret).code(at: app.clock.now())
}

/// An API token for the account, made as `onboard tokens create` makes one.
func apiToken(_ app: Application, email: String) async throws -> String {
    let raw = "onb_" + app.dependencies.secrets.token()
    let record = APIToken()
    record.$account.id = try await accountID(app, email: email)
    record.name = "test token"
    record.tokenHash = SecretHash.sha256Hex(raw)
    record.createdAt = app.clock.now()
    record.expiresAt = record.createdAt.addingTimeInterval(Double(APITokens.maximumDays) * 86_400)
    record.readOnly = false
    try await record.save(on: app.db)
    return raw
}

func bearer(_ token: String) -> HTTPHeaders {
    ["Authorization": "Bearer \(token)"]
}

func organisationID(_ app: Application, ods: String) async throws -> UUID {
    let organisation = try await Organisation.query(on: app.db).filter(\.$odsCode == ods).first()
    return try #require(organisation?.id, "no organisation \(ods)")
}

func accountID(_ app: Application, email: String) async throws -> UUID {
    let account = try await Account.query(on: app.db).filter(\.$address == email).first()
    return try #require(account?.id, "no account \(email)")
}

/// The live grants of an account.
func grants(_ app: Application, email: String) async throws -> [RoleGrant] {
    let id = try await accountID(app, email: email)
    return try await RoleGrant.query(on: app.db).filter(\.$account.$id == id).filter(\.$revokedAt == nil).all()
}

/// How many audit events of this action exist.
func auditCount(_ app: Application, action: String) async throws -> Int {
    struct Row: Decodable { let n: Int }
    let row = try await (app.db as! any SQLDatabase).raw(
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = \(bind: action)"
    ).firstRow(Row.self)
    return row?.n ?? 0
}

func securityEventCount(_ app: Application, kind: SecurityEventKind) async throws -> Int {
    struct Count: Decodable { let n: Int }
    return try await (app.db as! any SQLDatabase).raw(
        "SELECT COUNT(*) AS n FROM security_events WHERE kind = \(bind: kind.rawValue)"
    ).firstRow(Count.self)?.n ?? 0
}

func organisationCount(_ app: Application) async throws -> Int {
    try await Organisation.query(on: app.db).count()
}

extension TestingHTTPResponse {
    /// The redirect target, when the response is one.
    var location: String? { headers.first(name: .location) }

    var isRedirectToSignIn: Bool {
        [.seeOther, .found, .temporaryRedirect].contains(status) && (location?.hasPrefix("/sign-in") ?? false)
    }

    var isProblemJSON: Bool {
        headers.first(name: .contentType)?.hasPrefix("application/problem+json") ?? false
    }

    /// The fields a problem+json body lists as bad.
    var problemFields: [String] {
        struct Body: Decodable {
            struct Field: Decodable { let field: String }
            let errors: [Field]?
        }
        let body = try? JSONDecoder().decode(Body.self, from: Data(buffer: self.body))
        return body?.errors?.map(\.field) ?? []
    }
}

/// Uploads a CSV through the import page as a browser does: multipart/form-data with `_csrf` and `file`.
func uploadCSV(_ app: Application, _ session: WebSession, csv: String, to path: String = "/organisations/import")
    async throws -> TestingHTTPResponse
{
    let boundary = "onboard-test-\(UUID().uuidString)"
    var body = ""
    body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(session.csrf)\r\n"
    body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"organisations.csv\"\r\n"
    body += "Content-Type: text/csv\r\n\r\n\(csv)\r\n"
    body += "--\(boundary)--\r\n"
    var headers = session.headers
    headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
    return try await app.send(.POST, path, headers: headers, body: ByteBuffer(string: body))
}

extension HTTPHeaders {
    /// These headers with the cookies `response` set added, as a browser following its redirect would send.
    func following(_ response: TestingHTTPResponse) -> HTTPHeaders {
        var headers = self
        let set = response.headers[.setCookie].compactMap { $0.split(separator: ";").first.map(String.init) }
            .filter { !$0.hasSuffix("=") }
        guard !set.isEmpty else { return headers }
        let existing = headers.first(name: .cookie).map { [$0] } ?? []
        headers.replaceOrAdd(name: .cookie, value: (existing + set).joined(separator: "; "))
        return headers
    }
}

/// What a browser would send for a form as the page shows it: text inputs, checked radios and boxes, and
/// selected options.
func formValues(in html: String) -> [String: String] {
    var values: [String: String] = [:]
    for match in html.matches(of: /<input([^>]*)>/) {
        let attributes = String(match.output.1)
        guard let name = attributes.firstMatch(of: /name="([^"]+)"/)?.output.1, name != "_csrf" else { continue }
        let value = String(attributes.firstMatch(of: /value="([^"]*)"/)?.output.1 ?? "")
        let type = attributes.firstMatch(of: /type="([^"]+)"/)?.output.1 ?? "text"
        if type == "radio" || type == "checkbox" {
            if attributes.contains(" checked") { values[String(name)] = value }
        } else {
            values[String(name)] = value
        }
    }
    for select in html.matches(of: /<select[^>]*name="([^"]+)"[^>]*>(.*?)<\/select>/.dotMatchesNewlines()) {
        if let chosen = String(select.output.2).firstMatch(of: /<option value="([^"]*)" selected>/) {
            values[String(select.output.1)] = String(chosen.output.1)
        }
    }
    return values.mapValues {
        $0.replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}
