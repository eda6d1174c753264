import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// Walks every registered route. Each must be listed in `RouteTable.rules`, which says how it is reached,
/// what another scope's record looks like to it, and whether it changes state; every listed case is then
/// tried. A new route that is not listed fails `everyRouteIsListed`, so none can slip past.
@Suite("Route coverage")
struct RouteCoverageTests {
    @Test("Every route in app.routes.all is listed in the route table, and every listed route exists")
    func everyRouteIsListed() async throws {
        try await withTestApp(seed: false) { app, _ in
            let registered = Set(app.routes.all.map(RouteTable.key))
            for key in registered.sorted() {
                #expect(RouteTable.rules[key] != nil, "route \(key) is missing from RouteTable.rules")
            }
            for key in RouteTable.rules.keys.sorted() {
                #expect(registered.contains(key), "RouteTable lists \(key), which is no longer a route")
            }
            #expect(registered.count == app.routes.all.count, "a route is registered twice")
        }
    }

    @Test("Static files are public: they are served by FileMiddleware, not by a route")
    func staticFilesArePublic() async throws {
        try await withTestApp(seed: false) { app, _ in
            let css = try await app.get("/css/onboard.css")
            #expect(css.status == .ok, "static files are public")
        }
    }

    @Test("Unauthenticated, other-scope and CSRF cases", arguments: RouteTable.rules.keys.sorted())
    func route(_ key: String) async throws {
        let rule = try #require(RouteTable.rules[key])
        let method = HTTPMethod(rawValue: String(key.prefix { $0 != " " }))
        try await withTestApp { app, _ in
            let fixture = try await Fixture.load(app)
            try await checkUnauthenticated(app, key: key, method: method, rule: rule, fixture: fixture)
            try await checkOtherScope(app, key: key, method: method, rule: rule, fixture: fixture)
            if rule.stateChanging {
                try await checkCSRF(app, key: key, method: method, rule: rule, fixture: fixture)
            }
        }
    }

    // MARK: the cases

    private func checkUnauthenticated(
        _ app: Application, key: String, method: HTTPMethod, rule: RouteRule, fixture: Fixture
    ) async throws {
        let path = rule.path(fixture)
        switch rule.access {
        case .public:
            if method == .GET {
                let response = try await app.get(path)
                #expect(response.status == .ok, "\(key): public, so it answers 200 without sign-in")
            } else {
                let visitor = try await preSession(app)
                let response = try await app.post(
                    path, form: rule.form + [("_csrf", visitor.csrf)], headers: visitor.headers)
                #expect(
                    ![.forbidden, .unauthorized].contains(response.status) && response.status.code < 500,
                    "\(key): public, so a visitor's post is answered (got \(response.status))")
            }
        case .staff:
            if method == .GET {
                let response = try await app.get(path)
                #expect(response.isRedirectToSignIn, "\(key): anonymous GET must redirect to /sign-in")
            } else {
                // A visitor with a genuine pre-session token gets past CSRF and meets the sign-in check.
                let visitor = try await preSession(app)
                let response = try await app.post(
                    path, form: rule.form + [("_csrf", visitor.csrf)], headers: visitor.headers)
                #expect(response.status == .unauthorized, "\(key): anonymous POST must get 401")
                let bare = try await app.post(path, form: rule.form)
                #expect(bare.status == .forbidden, "\(key): a POST with no cookie at all must get 403")
            }
        case .api:
            let response = try await app.send(method, path, headers: rule.jsonHeaders, body: rule.jsonBody)
            #expect(response.status == .unauthorized, "\(key): API without a token must get 401")
            #expect(response.isProblemJSON, "\(key): the 401 must be problem+json")
            // A signed-in browser's cookie is not a credential for the API.
            let session = try await signIn(app, email: rule.actor)
            var headers = rule.jsonHeaders
            headers.add(name: "Cookie", value: session.cookieHeader)
            let withCookie = try await app.send(method, path, headers: headers, body: rule.jsonBody)
            #expect(withCookie.status == .unauthorized, "\(key): a session cookie alone must get 401")
        case .publicAPI:
            let response = try await app.send(method, path, headers: rule.jsonHeaders, body: rule.jsonBody)
            #expect(response.status == .ok, "\(key): public API, so it answers without a token")
        case .operatorAddress:
            let response = try await app.get(path)
            #expect(response.status == .notFound, "\(key): answers only configured addresses; others get 404")
        case .machine:
            let response = try await app.send(method, path, headers: rule.jsonHeaders, body: rule.jsonBody)
            #expect(
                [.notFound, .unauthorized].contains(response.status),
                "\(key): without the caller's token, 404 (not configured) or 401 (got \(response.status))")
        case .applicant:
            // Without the draft cookie or the right link there is nothing to act on: back to the start, or 404.
            let visitor = try await preSession(app)
            let response =
                method == .GET
                ? try await app.get(path, headers: visitor.headers)
                : try await app.post(path, form: rule.form + [("_csrf", visitor.csrf)], headers: visitor.headers)
            #expect(
                [.seeOther, .notFound].contains(response.status),
                "\(key): with no application of their own a visitor is sent to the start or told it is not found (got \(response.status))"
            )
        }
    }

    private func checkOtherScope(
        _ app: Application, key: String, method: HTTPMethod, rule: RouteRule, fixture: Fixture
    ) async throws {
        switch rule.otherScope {
        case .notApplicable(let reason):
            #expect(!reason.isEmpty, "\(key): say why no other scope applies")
        case .notFound(let actor, let paths):
            for path in paths(fixture) {
                let response = try await request(app, rule: rule, method: method, path: path, as: actor)
                #expect(
                    response.status == .notFound, "\(key): \(actor) asking for \(path) in another scope must get 404")
                // Another scope's record must read exactly like one that does not exist.
                let nowhere = Counterpart.random(for: path)
                let missing = try await request(app, rule: rule, method: method, path: nowhere, as: actor)
                #expect(
                    missing.status == response.status,
                    "\(key): \(path) answered \(response.status) but the random \(nowhere) answered \(missing.status)")
                #expect(
                    Counterpart.normalised(missing.body.string) == Counterpart.normalised(response.body.string),
                    "\(key): another scope's \(path) must read exactly like the random \(nowhere)")
            }
        case .forbidden(let actor, let path):
            let response = try await request(app, rule: rule, method: method, path: path(fixture), as: actor)
            #expect(response.status == .forbidden, "\(key): \(actor) must get 403 (national administrators only)")
        case .excluded(let actor, let seer, let marker):
            let path = rule.path(fixture)
            let hidden = try await request(app, rule: rule, method: method, path: path, as: actor)
            #expect(hidden.status == .ok, "\(key): \(actor) may use the list")
            #expect(
                !hidden.body.string.contains(marker(fixture)),
                "\(key): \(actor) must not see another scope's record \(marker(fixture))")
            let shown = try await request(app, rule: rule, method: method, path: path, as: seer)
            #expect(
                shown.body.string.contains(marker(fixture)),
                "\(key): \(seer), whose scope holds it, must see \(marker(fixture)), or the check above proves nothing")
        case .leavesOthersAlone(let actor):
            let other = try await signIn(app, email: Demo.nadia)
            let response = try await request(app, rule: rule, method: method, path: rule.path(fixture), as: actor)
            #expect(response.status == .seeOther, "\(key): \(actor) acts on their own sessions")
            let still = try await app.get("/home", headers: other.headers)
            #expect(still.status == .ok, "\(key): another person's session must survive \(actor)'s request")
        }
    }

    private func checkCSRF(
        _ app: Application, key: String, method: HTTPMethod, rule: RouteRule, fixture: Fixture
    ) async throws {
        let path = rule.path(fixture)
        switch rule.access {
        case .publicAPI:
            Issue.record("\(key): a public API operation must have no side effects, so it cannot be state-changing")
        case .api:
            // Bearer tokens only: a browser's cookie and CSRF token do not reach the API at all.
            let session = try await signIn(app, email: rule.actor)
            var headers = rule.jsonHeaders
            headers.add(name: "Cookie", value: session.cookieHeader)
            headers.add(name: "X-CSRF-Token", value: session.csrf)
            let response = try await app.send(method, path, headers: headers, body: rule.jsonBody)
            #expect(response.status == .unauthorized, "\(key): cookie and CSRF token without a bearer token → 401")
        case .operatorAddress:
            Issue.record("\(key): an operator's read-only route cannot be state-changing")
        case .machine:
            // A signed-in browser's cookie and CSRF token are not the caller's token.
            let session = try await signIn(app, email: rule.actor)
            var headers = rule.jsonHeaders
            headers.add(name: "Cookie", value: session.cookieHeader)
            headers.add(name: "X-CSRF-Token", value: session.csrf)
            let response = try await app.send(method, path, headers: headers, body: rule.jsonBody)
            #expect([.notFound, .unauthorized].contains(response.status), "\(key): a session is not a credential")
        case .public, .applicant:
            let visitor = try await preSession(app)
            let other = try await preSession(app)
            try await expectCSRFRefusals(
                app, key: key, path: path, form: rule.form, cookie: visitor.headers, right: visitor.csrf,
                others: other.csrf)
            let control = try await app.post(
                path, form: rule.form + [("_csrf", visitor.csrf)], headers: visitor.headers)
            #expect(control.status != .forbidden, "\(key): with the right token the post is not refused")
        case .staff:
            let session = try await signIn(app, email: rule.actor)
            let other = try await signIn(app, email: rule.actor == Demo.uma ? Demo.tom : Demo.uma)
            try await expectCSRFRefusals(
                app, key: key, path: path, form: rule.form, cookie: session.headers, right: session.csrf,
                others: other.csrf)
            let control = try await app.post(
                path, form: rule.form + [("_csrf", session.csrf)], headers: session.headers)
            #expect(
                ![.forbidden, .unauthorized].contains(control.status),
                "\(key): \(rule.actor) with the right token is not refused (got \(control.status))")
        }
    }

    private func expectCSRFRefusals(
        _ app: Application, key: String, path: String, form: [(String, String)], cookie: HTTPHeaders, right: String,
        others: String
    ) async throws {
        #expect(others != right, "two sessions must not share a CSRF token")
        let missing = try await app.post(path, form: form, headers: cookie)
        #expect(missing.status == .forbidden, "\(key): a post without a CSRF token must get 403")
        let wrong = try await app.post(
            path, form: form + [("_csrf", String(repeating: "A", count: right.count))], headers: cookie)
        #expect(wrong.status == .forbidden, "\(key): a post with a wrong CSRF token must get 403")
        let borrowed = try await app.post(path, form: form + [("_csrf", others)], headers: cookie)
        #expect(borrowed.status == .forbidden, "\(key): another session's CSRF token must get 403")
    }

    /// Sends the route's request as `email`: with a session and its CSRF token for pages, a bearer token for the API.
    private func request(
        _ app: Application, rule: RouteRule, method: HTTPMethod, path: String, as email: String
    ) async throws -> TestingHTTPResponse {
        switch rule.access {
        case .api:
            var headers = rule.jsonHeaders
            let token = try await apiToken(app, email: email)
            headers.add(name: .authorization, value: "Bearer \(token)")
            return try await app.send(method, path, headers: headers, body: rule.jsonBody)
        case .publicAPI:
            return try await app.send(method, path, headers: rule.jsonHeaders, body: rule.jsonBody)
        case .operatorAddress:
            return try await app.get(path)
        case .machine:
            return try await app.send(method, path, headers: rule.jsonHeaders, body: rule.jsonBody)
        case .public, .staff, .applicant:
            let session = try await signIn(app, email: email)
            if method == .GET { return try await app.get(path, headers: session.headers) }
            return try await app.post(path, form: rule.form + [("_csrf", session.csrf)], headers: session.headers)
        }
    }
}

