import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Organisations")
struct OrganisationTests {
    static let csv = """
        ods_code,name,type,postcode,region,parent,status,administered_by
        ZX1,Wakefield Health Trust,nhs_trust,WF1 4DG,north_east_and_yorkshire,,live,
        ZX101,Pinderfields Hospital,trust_site,WF1 4DG,north_east_and_yorkshire,ZX1,,
        ZX201,Horbury Surgery,gp_practice,WF4 6BB,north_east_and_yorkshire,,not_joined,QWO
        """

    @Test("Importing the same CSV twice through the page creates no duplicates")
    func importTwiceByPage() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let before = try await organisationCount(app)

            let first = try await uploadCSV(app, nadia, csv: Self.csv)
            #expect(first.status == .ok)
            #expect(first.body.string.contains("3 created, 0 updated, 0 unchanged"))
            #expect(try await organisationCount(app) == before + 3)

            let second = try await uploadCSV(app, nadia, csv: Self.csv)
            #expect(second.status == .ok)
            #expect(second.body.string.contains("0 created, 0 updated, 3 unchanged"))
            #expect(try await organisationCount(app) == before + 3)

            let site = try #require(try await Organisation.query(on: app.db).filter(\.$odsCode == "ZX101").first())
            #expect(site.$parent.id == (try await organisationID(app, ods: "ZX1")))
            let practice = try #require(
                try await Organisation.query(on: app.db).filter(\.$odsCode == "ZX201").first())
            #expect(practice.$administeredBy.id == (try await organisationID(app, ods: "QWO")))
            #expect(try await auditCount(app, action: "organisation.import.create") == 3)
        }
    }

    @Test("The command's importer is idempotent and updates what changed")
    func importerIsIdempotent() async throws {
        try await withTestApp { app, clock in
            let importer = OrganisationImporter(database: app.db, now: clock.current, audit: .system)
            let first = try await importer.importCSV(Self.csv)
            #expect(first == .init(created: 3, updated: 0, unchanged: 0))
            let count = try await organisationCount(app)
            let second = try await importer.importCSV(Self.csv)
            #expect(second == .init(created: 0, updated: 0, unchanged: 3))
            #expect(try await organisationCount(app) == count)

            let renamed = Self.csv.replacingOccurrences(of: "Horbury Surgery", with: "Horbury Medical Practice")
            let third = try await importer.importCSV(renamed)
            #expect(third == .init(created: 0, updated: 1, unchanged: 2))
            let practice = try #require(
                try await Organisation.query(on: app.db).filter(\.$odsCode == "ZX201").first())
            #expect(practice.name == "Horbury Medical Practice")
            #expect(try await auditCount(app, action: "organisation.import.update") == 1)

            // Re-importing demo organisations keyed by ODS code leaves them as they are.
            let demo =
                "ods_code,name,type,postcode,region,parent\nRR801,St James's University Hospital,trust_site,LS9 7TF,north_east_and_yorkshire,RR8\n"
            #expect(try await importer.importCSV(demo) == .init(created: 0, updated: 0, unchanged: 1))
        }
    }

    @Test("A file with a bad row saves nothing", arguments: ["bad type", "unknown parent"])
    func badRowSavesNothing(problem: String) async throws {
        try await withTestApp { app, clock in
            let bad =
                problem == "bad type"
                ? "ZX301,Broken,hospital,,,,," : "ZX301,Orphan Site,trust_site,,,ZZ999,,"
            let csv = Self.csv + "\n" + bad + "\n"
            let before = try await organisationCount(app)
            let audits = try await auditCount(app, action: "organisation.import.create")
            let importer = OrganisationImporter(database: app.db, now: clock.current, audit: .system)
            await #expect(throws: ValidationErrors.self) { try await importer.importCSV(csv) }
            let after = try await organisationCount(app)
            #expect(after == before)
            let auditsAfter = try await auditCount(app, action: "organisation.import.create")
            #expect(auditsAfter == audits)

            let nadia = try await signIn(app, email: Demo.nadia)
            let page = try await uploadCSV(app, nadia, csv: csv)
            #expect(page.status == .unprocessableEntity)
            #expect(page.body.string.contains("Line 5"))
            #expect(try await organisationCount(app) == before)
        }
    }

    @Test("The import page lists every problem in the file, by line")
    func importListsEveryProblem() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let csv = "ods_code,name,type\nZX1,Good Trust,nhs_trust\nZX2,Bad Type,hospital\nZX3,,nhs_trust\n"
            let page = try await uploadCSV(app, nadia, csv: csv)
            #expect(page.status == .unprocessableEntity)
            let html = page.body.string
            #expect(html.contains("The file has 2 problems"))
            #expect(html.contains("Line 3: type"))
            #expect(html.contains("Line 4: Enter the organisation"))
        }
    }

    @Test("Create through the page, then edit; both are audited")
    func createThenEdit() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let created = try await app.post(
                "/organisations/new",
                form: [
                    ("odsCode", "zx9"), ("name", "Calderdale Trust"), ("type", "nhs_trust"), ("country", "england"),
                    ("region", "north_east_and_yorkshire"), ("postcode", "hx3 0pw"), ("administeredByOds", "QWO"),
                    ("_csrf", nadia.csrf),
                ], headers: nadia.headers)
            #expect(created.status == .seeOther)
            let organisation = try #require(
                try await Organisation.query(on: app.db).filter(\.$odsCode == "ZX9").first())
            let id = try organisation.requireID()
            #expect(created.location?.hasPrefix("/organisations/\(lower(id))") == true)
            #expect(organisation.postcode == "HX3 0PW")

            let edited = try await app.post(
                "/organisations/\(lower(id))/edit",
                form: [
                    ("odsCode", "ZX9"), ("name", "Calderdale and Huddersfield Trust"), ("type", "nhs_trust"),
                    ("country", "england"), ("region", "north_east_and_yorkshire"), ("postcode", "HX3 0PW"),
                    ("_csrf", nadia.csrf),
                ], headers: nadia.headers)
            #expect(edited.status == .seeOther)
            let saved = try #require(try await Organisation.find(id, on: app.db))
            #expect(saved.name == "Calderdale and Huddersfield Trust")
            #expect(saved.$administeredBy.id == nil)

            let page = try await app.get("/organisations/\(lower(id))", headers: nadia.headers)
            #expect(page.body.string.contains("Calderdale and Huddersfield Trust"))
            #expect(try await audits(app, target: id) == ["organisation.create", "organisation.update"])
        }
    }

    @Test("Every bad field of the form is shown at once and nothing is saved")
    func createInvalid() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let before = try await organisationCount(app)
            let response = try await app.post(
                "/organisations/new",
                form: [
                    ("odsCode", "R!"), ("name", ""), ("type", ""), ("country", "england"), ("postcode", "nope"),
                    ("parentOds", "ZZ999"), ("_csrf", nadia.csrf),
                ], headers: nadia.headers)
            #expect(response.status == .unprocessableEntity)
            let html = response.body.string
            for message in ["Enter the organisation", "ODS code must be", "Select the type", "Enter a real postcode"] {
                #expect(html.contains(message), "\(message)")
            }
            #expect(try await organisationCount(app) == before)
        }
    }

    @Test("Closing an organisation with accounts needs a successor, and its accounts move there")
    func closeNeedsSuccessor() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let rr813 = try await organisationID(app, ods: "RR813")
            let path = "/organisations/\(lower(rr813))/close"

            let refused = try await app.post(path, form: [("_csrf", nadia.csrf)], headers: nadia.headers)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.string.contains("1 account"))
            #expect(try await Organisation.find(rr813, on: app.db)?.status != .closed)

            let closed = try await app.post(
                path, form: [("successorOds", "RR8"), ("_csrf", nadia.csrf)], headers: nadia.headers)
            #expect(closed.status == .seeOther)
            let organisation = try #require(try await Organisation.find(rr813, on: app.db))
            let rr8 = try await organisationID(app, ods: "RR8")
            #expect(organisation.status == .closed)
            #expect(organisation.$successor.id == rr8)
            let tom = try #require(try await Account.query(on: app.db).filter(\.$address == Demo.tom).first())
            #expect(tom.$organisation.id == rr8)
            #expect(try await audits(app, target: rr813) == ["organisation.close"])

            let again = try await app.post(
                path, form: [("successorOds", "RR8"), ("_csrf", nadia.csrf)], headers: nadia.headers)
            #expect(again.status == .unprocessableEntity, "a closed organisation cannot close again")
        }
    }

    @Test("An organisation without accounts closes without a successor")
    func closeWithoutAccounts() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let site = try await organisationID(app, ods: "R0A07")
            let response = try await app.post(
                "/organisations/\(lower(site))/close", form: [("_csrf", nadia.csrf)], headers: nadia.headers)
            #expect(response.status == .seeOther)
            #expect(try await Organisation.find(site, on: app.db)?.status == .closed)
        }
    }

    @Test("Merging moves sites, administered organisations, accounts and grants to the target")
    func merge() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let r0a = try await organisationID(app, ods: "R0A")
            let rj1 = try await organisationID(app, ods: "RJ1")
            // Give R0A something it administers, too.
            let care = try #require(try await Organisation.query(on: app.db).filter(\.$odsCode == "VM001").first())
            care.$administeredBy.id = r0a
            try await care.save(on: app.db)

            let missing = try await app.post(
                "/organisations/\(lower(r0a))/merge", form: [("_csrf", nadia.csrf)], headers: nadia.headers)
            #expect(missing.status == .unprocessableEntity, "a merge needs a target")

            let response = try await app.post(
                "/organisations/\(lower(r0a))/merge", form: [("successorOds", "rj1"), ("_csrf", nadia.csrf)],
                headers: nadia.headers)
            #expect(response.status == .seeOther)
            let merged = try #require(try await Organisation.find(r0a, on: app.db))
            #expect(merged.status == .closed)
            #expect(merged.$successor.id == rj1)
            for ods in ["R0A02", "R0A07"] {
                let site = try #require(try await Organisation.query(on: app.db).filter(\.$odsCode == ods).first())
                #expect(site.$parent.id == rj1, "\(ods) moves to RJ1")
            }
            #expect(try await Organisation.find(care.requireID(), on: app.db)?.$administeredBy.id == rj1)
            let mia = try #require(try await Account.query(on: app.db).filter(\.$address == Demo.mia).first())
            #expect(mia.$organisation.id == rj1)
            #expect(try await grants(app, email: Demo.mia).map(\.$organisation.id) == [rj1])
            #expect(try await audits(app, target: r0a) == ["organisation.merge"])

            // Mia's scope follows: she now administers Guy's and St Thomas' and the moved sites.
            let token = try await apiToken(app, email: Demo.mia)
            #expect(try await app.get("/api/v1/organisations/R0A02", headers: bearer(token)).status == .ok)
            #expect(try await app.get("/api/v1/organisations/RJ122", headers: bearer(token)).status == .ok)
        }
    }

    @Test("An organisation cannot be moved under one of its own descendants")
    func noCycles() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            let rr8 = try await organisationID(app, ods: "RR8")
            let response = try await app.post(
                "/organisations/\(lower(rr8))/edit",
                form: [
                    ("odsCode", "RR8"), ("name", "Leeds Teaching Hospitals NHS Trust"), ("type", "nhs_trust"),
                    ("country", "england"), ("parentOds", "RR801"), ("_csrf", nadia.csrf),
                ], headers: nadia.headers)
            #expect(response.status == .unprocessableEntity)
            #expect(try await Organisation.find(rr8, on: app.db)?.$parent.id == nil)
        }
    }

    /// The audit actions recorded against one organisation, oldest first.
    private func audits(_ app: Application, target: UUID) async throws -> [String] {
        struct Row: Decodable { let action: String }
        return try await (app.db as! any SQLDatabase).raw(
            """
            SELECT action FROM audit_events WHERE target_type = 'organisation' AND target_id = \(bind: target.uuidString)
            ORDER BY occurred_at, action
            """
        ).rows(Row.self).map(\.action)
    }
}
