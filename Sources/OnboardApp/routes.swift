import Foundation
import OnboardDomain
import OpenAPIVapor
import Vapor

/// Every route, registered from `SiteURL` so links and routes agree.
func routes(_ app: Application) throws {
    let publicPages = PublicController()
    app.get("health", use: publicPages.health)

    // Pages: sessions, CSRF on every state-changing form.
    let web = app.grouped(SessionAuthenticator(policy: .standard), CSRFProtection())
    web.get(use: publicPages.front)
    let join = JoinController()
    web.grouped(RateLimitMiddleware(limiter: app.guidedStartLimiter, paths: [SiteURL.join.path]))
        .get(SiteURL.join.pattern, use: join.start)
    web.get(SiteURL.signIn.pattern, use: publicPages.signInPage)
    web.post(SiteURL.signIn.pattern, use: publicPages.signIn)

    let staff = Guarded(builder: web.grouped(RequireSignIn()))
    staff.on(.POST, SiteURL.signOut.pattern, allow: .everyone) { req, _ in try await publicPages.signOut(req: req) }

    let account = AccountController()
    staff.on(.GET, SiteURL.home.pattern, allow: .everyone, use: account.home)
    staff.on(.GET, SiteURL.sessions.pattern, allow: .everyone, use: account.sessions)
    staff.on(.POST, SiteURL.endAllSessions.pattern, allow: .everyone, use: account.endAllSessions)
    staff.on(.POST, SiteURL.patterned(SiteURL.endSession), allow: .everyone, use: account.endSession)

    let organisations = OrganisationsController()
    staff.on(.GET, SiteURL.organisations.pattern, allow: .administrators, use: organisations.list)
    staff.on(.GET, SiteURL.organisationNew.pattern, allow: .national, use: organisations.newForm)
    staff.on(.POST, SiteURL.organisationNew.pattern, allow: .national, use: organisations.create)
    staff.on(.GET, SiteURL.organisationImport.pattern, allow: .national, use: organisations.importForm)
    staff.on(
        .POST, SiteURL.organisationImport.pattern, allow: .national, body: .collect(maxSize: BodyLimits.upload),
        use: organisations.importCSV)
    staff.on(.GET, SiteURL.patterned(SiteURL.organisation), allow: .administrators, use: organisations.show)
    staff.on(.GET, SiteURL.patterned(SiteURL.organisationEdit), allow: .national, use: organisations.editForm)
    staff.on(.POST, SiteURL.patterned(SiteURL.organisationEdit), allow: .national, use: organisations.update)
    staff.on(.GET, SiteURL.patterned(SiteURL.organisationClose), allow: .national, use: organisations.closeForm)
    staff.on(.POST, SiteURL.patterned(SiteURL.organisationClose), allow: .national, use: organisations.close)
    staff.on(.GET, SiteURL.patterned(SiteURL.organisationMerge), allow: .national, use: organisations.mergeForm)
    staff.on(.POST, SiteURL.patterned(SiteURL.organisationMerge), allow: .national, use: organisations.merge)

    let people = PeopleController()
    staff.on(.GET, SiteURL.people.pattern, allow: .roleGranters, use: people.list)
    staff.on(.GET, SiteURL.patterned(SiteURL.person), allow: .roleGranters, use: people.show)
    staff.on(.POST, SiteURL.patterned(SiteURL.grantRole), allow: .roleGranters, use: people.grant)
    staff.on(.POST, SiteURL.revokePattern, allow: .roleGranters, use: people.revoke)

    // API: bearer tokens only, problem+json errors, generated from the OpenAPI document.
    app.get("api", "v1", "openapi.yaml") { req async throws -> Response in
        let response = Response(status: .ok, body: .init(string: OpenAPIDocument.text))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "yaml")
        return response
    }
    let api = app.grouped("api", "v1").grouped(
        APIErrorMiddleware(),
        RateLimitMiddleware(limiter: app.eligibilityLimiter, paths: BearerAuthenticator.publicPaths),
        BearerAuthenticator())
    let transport = VaporTransport(routesBuilder: api)
    try APIHandler(app: app).registerHandlers(on: transport, serverURL: URL(string: "/")!)
}