/// A record that does not exist, in the place of another scope's record, and answers compared without what
/// differs between any two requests (ids, CSRF tokens).
enum Counterpart {
    static func random(for path: String) -> String {
        var result = path
        for match in path.matches(of: uuid) {
            result = result.replacingOccurrences(of: String(path[match.range]), with: lower(UUID()))
        }
        result = result.replacing(reference) { _ in "APP-\(digits(4))-\(digits(4))" }
        result = result.replacing(ods) { _ in "/organisations/ZZ\(digits(3))" }
        return result
    }

    static func normalised(_ body: String) -> String {
        body.replacing(uuid, with: "<id>")
            .replacing(reference, with: "<reference>")
            .replacing(/name="_csrf" value="[^"]*"/, with: "<csrf>")
            .replacing(/content="[A-Za-z0-9_-]{20,}"/, with: "<token>")
    }

    private static var uuid: Regex<Substring> {
        /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/
    }
    private static var reference: Regex<Substring> { /APP-[0-9A-Z]{4}-[0-9A-Z]{4}/ }
    private static var ods: Regex<Substring> { /\/organisations\/[A-Z0-9]{3,6}$/ }

    private static func digits(_ count: Int) -> String {
        String((0..<count).map { _ in "23456789".randomElement()! })
    }
}

// MARK: - The table

/// Records of the demo data that the table's paths point at.
struct Fixture: Sendable {
    /// St James's, a site of Liam's trust.
    let rr801: UUID
    /// Wythenshawe, a site of the Manchester trust, which no account belongs to.
    let r0a07: UUID
    /// The Manchester trust: another scope for Liam.
    let r0a: UUID
    /// Uma, a user at RR801 (Liam's scope), holding an organisation administrator grant made here.
    let uma: UUID
    let umaGrant: UUID
    /// Mia, Local Administrator of the Manchester trust, and her grant.
    let mia: UUID
    let miaGrant: UUID
    /// A live session of another person (Nadia).
    let othersSession: UUID
    /// A submitted optometrist application in North East and Yorkshire: Rachel's region, not Grace's.
    let application: UUID
    let applicationReference: String
    /// A shared mailbox at one of Chloe's pharmacies, owned by Chloe, with Uma as a member.
    let mailbox: UUID
    /// A valid pharmacy registration sheet Sam (super user of FHQ01) uploaded: Priya's team applies it.
    let upload: UUID
    /// St Ann's Hospice's migration project (Mia's trust administers it), assigned to Isaac, with a scanned
    /// batch holding an infected item.
    let project: UUID
    let batch: UUID
    let infected: UUID

    static func load(_ app: Application) async throws -> Fixture {
        let uma = try await accountID(app, email: Demo.uma)
        let grant = RoleGrant(
            accountID: uma, role: .organisationAdmin, organisationID: try await organisationID(app, ods: "RR801"),
            region: nil, grantedBy: nil, now: app.clock.now())
        try await grant.save(on: app.db)
        let miaGrant = try #require(try await grants(app, email: Demo.mia).first?.id)
        _ = try await signIn(app, email: Demo.nadia)
        let nadia = try await accountID(app, email: Demo.nadia)
        let session = try await UserSession.query(on: app.db).filter(\.$account.$id == nadia).first()
        let application = UUID()
        let reference = "APP-ROUT-E234"
        try await (app.db as! any SQLDatabase).insert(into: "applications")
            .columns(
                "id", "reference", "kind", "state", "applicant_email", "code_attempts", "answers", "region",
                "organisation_id", "submitted_at", "created_at", "updated_at"
            )
            .values(
                SQLBind(application), SQLBind(reference), SQLBind("optometrist"), SQLBind("submitted"),
                SQLBind("route@example.org"), SQLBind(0), SQLBind("{}"), SQLBind("north_east_and_yorkshire"),
                SQLBind(try await organisationID(app, ods: "TP004")), SQLBind(app.clock.now()),
                SQLBind(app.clock.now()),
                SQLBind(app.clock.now())
            )
            .run()
        let database = app.db as! any SQLDatabase
        let chloe = try #require(
            try await AccountStore.summary(try await accountID(app, email: Demo.chloe), on: database))
        let umaSummary = try #require(try await AccountStore.summary(uma, on: database))
        let settings = app.settings
        let now = app.clock.now()
        let pharmacy = try await organisationID(app, ods: "FA010")
        let mailbox = try await app.db.transaction { db in
            let sql = db as! any SQLDatabase
            let id = try await SharedMailboxes.create(
                organisation: pharmacy, localPart: "wetherby.pharmacy", name: "Team", owner: chloe, createdBy: nil,
                settings: settings, context: .system, now: now, on: sql)
            try await SharedMailboxes.setMember(
                id, account: umaSummary, rights: .init(fullAccess: true, sendAs: false, owner: false), context: .system,
                now: now, on: sql)
            return id
        }
        let sam = try #require(
            try await PrincipalLoader.load(
                accountID: try await accountID(app, email: samKhan), sessionID: nil, on: database))
        let sheet = pharmacyCSV(stores: storeRows(1), users: userRows(1, stores: 1))
        let upload = try await app.db.transaction { db in
            try await BulkUploads.receive(
                Array(sheet.utf8), filename: "route.csv", kind: .pharmacyMultiple, principal: sam, settings: settings,
                context: .system, now: now, on: db as! any SQLDatabase
            ).id
        }
        let (project, batch, infected) = try await migrationFixture(app)
        return Fixture(
            rr801: try await organisationID(app, ods: "RR801"), r0a07: try await organisationID(app, ods: "R0A07"),
            r0a: try await organisationID(app, ods: "R0A"), uma: uma, umaGrant: try grant.requireID(),
            mia: try await accountID(app, email: Demo.mia), miaGrant: miaGrant,
            othersSession: try #require(session?.id), application: application, applicationReference: reference,
            mailbox: mailbox, upload: upload, project: project, batch: batch, infected: infected)
    }
}

func lower(_ id: UUID) -> String { id.uuidString.lowercased() }

