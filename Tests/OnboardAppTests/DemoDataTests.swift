import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp

@Suite("Demo data")
struct DemoDataTests {
    @Test("Seeding twice creates no duplicates")
    func idempotent() async throws {
        try await withTestApp { app, _ in
            let counts = try await tally(app)
            #expect(counts.organisations == DemoData.organisations.count)
            #expect(counts.accounts == DemoData.people.count)
            try await DemoData.seed(app)
            #expect(try await tally(app) == counts)
        }
    }

    @Test("Every demo person can sign in with the demo password")
    func everyoneSignsIn() async throws {
        try await withTestApp { app, _ in
            for signIn in DemoData.signIns(domain: app.settings.mailDomain) {
                let session = try await OnboardAppTests.signIn(app, email: signIn.email, password: signIn.password)
                #expect(!session.csrf.isEmpty, "\(signIn.email)")
            }
        }
    }

    @Test("Seeding is refused in production")
    func refusedInProduction() async throws {
        try await withTestApp(environment: "production", seed: false) { app, _ in
            await #expect(throws: DemoData.Refused.self) { try await DemoData.seed(app) }
            let count = try await organisationCount(app)
            #expect(count == 0)
        }
    }

    @Test("Seeding is refused on a PostgreSQL that already holds other data", .enabled(if: TestDatabase.isPostgres))
    func refusedOnNonEmptyPostgres() async throws {
        try await withTestApp(seed: false) { app, clock in
            try await Organisation(
                draft: .init(odsCode: "ZZ1", name: "Real Trust", type: .nhsTrust), now: clock.current
            ).save(on: app.db)
            await #expect(throws: DemoData.Refused.self) { try await DemoData.seed(app) }
            let count = try await organisationCount(app)
            #expect(count == 1)
        }
    }

    struct Tally: Equatable {
        let organisations: Int
        let people: Int
        let accounts: Int
        let grants: Int
    }

    private func tally(_ app: Application) async throws -> Tally {
        Tally(
            organisations: try await Organisation.query(on: app.db).count(),
            people: try await Person.query(on: app.db).count(),
            accounts: try await Account.query(on: app.db).count(),
            grants: try await RoleGrant.query(on: app.db).count())
    }

    @Test("The development server's demo applications load, one waiting for a NUMSAS cohort")
    func demoApplications() async throws {
        try await withTestApp { app, _ in
            try await DemoApplications.load(app)
            struct Row: Decodable { let state: String }
            let states = try await (app.db as! any SQLDatabase).raw("SELECT state FROM applications ORDER BY state")
                .rows(Row.self).map(\.state)
            #expect(states == ["submitted", "submitted", "submitted", "waitlisted"])
        }
    }
}
