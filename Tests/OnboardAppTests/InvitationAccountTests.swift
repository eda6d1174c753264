import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Accounts from approved applications")
struct InvitationAccountTests {
    @Test("The invited first LA's account is set up from the invitation and gets the role, once")
    func invitationBecomesAccount() async throws {
        try await withTestApp { app, clock in
            let invitation = UUID()
            let organisation = try await organisationID(app, ods: "RR813")
            try await (app.db as! any SQLDatabase).raw(
                """
                INSERT INTO invitations (id, kind, email, name, organisation_id, token_hash, expires_at, created_at)
                VALUES (\(bind: invitation), 'local_admin', 'ifeoma.eze@example.org', 'Ifeoma Eze', \(bind: organisation),
                    'x', \(bind: clock.current.addingTimeInterval(86400)), \(bind: clock.current))
                """
            ).run()
            let nadia = try await signIn(app, email: Demo.nadia)
            let form = try await page(app, "/accounts/new?invitation=\(invitation)", nadia)
            #expect(form.body.string.contains(#"value="Ifeoma""#))
            #expect(form.body.string.contains(#"value="Eze""#))
            let fields = [
                ("firstName", "Ifeoma"), ("surname", "Eze"), ("mobile", "07700 900888"), ("organisation", "RR813"),
                ("method", "assisted"), ("invitation", invitation.uuidString), ("confirm", "yes"),
            ]
            let created = try await submit(app, "/accounts/new", nadia, fields)
            #expect(created.status == .seeOther)
            let roles = try await grants(app, email: "ifeoma.eze@nhs.net")
            #expect(roles.map(\.role) == [.localAdmin])
            #expect(roles.first?.$organisation.id == organisation)
            let again = try await submit(
                app, "/accounts/new", nadia, fields.map { $0.0 == "surname" ? ("surname", "Eze-Two") : $0 })
            #expect(again.status == .seeOther, "the form still adds an account")
            #expect(try await grants(app, email: "ifeoma.eze-two@nhs.net").isEmpty, "but the invitation works once")
            #expect(try await auditCount(app, action: "invitation.accept") == 1)
        }
    }
}