enum Access: Sendable {
    /// Open to everyone.
    case `public`
    /// Pages behind sign-in.
    case staff
    /// The API, with bearer tokens.
    case api
    /// An API operation open to everyone, without side effects (no cookie, so no CSRF to check).
    case publicAPI
    /// An applicant's page: reached with the draft's cookie or the emailed link, never by signing in.
    case applicant
    /// Operators' figures, answered only to configured client addresses (LiveServerTests.metrics).
    case operatorAddress
    /// Called by another service with its own bearer token (GOV.UK Notify's receipts): no session, no CSRF.
    case machine
}

enum OtherScope: Sendable {
    /// Nothing here belongs to another scope; the reason says why.
    case notApplicable(String)
    /// `actor` asking for these paths, records of another scope, gets 404.
    case notFound(actor: String, paths: @Sendable (Fixture) -> [String])
    /// National administrators only: `actor`, a Local Administrator, gets 403 at the route before any record
    /// is read (the path names another scope's record all the same).
    case forbidden(actor: String, path: @Sendable (Fixture) -> String)
    /// A list: `actor` does not see `marker`, a link to another scope's record, and `seer` (whose scope holds
    /// it) does.
    case excluded(actor: String, seer: String, marker: @Sendable (Fixture) -> String)
    /// `actor` acts on their own sessions only: another person's session survives.
    case leavesOthersAlone(actor: String)
}

struct RouteRule: Sendable {
    let access: Access
    /// Who is allowed here: signs in for the CSRF cases.
    var actor: String = Demo.liam
    /// A concrete path inside the actor's own scope.
    let path: @Sendable (Fixture) -> String
    let otherScope: OtherScope
    let stateChanging: Bool
    /// Form fields a post sends besides `_csrf`.
    var form: [(String, String)] = []
    /// A JSON body for API posts.
    var json: String?

    var jsonBody: ByteBuffer? { json.map { ByteBuffer(string: $0) } }
    var jsonHeaders: HTTPHeaders { json == nil ? [:] : ["Content-Type": "application/json"] }
}

enum RouteTable {
    static func key(_ route: Route) -> String {
        "\(route.method.rawValue) /" + route.path.map(\.description).joined(separator: "/")
    }

    static let publicNote = "public: shows no record of any scope"
    static let directoryNote =
        "the national directory: every signed-in person sees every listed entry, and nothing unlisted; DirectoryTests"

    /// A complete optometrist application for a Leeds practice (North East and Yorkshire).
    static let optometristJSON = """
        {"kind":"optometrist","applicantEmail":"api@wetherbyvision.co.uk","answers":{"applicantName":"Ada Lovelace",
        "applicantRole":"Optometrist","mobile":"07700 900123","odsCode":"TP004","practiceName":"Wetherby Vision Centre",
        "postcode":"LS22 6DD","region":"north_east_and_yorkshire","registrationNumber":"01-12345",
        "exchangesPatientInformation":"regular","usesOtherPubliclyFundedEmail":"no","wantsSharedMailbox":"no"}}
        """

    /// An applicant's page: the draft cookie (or the emailed link's token) is the only key, so there is no
    /// other scope to reach; ApplicationTests walks the real journeys.
    /// A page about the signed-in person's own account.
    static func ownRule(_ path: String, stateChanging: Bool, form: [(String, String)] = []) -> RouteRule {
        RouteRule(
            access: .staff, actor: Demo.uma, path: { _ in path },
            otherScope: .notApplicable("acts on the signed-in person's own account only"), stateChanging: stateChanging,
            form: form)
    }

    /// A sign-in step: reached only part-way through signing in; anyone else is sent back to /sign-in.
    static func signingInRule(_ path: String, stateChanging: Bool) -> RouteRule {
        RouteRule(
            access: .applicant, path: { _ in path },
            otherScope: .notApplicable("acts only on the visitor's own part-finished sign-in"),
            stateChanging: stateChanging, form: [("code", "123456")])
    }

    static func applicantRule(
        path: String? = nil, stateChanging: Bool, track: String? = nil, form: [(String, String)] = []
    ) -> RouteRule {
        let fixed = path
        let suffix = track
        return RouteRule(
            access: .applicant,
            path: { _ in
                if let suffix { return "/track/\(String(repeating: "b", count: 43))\(suffix)" }
                return fixed ?? "/apply/check"
            },
            otherScope: .notApplicable("an applicant reaches only the application their cookie or link names"),
            stateChanging: stateChanging, form: form)
    }
    static let national = Demo.nadia

