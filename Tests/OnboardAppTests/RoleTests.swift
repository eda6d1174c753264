import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Roles")
struct RoleTests {
    @Test("Nobody grants themselves a role", arguments: [Demo.liam, Demo.nadia])
    func noSelfGrant(email: String) async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: email)
            let own = try await accountID(app, email: email)
            let before = try await grants(app, email: email).count
            let response = try await app.post(
                "/people/\(lower(own))/roles", form: [("role", "organisation_admin"), ("_csrf", session.csrf)],
                headers: session.headers)
            #expect(response.status == .forbidden)
            #expect(try await grants(app, email: email).count == before)
        }
    }

    @Test("A Local Administrator cannot grant local_admin")
    func localAdminCannotGrantLocalAdmin() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let uma = try await accountID(app, email: Demo.uma)
            let response = try await app.post(
                "/people/\(lower(uma))/roles", form: [("role", "local_admin"), ("_csrf", liam.csrf)],
                headers: liam.headers)
            #expect(response.status == .forbidden)
            #expect(try await grants(app, email: Demo.uma).isEmpty)
        }
    }

    @Test("A Local Administrator grants organisation_admin to someone in scope, and it is audited")
    func localAdminGrantsOrganisationAdmin() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let uma = try await accountID(app, email: Demo.uma)
            let response = try await app.post(
                "/people/\(lower(uma))/roles", form: [("role", "organisation_admin"), ("_csrf", liam.csrf)],
                headers: liam.headers)
            #expect(response.status == .seeOther)
            let granted = try #require(try await grants(app, email: Demo.uma).first)
            #expect(granted.role == .organisationAdmin)
            #expect(granted.$organisation.id == (try await organisationID(app, ods: "RR801")))
            #expect(granted.$grantedBy.id == (try await accountID(app, email: Demo.liam)))
            let event = try #require(try await lastAudit(app, action: "role.grant"))
            #expect(event.actorAccountID == (try await accountID(app, email: Demo.liam)))
            #expect(event.actorRole == "local_admin")
            #expect(event.targetID == uma.uuidString)

            // Granting the same role again is a form problem, not a second grant.
            let again = try await app.post(
                "/people/\(lower(uma))/roles", form: [("role", "organisation_admin"), ("_csrf", liam.csrf)],
                headers: liam.headers)
            #expect(again.status == .unprocessableEntity)
            #expect(try await grants(app, email: Demo.uma).count == 1)
        }
    }

    @Test("A Local Administrator cannot grant for an organisation outside their scope")
    func grantOrganisationOutsideScope() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let uma = try await accountID(app, email: Demo.uma)
            let response = try await app.post(
                "/people/\(lower(uma))/roles",
                form: [("role", "organisation_admin"), ("organisationOds", "R0A"), ("_csrf", liam.csrf)],
                headers: liam.headers)
            #expect(response.status == .unprocessableEntity)
            #expect(try await grants(app, email: Demo.uma).isEmpty)
        }
    }

    @Test("A Local Administrator cannot act on an account in another scope: 404")
    func otherScopeAccount() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let mia = try await accountID(app, email: Demo.mia)
            #expect(try await app.get("/people/\(lower(mia))", headers: liam.headers).status == .notFound)
            let response = try await app.post(
                "/people/\(lower(mia))/roles", form: [("role", "organisation_admin"), ("_csrf", liam.csrf)],
                headers: liam.headers)
            #expect(response.status == .notFound)
            let miaGrant = try #require(try await grants(app, email: Demo.mia).first)
            let revoke = try await app.post(
                "/people/\(lower(mia))/roles/\(lower(try miaGrant.requireID()))/revoke", form: [("_csrf", liam.csrf)],
                headers: liam.headers)
            #expect(revoke.status == .notFound)
            #expect(try await grants(app, email: Demo.mia).count == 1)
        }
    }

    @Test("A national administrator grants any role; the page lists it")
    func nationalGrants() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let tom = try await accountID(app, email: Demo.tom)
            let response = try await app.post(
                "/people/\(lower(tom))/roles",
                form: [("role", "regional_contact"), ("region", "north_west"), ("_csrf", nadia.csrf)],
                headers: nadia.headers)
            #expect(response.status == .seeOther)
            let granted = try #require(try await grants(app, email: Demo.tom).first)
            #expect(granted.role == .regionalContact)
            #expect(granted.region == "north_west")
            let page = try await app.get("/people/\(lower(tom))", headers: nadia.headers)
            #expect(page.body.string.contains("Regional contact"))
        }
    }

    @Test("A Local Administrator cannot change someone who outranks them")
    func targetOutranks() async throws {
        try await withTestApp { app, _ in
            // Uma becomes a regional contact (ranked above a Local Administrator) while staying in Liam's scope.
            let uma = try await accountID(app, email: Demo.uma)
            try await RoleGrant(
                accountID: uma, role: .regionalContact, organisationID: nil, region: "north_west", grantedBy: nil,
                now: app.clock.now()
            ).save(on: app.db)
            let liam = try await signIn(app, email: Demo.liam)
            let response = try await app.post(
                "/people/\(lower(uma))/roles", form: [("role", "organisation_admin"), ("_csrf", liam.csrf)],
                headers: liam.headers)
            #expect(response.status == .forbidden)
        }
    }

    @Test("Revoking a role ends it and is audited")
    func revoke() async throws {
        try await withTestApp { app, clock in
            let liam = try await signIn(app, email: Demo.liam)
            let uma = try await accountID(app, email: Demo.uma)
            _ = try await app.post(
                "/people/\(lower(uma))/roles", form: [("role", "organisation_admin"), ("_csrf", liam.csrf)],
                headers: liam.headers)
            let granted = try #require(try await grants(app, email: Demo.uma).first)
            let grantID = try granted.requireID()
            clock.advance(by: 60)
            let response = try await app.post(
                "/people/\(lower(uma))/roles/\(lower(grantID))/revoke", form: [("_csrf", liam.csrf)],
                headers: liam.headers)
            #expect(response.status == .seeOther)
            #expect(try await grants(app, email: Demo.uma).isEmpty)
            let revoked = try #require(try await RoleGrant.find(grantID, on: app.db))
            #expect(revoked.revokedAt == clock.current)
            #expect(revoked.$revokedBy.id == (try await accountID(app, email: Demo.liam)))
            let event = try #require(try await lastAudit(app, action: "role.revoke"))
            #expect(event.targetID == uma.uuidString)
            #expect(event.before?.contains(grantID.uuidString) == true)

            // Revoking it again finds nothing live.
            let again = try await app.post(
                "/people/\(lower(uma))/roles/\(lower(grantID))/revoke", form: [("_csrf", liam.csrf)],
                headers: liam.headers)
            #expect(again.status == .notFound)
        }
    }

    @Test("A revoked role stops working at once")
    func revokedRoleStopsWorking() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            #expect(try await app.get("/organisations", headers: liam.headers).status == .ok)
            let nadia = try await signIn(app, email: Demo.nadia)
            let liamID = try await accountID(app, email: Demo.liam)
            let grant = try #require(try await grants(app, email: Demo.liam).first)
            let response = try await app.post(
                "/people/\(lower(liamID))/roles/\(lower(try grant.requireID()))/revoke",
                form: [("_csrf", nadia.csrf)], headers: nadia.headers)
            #expect(response.status == .seeOther)
            #expect(try await app.get("/organisations", headers: liam.headers).status == .forbidden)
        }
    }

    struct AuditRow: Decodable {
        let actorAccountID: UUID?
        let actorRole: String?
        let targetID: String?
        let before: String?
        let after: String?
    }

    private func lastAudit(_ app: Application, action: String) async throws -> AuditRow? {
        try await (app.db as! any SQLDatabase).raw(
            """
            SELECT e.actor_account_id, e.actor_role, e.target_id, d."before", d."after"
            FROM audit_events e LEFT JOIN audit_details d ON d.event_id = e.id
            WHERE e.action = \(bind: action) ORDER BY e.seq DESC
            """
        ).firstRow(AuditRow.self)
    }
}