    /// Every route, keyed "METHOD /path/pattern".
    static let rules: [String: RouteRule] = [
        // Public
        "GET /health": RouteRule(
            access: .public, path: { _ in "/health" }, otherScope: .notApplicable(publicNote), stateChanging: false),
        "POST /notify/delivery-receipts": RouteRule(
            access: .machine, path: { _ in "/notify/delivery-receipts" },
            otherScope: .notApplicable("records a receipt on the message Notify names; DeliveryReceiptTests"),
            stateChanging: true, json: #"{"id":"x","status":"delivered"}"#),
        "POST /internal/mail/auth": RouteRule(
            access: .machine, path: { _ in "/internal/mail/auth" },
            otherScope: .notApplicable("the mail server's login check; the secret is its credential; MailServerTests"),
            stateChanging: true, json: #"{"user":"uma.singh@nhs.net","password":"x"}"#),
        "POST /internal/mail/user": RouteRule(
            access: .machine, path: { _ in "/internal/mail/user" },
            otherScope: .notApplicable(
                "the mail server's mailbox lookup; the secret is its credential; MailServerTests"),
            stateChanging: true, json: #"{"user":"uma.singh@nhs.net"}"#),
        "GET /metrics": RouteRule(
            access: .operatorAddress, path: { _ in "/metrics" },
            otherScope: .notApplicable("service-wide counts only; no record of any scope"), stateChanging: false),
        "GET /": RouteRule(
            access: .public, path: { _ in "/" }, otherScope: .notApplicable(publicNote), stateChanging: false),
        "GET /join": RouteRule(
            access: .public, path: { _ in "/join?applicantType=dentist&country=england&odsCode=V0002" },
            otherScope: .notApplicable("public: tells an applicant about the organisation they name, nothing more"),
            stateChanging: false),
        "GET /sign-in": RouteRule(
            access: .public, path: { _ in "/sign-in" }, otherScope: .notApplicable(publicNote), stateChanging: false),
        "POST /sign-in": RouteRule(
            access: .public, path: { _ in "/sign-in" }, otherScope: .notApplicable(publicNote), stateChanging: true,
            form: [("email", "nobody@nhs.net"), ("password", "not-a-password")]),
        "GET /api/v1/openapi.yaml": RouteRule(
            access: .public, path: { _ in "/api/v1/openapi.yaml" }, otherScope: .notApplicable(publicNote),
            stateChanging: false),

        // Everyone signed in
        "POST /sign-out": RouteRule(
            access: .staff, path: { _ in "/sign-out" }, otherScope: .leavesOthersAlone(actor: Demo.liam),
            stateChanging: true),
        "GET /home": RouteRule(
            access: .staff, path: { _ in "/home" },
            otherScope: .notApplicable("shows only the caller's own roles and guidance"), stateChanging: false),
        "GET /account/sessions": RouteRule(
            access: .staff, path: { _ in "/account/sessions" },
            otherScope: .excluded(
                actor: Demo.liam, seer: Demo.nadia, marker: { "/account/sessions/\(lower($0.othersSession))/end" }),
            stateChanging: false),
        "POST /account/sessions/end-all": RouteRule(
            access: .staff, path: { _ in "/account/sessions/end-all" },
            otherScope: .leavesOthersAlone(actor: Demo.liam), stateChanging: true),
        "POST /account/sessions/:id/end": RouteRule(
            access: .staff, path: { _ in "/account/sessions/\(lower(UUID()))/end" },
            otherScope: .notFound(actor: Demo.liam, paths: { ["/account/sessions/\(lower($0.othersSession))/end"] }),
            stateChanging: true),

        // Organisations
        "GET /organisations": RouteRule(
            access: .staff, path: { _ in "/organisations" },
            otherScope: .excluded(actor: Demo.liam, seer: Demo.mia, marker: { "/organisations/\(lower($0.r0a))\"" }),
            stateChanging: false),
        "GET /organisations/:id": RouteRule(
            access: .staff, path: { "/organisations/\(lower($0.rr801))" },
            otherScope: .notFound(
                actor: Demo.liam, paths: { ["/organisations/\(lower($0.r0a))", "/organisations/\(lower(UUID()))"] }),
            stateChanging: false),
        "GET /organisations/new": RouteRule(
            access: .staff, actor: national, path: { _ in "/organisations/new" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/organisations/new" }), stateChanging: false),
        "POST /organisations/new": RouteRule(
            access: .staff, actor: national, path: { _ in "/organisations/new" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/organisations/new" }), stateChanging: true,
            form: [("name", "Route walker trust"), ("type", "nhs_trust"), ("country", "england")]),
        "GET /organisations/import": RouteRule(
            access: .staff, actor: national, path: { _ in "/organisations/import" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/organisations/import" }), stateChanging: false),
        "POST /organisations/import": RouteRule(
            access: .staff, actor: national, path: { _ in "/organisations/import" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/organisations/import" }), stateChanging: true),
        "GET /organisations/:id/mailbox-size": RouteRule(
            access: .staff, actor: national, path: { "/organisations/\(lower($0.r0a07))/mailbox-size" },
            otherScope: .forbidden(actor: Demo.liam, path: { "/organisations/\(lower($0.r0a))/mailbox-size" }),
            stateChanging: false),
        "POST /organisations/:id/mailbox-size": RouteRule(
            access: .staff, actor: national, path: { "/organisations/\(lower($0.r0a07))/mailbox-size" },
            otherScope: .forbidden(actor: Demo.liam, path: { "/organisations/\(lower($0.r0a))/mailbox-size" }),
            stateChanging: true, form: [("size", "8")]),
        "GET /organisations/:id/edit": RouteRule(
            access: .staff, actor: national, path: { "/organisations/\(lower($0.r0a07))/edit" },
            otherScope: .forbidden(actor: Demo.liam, path: { "/organisations/\(lower($0.r0a))/edit" }),
            stateChanging: false),
        "POST /organisations/:id/edit": RouteRule(
            access: .staff, actor: national, path: { "/organisations/\(lower($0.r0a07))/edit" },
            otherScope: .forbidden(actor: Demo.liam, path: { "/organisations/\(lower($0.r0a))/edit" }),
            stateChanging: true,
            form: [("name", "Wythenshawe Hospital"), ("type", "trust_site"), ("country", "england")]),
        "GET /organisations/:id/close": RouteRule(
            access: .staff, actor: national, path: { "/organisations/\(lower($0.r0a07))/close" },
            otherScope: .forbidden(actor: Demo.liam, path: { "/organisations/\(lower($0.r0a))/close" }),
            stateChanging: false),
        "POST /organisations/:id/close": RouteRule(
            access: .staff, actor: national, path: { "/organisations/\(lower($0.r0a07))/close" },
            otherScope: .forbidden(actor: Demo.liam, path: { "/organisations/\(lower($0.r0a))/close" }),
            stateChanging: true),
        "GET /organisations/:id/merge": RouteRule(
            access: .staff, actor: national, path: { "/organisations/\(lower($0.r0a07))/merge" },
            otherScope: .forbidden(actor: Demo.liam, path: { "/organisations/\(lower($0.r0a))/merge" }),
            stateChanging: false),
        "POST /organisations/:id/merge": RouteRule(
            access: .staff, actor: national, path: { "/organisations/\(lower($0.r0a07))/merge" },
            otherScope: .forbidden(actor: Demo.liam, path: { "/organisations/\(lower($0.r0a))/merge" }),
            stateChanging: true, form: [("successorOds", "R0A02")]),

        // People and roles
        "GET /people": RouteRule(
            access: .staff, path: { _ in "/people" },
            otherScope: .excluded(actor: Demo.liam, seer: Demo.mia, marker: { "/people/\(lower($0.mia))\"" }),
            stateChanging: false),
        "GET /people/:id": RouteRule(
            access: .staff, path: { "/people/\(lower($0.uma))" },
            otherScope: .notFound(actor: Demo.liam, paths: { ["/people/\(lower($0.mia))"] }), stateChanging: false),
        "POST /people/:id/roles": RouteRule(
            access: .staff, path: { "/people/\(lower($0.uma))/roles" },
            otherScope: .notFound(actor: Demo.liam, paths: { ["/people/\(lower($0.mia))/roles"] }),
            stateChanging: true, form: [("role", "organisation_admin"), ("organisationOds", "RR8")]),
        "POST /people/:id/roles/:grant/revoke": RouteRule(
            access: .staff, path: { "/people/\(lower($0.uma))/roles/\(lower($0.umaGrant))/revoke" },
            otherScope: .notFound(
                actor: Demo.liam,
                paths: {
                    [
                        "/people/\(lower($0.mia))/roles/\(lower($0.miaGrant))/revoke",
                        // Someone in scope, with a grant id that is not theirs.
                        "/people/\(lower($0.uma))/roles/\(lower($0.miaGrant))/revoke",
                    ]
                }),
            stateChanging: true),

        // Applying and tracking
        "GET /apply/:kind": RouteRule(
            access: .public, path: { _ in "/apply/optometrist" }, otherScope: .notApplicable(publicNote),
            stateChanging: false),
        "POST /apply/:kind": RouteRule(
            access: .public, path: { _ in "/apply/optometrist" },
            otherScope: .notApplicable("starts a new draft of the visitor's own; shows no other record"),
            stateChanging: true, form: [("email", "")]),
        "GET /apply/verify": applicantRule(path: "/apply/verify", stateChanging: false),
        "POST /apply/verify": applicantRule(path: "/apply/verify", stateChanging: true, form: [("code", "123456")]),
        "POST /apply/verify/new-code": applicantRule(path: "/apply/verify/new-code", stateChanging: true),
        "GET /apply/questions/:step": applicantRule(path: "/apply/questions/contact", stateChanging: false),
        "POST /apply/questions/:step": applicantRule(path: "/apply/questions/contact", stateChanging: true),
        "GET /apply/check": applicantRule(stateChanging: false),
        "POST /apply/check": applicantRule(stateChanging: true),
        "POST /apply/withdraw": applicantRule(path: "/apply/withdraw", stateChanging: true),
        "GET /apply/confirmation": applicantRule(path: "/apply/confirmation", stateChanging: false),
        "GET /track/:token": RouteRule(
            access: .public, path: { _ in "/track/\(String(repeating: "a", count: 43))" },
            otherScope: .notApplicable("shows only a button: the same page for every link, real or not"),
            stateChanging: false),
        "POST /track/:token": applicantRule(stateChanging: true, track: ""),
        "POST /track/:token/reply": applicantRule(stateChanging: true, track: "/reply", form: [("reason", "Weekly")]),
        "POST /track/:token/withdraw": applicantRule(stateChanging: true, track: "/withdraw"),
        "POST /track/:token/resume": applicantRule(stateChanging: true, track: "/resume"),
        // Sign-in steps: without a part-finished sign-in, each sends the visitor back to /sign-in.
        "GET /sign-in/continue": signingInRule("/sign-in/continue", stateChanging: false),
        "GET /sign-in/security-code": signingInRule("/sign-in/security-code", stateChanging: false),
        "POST /sign-in/security-code": signingInRule("/sign-in/security-code", stateChanging: true),
        "POST /sign-in/security-code/new-code": signingInRule("/sign-in/security-code/new-code", stateChanging: true),
        "GET /sign-in/acceptable-use": signingInRule("/sign-in/acceptable-use", stateChanging: false),
        "POST /sign-in/acceptable-use": signingInRule("/sign-in/acceptable-use", stateChanging: true),
        "GET /sign-in/new-password": signingInRule("/sign-in/new-password", stateChanging: false),
        "POST /sign-in/new-password": signingInRule("/sign-in/new-password", stateChanging: true),
        "GET /sign-in/authenticator": signingInRule("/sign-in/authenticator", stateChanging: false),
        "POST /sign-in/authenticator": signingInRule("/sign-in/authenticator", stateChanging: true),
        "GET /sign-in/authenticator/set-up": signingInRule("/sign-in/authenticator/set-up", stateChanging: false),
        "POST /sign-in/authenticator/set-up": signingInRule("/sign-in/authenticator/set-up", stateChanging: true),
        "GET /sign-in/forgotten-password": RouteRule(
            access: .public, path: { _ in "/sign-in/forgotten-password" }, otherScope: .notApplicable(publicNote),
            stateChanging: false),
        "POST /sign-in/forgotten-password": RouteRule(
            access: .public, path: { _ in "/sign-in/forgotten-password" },
            otherScope: .notApplicable("the same answer for every address: it shows no record"), stateChanging: true,
            form: [("address", Demo.uma)]),
        "POST /sign-in/forgotten-password/code": RouteRule(
            access: .public, path: { _ in "/sign-in/forgotten-password/code" },
            otherScope: .notApplicable("acts only for whoever holds the code texted to the account's phone"),
            stateChanging: true, form: [("address", Demo.uma), ("code", "123456")]),
        "GET /account/authenticator": ownRule("/account/authenticator", stateChanging: false),
        "GET /account/mailbox": ownRule("/account/mailbox", stateChanging: false),
        "GET /account/directory-details": ownRule("/account/directory-details", stateChanging: false),
        "POST /account/directory-details": ownRule(
            "/account/directory-details", stateChanging: true, form: [("jobTitle", "Staff nurse")]),
        "GET /directory": RouteRule(
            access: .staff, actor: Demo.uma, path: { _ in "/directory?q=walker" },
            otherScope: .notApplicable(directoryNote), stateChanging: false),
        "GET /directory/people/:id": RouteRule(
            access: .staff, actor: Demo.uma, path: { "/directory/people/\(lower($0.mia))" },
            otherScope: .notApplicable(directoryNote), stateChanging: false),
        "GET /directory/organisations/:id": RouteRule(
            access: .staff, actor: Demo.uma, path: { "/directory/organisations/\(lower($0.r0a))" },
            otherScope: .notApplicable(directoryNote), stateChanging: false),
        "GET /directory/shared-mailboxes/:id": RouteRule(
            access: .staff, actor: Demo.uma, path: { "/directory/shared-mailboxes/\(lower($0.mailbox))" },
            otherScope: .notApplicable(directoryNote), stateChanging: false),
        "GET /directory/organisations/:id/people.csv": RouteRule(
            access: .staff, path: { "/directory/organisations/\(lower($0.rr801))/people.csv" },
            otherScope: .notFound(
                actor: Demo.liam, paths: { ["/directory/organisations/\(lower($0.r0a))/people.csv"] }),
            stateChanging: false),
        "GET /accounts/:id/directory-details": RouteRule(
            access: .staff, path: { "/accounts/\(lower($0.uma))/directory-details" },
            otherScope: .notFound(actor: Demo.liam, paths: { ["/accounts/\(lower($0.mia))/directory-details"] }),
            stateChanging: false),
        "POST /accounts/:id/directory-details": RouteRule(
            access: .staff, path: { "/accounts/\(lower($0.uma))/directory-details" },
            otherScope: .notFound(actor: Demo.liam, paths: { ["/accounts/\(lower($0.mia))/directory-details"] }),
            stateChanging: true, form: [("jobTitle", "Ward clerk")]),
        "POST /account/authenticator": ownRule("/account/authenticator", stateChanging: true),
        "GET /account/mobile": ownRule("/account/mobile", stateChanging: false),
        "POST /account/mobile": ownRule("/account/mobile", stateChanging: true, form: [("mobile", "07700 900765")]),
        "POST /account/mobile/code": ownRule("/account/mobile/code", stateChanging: true, form: [("code", "123456")]),
        "GET /welcome": RouteRule(
            access: .staff, path: { _ in "/welcome" },
            otherScope: .notApplicable("shows the signed-in person's own address only"), stateChanging: false),
        "GET /dev/outbox": RouteRule(
            access: .staff, path: { _ in "/dev/outbox" },
            otherScope: .notApplicable("development only: the sink that stands in for phones and inboxes"),
            stateChanging: false),

        // Bulk registration
        "GET /bulk": RouteRule(
            access: .staff, actor: samKhan, path: { _ in "/bulk" },
            otherScope: .excluded(actor: Demo.chloe, seer: samKhan, marker: { "/bulk/\(lower($0.upload))\"" }),
            stateChanging: false),
        "GET /bulk/templates/:file": RouteRule(
            access: .staff, actor: samKhan, path: { _ in "/bulk/templates/pharmacy-multiple-template.csv" },
            otherScope: .notApplicable("a blank template with an example row"), stateChanging: false),
        "GET /bulk/agreement": RouteRule(
            access: .staff, actor: samKhan, path: { _ in "/bulk/agreement" },
            otherScope: .notApplicable("the actor's own head office only"), stateChanging: false),
        "POST /bulk/agreement": RouteRule(
            access: .staff, actor: samKhan, path: { _ in "/bulk/agreement" },
            otherScope: .notApplicable("the actor's own head office only"), stateChanging: true,
            form: [("agree", "yes")]),
        "GET /bulk/new": RouteRule(
            access: .staff, actor: samKhan, path: { _ in "/bulk/new" },
            otherScope: .notApplicable("a blank form"), stateChanging: false),
        "POST /bulk/new": RouteRule(
            access: .staff, actor: samKhan, path: { _ in "/bulk/new" },
            otherScope: .notApplicable("rows are checked against the uploader's own head office (BulkTests)"),
            stateChanging: true),
        "GET /bulk/:id": RouteRule(
            access: .staff, actor: Demo.priya, path: { "/bulk/\(lower($0.upload))" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/bulk/\(lower($0.upload))"] }), stateChanging: false),
        "POST /bulk/:id/apply": RouteRule(
            access: .staff, actor: Demo.priya, path: { "/bulk/\(lower($0.upload))/apply" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/bulk/\(lower($0.upload))/apply"] }),
            stateChanging: true, form: [("method", "assisted")]),
        "GET /bulk/:id/progress": RouteRule(
            access: .staff, actor: Demo.priya, path: { "/bulk/\(lower($0.upload))/progress" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/bulk/\(lower($0.upload))/progress"] }),
            stateChanging: false),
        "GET /bulk/:id/report": RouteRule(
            access: .staff, actor: Demo.priya, path: { "/bulk/\(lower($0.upload))/report" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/bulk/\(lower($0.upload))/report"] }),
            stateChanging: false),
        "GET /bulk/:id/results": RouteRule(
            access: .staff, actor: Demo.priya, path: { "/bulk/\(lower($0.upload))/results" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/bulk/\(lower($0.upload))/results"] }),
            stateChanging: false),
        "GET /api/v1/bulk-templates/:kind": RouteRule(
            access: .api, actor: samKhan, path: { _ in "/api/v1/bulk-templates/accounts?format=xlsx" },
            otherScope: .notApplicable("a blank template"), stateChanging: false),
        "POST /api/v1/bulk-uploads": RouteRule(
            access: .api, actor: samKhan, path: { _ in "/api/v1/bulk-uploads" },
            otherScope: .notApplicable("rows are checked against the uploader's own head office (BulkTests)"),
            stateChanging: true),
        "GET /api/v1/bulk-uploads/:id": RouteRule(
            access: .api, actor: Demo.priya, path: { "/api/v1/bulk-uploads/\(lower($0.upload))" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/api/v1/bulk-uploads/\(lower($0.upload))"] }),
            stateChanging: false),
        "POST /api/v1/bulk-uploads/:id/apply": RouteRule(
            access: .api, actor: Demo.priya, path: { "/api/v1/bulk-uploads/\(lower($0.upload))/apply" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/api/v1/bulk-uploads/\(lower($0.upload))/apply"] }),
            stateChanging: true, json: #"{"method":"assisted"}"#),
        "GET /api/v1/bulk-uploads/:id/results": RouteRule(
            access: .api, actor: Demo.priya, path: { "/api/v1/bulk-uploads/\(lower($0.upload))/results" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/api/v1/bulk-uploads/\(lower($0.upload))/results"] }),
            stateChanging: false),

        // Migration projects
        "GET /migration": RouteRule(
            access: .staff, actor: Demo.isaac, path: { _ in "/migration" },
            otherScope: .excluded(actor: Demo.chloe, seer: Demo.isaac, marker: { lower($0.project) }),
            stateChanging: false),
        "GET /migration/new": RouteRule(
            access: .staff, actor: Demo.isaac, path: { _ in "/migration/new" },
            otherScope: .notApplicable("a blank form"), stateChanging: false),
        "POST /migration/new": RouteRule(
            access: .staff, actor: Demo.isaac, path: { _ in "/migration/new" },
            otherScope: .notApplicable("the organisation is looked up in the caller's scope (MigrationTests)"),
            stateChanging: true, form: [("organisation", "R0A02")]),
        "GET /migration/:id": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))"] }),
            stateChanging: false),
        "POST /migration/:id/ism": RouteRule(
            access: .staff, actor: Demo.mia, path: { "/migration/\(lower($0.project))/ism" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/ism"] }),
            stateChanging: true),
        "GET /migration/:id/option": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/option" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/option"] }),
            stateChanging: false),
        "POST /migration/:id/option": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/option" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/option"] }),
            stateChanging: true),
        "GET /migration/:id/initiation": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/initiation" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/initiation"] }),
            stateChanging: false),
        "POST /migration/:id/initiation": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/initiation" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/initiation"] }),
            stateChanging: true),
        "GET /migration/:id/go-live": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/go-live" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/go-live"] }),
            stateChanging: false),
        "POST /migration/:id/go-live": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/go-live" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/go-live"] }),
            stateChanging: true),
        "GET /migration/:id/plan": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/plan" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/plan"] }),
            stateChanging: false),
        "GET /migration/:id/plan.csv": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/plan.csv" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/plan.csv"] }),
            stateChanging: false),
        "GET /migration/:id/tasks/:key": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/tasks/initiate" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/tasks/initiate"] }),
            stateChanging: false),
        "POST /migration/:id/tasks/:key": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/tasks/initiate" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/tasks/initiate"] }),
            stateChanging: true),
        "GET /migration/:id/checklist": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/checklist" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/checklist"] }),
            stateChanging: false),
        "GET /migration/:id/checklist/:key": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/checklist/pid-agreed" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/checklist/pid-agreed"] }),
            stateChanging: false),
        "POST /migration/:id/checklist/:key": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/checklist/pid-agreed" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/checklist/pid-agreed"] }),
            stateChanging: true),
        "GET /migration/:id/confirm": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/confirm" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/confirm"] }),
            stateChanging: false),
        "POST /migration/:id/confirm": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/confirm" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/confirm"] }),
            stateChanging: true),
        "GET /migration/:id/transfers": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/transfers" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/transfers"] }),
            stateChanging: false),
        "POST /migration/:id/transfers": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/transfers" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/transfers"] }),
            stateChanging: true),
        "GET /migration/:id/transfers/:batch": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/transfers/\(lower($0.batch))" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/transfers/\(lower($0.batch))"] }),
            stateChanging: false),
        "GET /migration/:id/transfers/:batch/progress": RouteRule(
            access: .staff, actor: Demo.isaac,
            path: { "/migration/\(lower($0.project))/transfers/\(lower($0.batch))/progress" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/transfers/\(lower($0.batch))/progress"] }),
            stateChanging: false),
        "GET /migration/:id/items/:item": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/items/\(lower($0.infected))" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/items/\(lower($0.infected))"] }),
            stateChanging: false),
        "POST /migration/:id/items/:item": RouteRule(
            access: .staff, actor: Demo.isaac, path: { "/migration/\(lower($0.project))/items/\(lower($0.infected))" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/items/\(lower($0.infected))"] }),
            stateChanging: true),
        "GET /migration/:id/items/:item/content": RouteRule(
            access: .staff, actor: Demo.isaac,
            path: { "/migration/\(lower($0.project))/items/\(lower($0.infected))/content" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/migration/\(lower($0.project))/items/\(lower($0.infected))/content"] }),
            stateChanging: false),
        "GET /api/v1/migration-projects": RouteRule(
            access: .api, actor: Demo.isaac, path: { _ in "/api/v1/migration-projects" },
            otherScope: .excluded(actor: Demo.chloe, seer: Demo.isaac, marker: { lower($0.project) }),
            stateChanging: false),
        "POST /api/v1/migration-projects": RouteRule(
            access: .api, actor: Demo.isaac, path: { _ in "/api/v1/migration-projects" },
            otherScope: .notApplicable("the organisation is looked up in the caller's scope (MigrationTests)"),
            stateChanging: true, json: #"{"organisation":"R0A02"}"#),
        "GET /api/v1/migration-projects/:id": RouteRule(
            access: .api, actor: Demo.isaac, path: { "/api/v1/migration-projects/\(lower($0.project))" },
            otherScope: .notFound(actor: Demo.chloe, paths: { ["/api/v1/migration-projects/\(lower($0.project))"] }),
            stateChanging: false),
        "PUT /api/v1/migration-projects/:id/option": RouteRule(
            access: .api, actor: Demo.isaac, path: { "/api/v1/migration-projects/\(lower($0.project))/option" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/api/v1/migration-projects/\(lower($0.project))/option"] }),
            stateChanging: true, json: #"{"option":"managed","reason":"No IT team of its own"}"#),
        "PUT /api/v1/migration-projects/:id/initiation": RouteRule(
            access: .api, actor: Demo.isaac, path: { "/api/v1/migration-projects/\(lower($0.project))/initiation" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/api/v1/migration-projects/\(lower($0.project))/initiation"] }),
            stateChanging: true, json: #"{"mailboxCount":12}"#),
        "PUT /api/v1/migration-projects/:id/go-live": RouteRule(
            access: .api, actor: Demo.isaac, path: { "/api/v1/migration-projects/\(lower($0.project))/go-live" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/api/v1/migration-projects/\(lower($0.project))/go-live"] }),
            stateChanging: true, json: #"{"date":"2027-06-30"}"#),
        "GET /api/v1/migration-projects/:id/plan": RouteRule(
            access: .api, actor: Demo.isaac, path: { "/api/v1/migration-projects/\(lower($0.project))/plan" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/api/v1/migration-projects/\(lower($0.project))/plan"] }),
            stateChanging: false),
        "POST /api/v1/migration-projects/:id/tasks/:key/done": RouteRule(
            access: .api, actor: Demo.isaac,
            path: { "/api/v1/migration-projects/\(lower($0.project))/tasks/initiate/done" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/api/v1/migration-projects/\(lower($0.project))/tasks/initiate/done"] }),
            stateChanging: true, json: #"{"evidence":"Signed"}"#),
        "POST /api/v1/migration-projects/:id/checklist/:key": RouteRule(
            access: .api, actor: Demo.isaac,
            path: { "/api/v1/migration-projects/\(lower($0.project))/checklist/pid-agreed" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/api/v1/migration-projects/\(lower($0.project))/checklist/pid-agreed"] }),
            stateChanging: true, json: #"{"evidence":"Agreed"}"#),
        "POST /api/v1/migration-projects/:id/go-live/confirm": RouteRule(
            access: .api, actor: Demo.isaac,
            path: { "/api/v1/migration-projects/\(lower($0.project))/go-live/confirm" },
            otherScope: .notFound(
                actor: Demo.chloe, paths: { ["/api/v1/migration-projects/\(lower($0.project))/go-live/confirm"] }),
            stateChanging: true),
        "POST /api/v1/migration-projects/:id/transfer-batches": RouteRule(
            access: .api, actor: Demo.isaac,
            path: { "/api/v1/migration-projects/\(lower($0.project))/transfer-batches" },
            otherScope: .notApplicable(
                "needs a multipart body; MigrationTests.scope uploads to another scope's project"),
            stateChanging: true),
        "GET /api/v1/migration-projects/:id/transfer-batches/:batch": RouteRule(
            access: .api, actor: Demo.isaac,
            path: { "/api/v1/migration-projects/\(lower($0.project))/transfer-batches/\(lower($0.batch))" },
            otherScope: .notFound(
                actor: Demo.chloe,
                paths: { ["/api/v1/migration-projects/\(lower($0.project))/transfer-batches/\(lower($0.batch))"] }),
            stateChanging: false),
        "POST /api/v1/migration-projects/:id/transfer-items/:item/remove": RouteRule(
            access: .api, actor: Demo.isaac,
            path: { "/api/v1/migration-projects/\(lower($0.project))/transfer-items/\(lower($0.infected))/remove" },
            otherScope: .notFound(
                actor: Demo.chloe,
                paths: {
                    ["/api/v1/migration-projects/\(lower($0.project))/transfer-items/\(lower($0.infected))/remove"]
                }), stateChanging: true),
        "POST /api/v1/migration-projects/:id/transfer-items/:item/release": RouteRule(
            access: .api, actor: Demo.isaac,
            path: { "/api/v1/migration-projects/\(lower($0.project))/transfer-items/\(lower($0.infected))/release" },
            otherScope: .notFound(
                actor: Demo.chloe,
                paths: {
                    ["/api/v1/migration-projects/\(lower($0.project))/transfer-items/\(lower($0.infected))/release"]
                }), stateChanging: true, json: #"{"reason":"A confirmed false positive"}"#),
        "GET /guidance": RouteRule(
            access: .staff, actor: Demo.nadia, path: { _ in "/guidance" },
            otherScope: .forbidden(actor: Demo.chloe, path: { _ in "/guidance" }), stateChanging: false),
        "GET /guidance/:key": RouteRule(
            access: .staff, actor: Demo.nadia, path: { _ in "/guidance/migration-contact" },
            otherScope: .forbidden(actor: Demo.chloe, path: { _ in "/guidance/migration-contact" }),
            stateChanging: false),
        "POST /guidance/:key": RouteRule(
            access: .staff, actor: Demo.nadia, path: { _ in "/guidance/migration-contact" },
            otherScope: .forbidden(actor: Demo.chloe, path: { _ in "/guidance/migration-contact" }),
            stateChanging: true,
            form: [
                ("title", "Contact us"), ("url", "mailto:team@onboard.example"), ("audience", "migration_supported"),
            ]),
        "GET /api/v1/guidance": RouteRule(
            access: .api, actor: Demo.nadia, path: { _ in "/api/v1/guidance" },
            otherScope: .forbidden(actor: Demo.chloe, path: { _ in "/api/v1/guidance" }), stateChanging: false),
        "PUT /api/v1/guidance/:key": RouteRule(
            access: .api, actor: Demo.nadia, path: { _ in "/api/v1/guidance/migration-contact" },
            otherScope: .forbidden(actor: Demo.chloe, path: { _ in "/api/v1/guidance/migration-contact" }),
            stateChanging: true,
            json: #"{"title":"Contact us","url":"mailto:team@onboard.example","audience":"migration_supported"}"#),

        // Shared mailboxes
        "GET /mailboxes": RouteRule(
            access: .staff, actor: Demo.chloe, path: { _ in "/mailboxes" },
            otherScope: .excluded(actor: Demo.mia, seer: Demo.chloe, marker: { "/mailboxes/\(lower($0.mailbox))\"" }),
            stateChanging: false),
        "GET /mailboxes/new": RouteRule(
            access: .staff, actor: Demo.chloe, path: { _ in "/mailboxes/new" },
            otherScope: .notApplicable("a blank form: it lists only the actor's own organisations"),
            stateChanging: false),
        "POST /mailboxes/new": RouteRule(
            access: .staff, actor: Demo.chloe, path: { _ in "/mailboxes/new" },
            otherScope: .notApplicable("an organisation outside scope is a form error (SharedMailboxTests)"),
            stateChanging: true,
            form: [("organisation", "FA007"), ("localPart", "otley.pharmacy"), ("name", "Team"), ("owner", Demo.chloe)]),
        "GET /mailboxes/:id": RouteRule(
            access: .staff, actor: Demo.chloe, path: { "/mailboxes/\(lower($0.mailbox))" },
            otherScope: .notFound(actor: Demo.mia, paths: { ["/mailboxes/\(lower($0.mailbox))"] }),
            stateChanging: false),
        "POST /mailboxes/:id/members": RouteRule(
            access: .staff, actor: Demo.chloe, path: { "/mailboxes/\(lower($0.mailbox))/members" },
            otherScope: .notFound(actor: Demo.mia, paths: { ["/mailboxes/\(lower($0.mailbox))/members"] }),
            stateChanging: true, form: [("address", Demo.tom), ("fullAccess", "yes")]),
        "GET /mailboxes/:id/directory": RouteRule(
            access: .staff, actor: Demo.chloe, path: { "/mailboxes/\(lower($0.mailbox))/directory" },
            otherScope: .notFound(actor: Demo.mia, paths: { ["/mailboxes/\(lower($0.mailbox))/directory"] }),
            stateChanging: false),
        "POST /mailboxes/:id/directory": RouteRule(
            access: .staff, actor: Demo.chloe, path: { "/mailboxes/\(lower($0.mailbox))/directory" },
            otherScope: .notFound(actor: Demo.mia, paths: { ["/mailboxes/\(lower($0.mailbox))/directory"] }),
            stateChanging: true, form: [("listed", "no")]),
        "POST /mailboxes/:id/members/:member/remove": RouteRule(
            access: .staff, actor: Demo.chloe,
            path: { "/mailboxes/\(lower($0.mailbox))/members/\(lower($0.uma))/remove" },
            otherScope: .notFound(
                actor: Demo.mia, paths: { ["/mailboxes/\(lower($0.mailbox))/members/\(lower($0.uma))/remove"] }),
            stateChanging: true),

        // Accounts
        "GET /accounts": RouteRule(
            access: .staff, path: { _ in "/accounts" },
            otherScope: .excluded(actor: Demo.liam, seer: Demo.mia, marker: { "/accounts/\(lower($0.mia))\"" }),
            stateChanging: false),
        "GET /accounts/new": RouteRule(
            access: .staff, path: { _ in "/accounts/new" },
            otherScope: .notApplicable("a blank form: it lists only the actor's own organisations"),
            stateChanging: false),
        "POST /accounts/new": RouteRule(
            access: .staff, path: { _ in "/accounts/new" },
            otherScope: .notApplicable("an organisation outside scope is a form error (AccountTests.crossScope)"),
            stateChanging: true,
            form: [("firstName", "Ann"), ("surname", "Lee"), ("mobile", "07700900123"), ("organisation", "RR801")]),
        "GET /accounts/joiners": RouteRule(
            access: .staff, path: { _ in "/accounts/joiners" },
            otherScope: .notApplicable("a blank form"), stateChanging: false),
        "POST /accounts/joiners": RouteRule(
            access: .staff, path: { _ in "/accounts/joiners" },
            otherScope: .notApplicable(
                "finds only a recent leaver, by exact address, showing name and old organisation"),
            stateChanging: true, form: [("address", Demo.tom)]),
        "POST /accounts/joiners/:id": RouteRule(
            access: .staff, path: { "/accounts/joiners/\(lower($0.uma))" },
            otherScope: .notApplicable(
                "leavers are outside every scope by design; only a recent leaver, with their address, is accepted "
                    + "(AccountLifecycleTests.joinerByIDRevealsNothing)"),
            stateChanging: true, form: [("address", Demo.uma), ("organisation", "RR813")]),
        "GET /accounts/:id": RouteRule(
            access: .staff, path: { "/accounts/\(lower($0.uma))" },
            otherScope: .notFound(actor: Demo.liam, paths: { ["/accounts/\(lower($0.mia))"] }), stateChanging: false),
        "POST /accounts/:id/:action": RouteRule(
            access: .staff, path: { "/accounts/\(lower($0.uma))/unlock" },
            otherScope: .notFound(
                actor: Demo.liam, paths: { ["/accounts/\(lower($0.mia))/unlock", "/accounts/\(lower($0.mia))/reset"] }),
            stateChanging: true),

        "GET /dev/messages": RouteRule(
            access: .public, path: { _ in "/dev/messages" },
            otherScope: .notApplicable("development only: not registered in production (ApplicationTests)"),
            stateChanging: false),

        "GET /register/:token": RouteRule(
            access: .public, path: { _ in "/register/\(String(repeating: "a", count: 43))" },
            otherScope: .notApplicable("shows only a button: the same page for every link, real or not"),
            stateChanging: false),
        "POST /register/:token": RouteRule(
            access: .applicant, path: { _ in "/register/\(String(repeating: "b", count: 43))" },
            otherScope: .notApplicable("the link's token is the only key; ProgrammeTests spends real ones"),
            stateChanging: true),

        // Programmes and rule parameters
        "GET /programmes": RouteRule(
            access: .staff, actor: Demo.priya, path: { _ in "/programmes" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/programmes" }), stateChanging: false),
        "GET /programmes/:code": RouteRule(
            access: .staff, actor: Demo.priya, path: { _ in "/programmes/numsas" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/programmes/numsas" }), stateChanging: false),
        "POST /programmes/:code/cohorts": RouteRule(
            access: .staff, actor: Demo.priya, path: { _ in "/programmes/numsas/cohorts" },
            otherScope: .forbidden(actor: Demo.peter, path: { _ in "/programmes/numsas/cohorts" }), stateChanging: true,
            form: [("name", "Route cohort"), ("capacity", "5")]),
        "POST /programmes/:code/cohorts/:cohort/release": RouteRule(
            access: .staff, actor: Demo.priya, path: { _ in "/programmes/numsas/cohorts/\(lower(UUID()))/release" },
            otherScope: .forbidden(
                actor: Demo.peter, path: { _ in "/programmes/numsas/cohorts/\(lower(UUID()))/release" }),
            stateChanging: true),
        "POST /programmes/:code/invitations": RouteRule(
            access: .staff, actor: Demo.peter, path: { _ in "/programmes/numsas/invitations" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/programmes/numsas/invitations" }),
            stateChanging: true, form: [("odsCode", "FB007"), ("email", "route@example.org")]),
        "GET /eligibility-parameters": RouteRule(
            access: .staff, actor: national, path: { _ in "/eligibility-parameters" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/eligibility-parameters" }), stateChanging: false),
        "POST /eligibility-parameters": RouteRule(
            access: .staff, actor: national, path: { _ in "/eligibility-parameters" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/eligibility-parameters" }), stateChanging: true,
            form: [("version", "route-1"), ("body", "{}")]),

        "GET /applications/import": RouteRule(
            access: .staff, actor: national, path: { _ in "/applications/import" },
            otherScope: .forbidden(actor: Demo.rachel, path: { _ in "/applications/import" }), stateChanging: false),
        "POST /applications/import": RouteRule(
            access: .staff, actor: national, path: { _ in "/applications/import" },
            otherScope: .forbidden(actor: Demo.rachel, path: { _ in "/applications/import" }), stateChanging: true),

        // Reviewing applications
        "GET /applications": RouteRule(
            access: .staff, actor: Demo.rachel, path: { _ in "/applications" },
            otherScope: .excluded(actor: Demo.grace, seer: Demo.rachel, marker: { $0.applicationReference }),
            stateChanging: false),
        "GET /applications/:id": RouteRule(
            access: .staff, actor: Demo.rachel, path: { "/applications/\(lower($0.application))" },
            otherScope: .notFound(
                actor: Demo.grace,
                paths: { ["/applications/\(lower($0.application))", "/applications/\(lower(UUID()))"] }),
            stateChanging: false),
        "POST /applications/:id/decisions": RouteRule(
            access: .staff, actor: Demo.rachel, path: { "/applications/\(lower($0.application))/decisions" },
            otherScope: .notFound(actor: Demo.grace, paths: { ["/applications/\(lower($0.application))/decisions"] }),
            stateChanging: true, form: [("action", "start_review")]),

        // API
        "POST /api/v1/eligibility-checks": RouteRule(
            access: .publicAPI, path: { _ in "/api/v1/eligibility-checks" },
            otherScope: .notApplicable("public: answers from the applicant's facts; no record is shown"),
            stateChanging: false, json: #"{"applicantType":"junior_doctor","country":"england"}"#),
        "GET /api/v1/directory": RouteRule(
            access: .api, path: { _ in "/api/v1/directory?q=walker" },
            otherScope: .notApplicable(directoryNote), stateChanging: false),
        "GET /api/v1/organisations": RouteRule(
            access: .api, path: { _ in "/api/v1/organisations?limit=200" },
            otherScope: .excluded(actor: Demo.liam, seer: Demo.mia, marker: { lower($0.r0a) }),
            stateChanging: false),
        "GET /api/v1/organisations/:ods": RouteRule(
            access: .api, path: { _ in "/api/v1/organisations/RR801" },
            otherScope: .notFound(
                actor: Demo.liam, paths: { _ in ["/api/v1/organisations/R0A", "/api/v1/organisations/QWO"] }),
            stateChanging: false),
        "POST /api/v1/applications": RouteRule(
            access: .api, actor: Demo.rachel, path: { _ in "/api/v1/applications" },
            otherScope: .forbidden(actor: Demo.grace, path: { _ in "/api/v1/applications" }), stateChanging: true,
            json: RouteTable.optometristJSON),
        "GET /api/v1/applications/:reference": RouteRule(
            access: .api, actor: Demo.rachel, path: { "/api/v1/applications/\($0.applicationReference)" },
            otherScope: .notFound(
                actor: Demo.grace,
                paths: { ["/api/v1/applications/\($0.applicationReference)", "/api/v1/applications/APP-2222-2222"] }),
            stateChanging: false),
        "POST /api/v1/applications/:reference/decisions": RouteRule(
            access: .api, actor: Demo.rachel, path: { "/api/v1/applications/\($0.applicationReference)/decisions" },
            otherScope: .notFound(
                actor: Demo.grace, paths: { ["/api/v1/applications/\($0.applicationReference)/decisions"] }),
            stateChanging: true, json: #"{"action":"start_review"}"#),
        "GET /api/v1/accounts": RouteRule(
            access: .api, path: { _ in "/api/v1/accounts?q=singh" },
            otherScope: .notApplicable("lists only accounts in the caller's scope (AccountSearchTests)"),
            stateChanging: false),
        "POST /api/v1/accounts": RouteRule(
            access: .api, path: { _ in "/api/v1/accounts" },
            otherScope: .notApplicable("an organisation outside scope is a 422 naming organisation (AccountAPITests)"),
            stateChanging: true,
            json: #"{"firstName":"Ann","surname":"Lee","mobile":"07700900123","organisation":"RR801"}"#),
        "GET /api/v1/accounts/:id": RouteRule(
            access: .api, path: { "/api/v1/accounts/\(lower($0.uma))" },
            otherScope: .notFound(actor: Demo.liam, paths: { ["/api/v1/accounts/\(lower($0.mia))"] }),
            stateChanging: false),
        "PATCH /api/v1/accounts/:id": RouteRule(
            access: .api, path: { "/api/v1/accounts/\(lower($0.uma))" },
            otherScope: .notFound(actor: Demo.liam, paths: { ["/api/v1/accounts/\(lower($0.mia))"] }),
            stateChanging: true, json: #"{"mobile":"07700900999"}"#),
        "POST /api/v1/accounts/:id/:action": RouteRule(
            access: .api, path: { "/api/v1/accounts/\(lower($0.uma))/unlock" },
            otherScope: .notFound(actor: Demo.liam, paths: { ["/api/v1/accounts/\(lower($0.mia))/unlock"] }),
            stateChanging: true),
        "POST /api/v1/accounts/:id/joiner": RouteRule(
            access: .api, path: { "/api/v1/accounts/\(lower($0.uma))/joiner" },
            otherScope: .notApplicable("leavers are outside every scope by design; only a recent leaver is accepted"),
            stateChanging: true, json: #"{"organisation":"RR813"}"#),
        "POST /api/v1/mailboxes": RouteRule(
            access: .api, actor: Demo.chloe, path: { _ in "/api/v1/mailboxes" },
            otherScope: .notApplicable(
                "an organisation outside scope is a 422 naming organisation (SharedMailboxTests)"),
            stateChanging: true,
            json: #"{"organisation":"FA006","localPart":"route.walker","name":"Team","owner":"chloe.brown@nhs.net"}"#),
        "GET /api/v1/mailboxes/:id": RouteRule(
            access: .api, actor: Demo.chloe, path: { "/api/v1/mailboxes/\(lower($0.mailbox))" },
            otherScope: .notFound(actor: Demo.mia, paths: { ["/api/v1/mailboxes/\(lower($0.mailbox))"] }),
            stateChanging: false),
        "PATCH /api/v1/mailboxes/:id": RouteRule(
            access: .api, actor: Demo.chloe, path: { "/api/v1/mailboxes/\(lower($0.mailbox))" },
            otherScope: .notFound(actor: Demo.mia, paths: { ["/api/v1/mailboxes/\(lower($0.mailbox))"] }),
            stateChanging: true, json: #"{"listedInDirectory":false}"#),
        "POST /api/v1/mailboxes/:id/members": RouteRule(
            access: .api, actor: Demo.chloe, path: { "/api/v1/mailboxes/\(lower($0.mailbox))/members" },
            otherScope: .notFound(actor: Demo.mia, paths: { ["/api/v1/mailboxes/\(lower($0.mailbox))/members"] }),
            stateChanging: true, json: #"{"address":"tom.reed@nhs.net"}"#),
        "DELETE /api/v1/mailboxes/:id/members/:account": RouteRule(
            access: .api, actor: Demo.chloe,
            path: { "/api/v1/mailboxes/\(lower($0.mailbox))/members/\(lower($0.uma))" },
            otherScope: .notFound(
                actor: Demo.mia, paths: { ["/api/v1/mailboxes/\(lower($0.mailbox))/members/\(lower($0.uma))"] }),
            stateChanging: true),
        "POST /api/v1/organisations": RouteRule(
            access: .api, actor: national, path: { _ in "/api/v1/organisations" },
            otherScope: .forbidden(actor: Demo.liam, path: { _ in "/api/v1/organisations" }), stateChanging: true,
            json: #"{"name":"Route walker trust","type":"nhs_trust","country":"england"}"#),
        "GET /audit": RouteRule(
            access: .staff, actor: Demo.liam, path: { _ in "/audit" },
            otherScope: .notApplicable("AuditSearchTests.scoped: an LA's list holds only their organisations' events"),
            stateChanging: false),
        "GET /audit/export.csv": RouteRule(
            access: .staff, actor: Demo.liam, path: { _ in "/audit/export.csv" },
            otherScope: .notApplicable("AuditSearchTests.scoped: an LA's CSV holds only their organisations' events"),
            stateChanging: false),
        "GET /audit/events/:seq": RouteRule(
            access: .staff, actor: Demo.nadia, path: { _ in "/audit/events/1" },
            otherScope: .notApplicable("AuditSearchTests.scoped: another organisation's event is 404 by number"),
            stateChanging: false),
        "GET /audit/security": RouteRule(
            access: .staff, actor: Demo.liam, path: { _ in "/audit/security" },
            otherScope: .notApplicable("AuditSearchTests.securityEvents: another LA sees none of these"),
            stateChanging: false),
        "GET /api/v1/work-queues": RouteRule(
            access: .api, actor: Demo.liam, path: { _ in "/api/v1/work-queues" },
            otherScope: .notApplicable("each queue is scoped as on the home page; WorkQueueTests compare scopes"),
            stateChanging: false),
        "GET /api/v1/audit-events": RouteRule(
            access: .api, actor: Demo.liam, path: { _ in "/api/v1/audit-events" },
            otherScope: .notApplicable("the same search as the page, scoped by AuditSearch.visibility"),
            stateChanging: false),
        "GET /reports": RouteRule(
            access: .staff, actor: Demo.liam, path: { _ in "/reports" },
            otherScope: .notApplicable("a list of report names, the same for everyone who may see it"),
            stateChanging: false),
        "GET /reports/:kind": RouteRule(
            access: .staff, actor: Demo.liam, path: { _ in "/reports/second-factor" },
            otherScope: .notApplicable("ReportTests.scoped: an LA's report holds only their scope"),
            stateChanging: false),
        "GET /reports/:kind/export.csv": RouteRule(
            access: .staff, actor: Demo.liam, path: { _ in "/reports/second-factor/export.csv" },
            otherScope: .notApplicable("ReportTests.scoped: an LA's CSV holds only their scope"),
            stateChanging: false),
        "GET /account/tokens": ownRule("/account/tokens", stateChanging: false),
        "GET /account/tokens/new": ownRule("/account/tokens/new", stateChanging: false),
        "POST /account/tokens/new": ownRule(
            "/account/tokens/new", stateChanging: true, form: [("name", "Walker"), ("access", "read"), ("days", "1")]),
        "POST /account/tokens/:id/revoke": RouteRule(
            access: .staff, actor: Demo.uma, path: { _ in "/account/tokens/\(lower(UUID()))/revoke" },
            otherScope: .notApplicable("TokenTests.revoked: another person's token is 404"), stateChanging: true),
    ]
}
