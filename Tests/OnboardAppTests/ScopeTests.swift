import Foundation
import Testing
import VaporTesting

@testable import OnboardApp

/// The organisations API body, as far as these tests need it.
struct APIOrganisation: Decodable, Equatable {
    let id: String
    let odsCode: String?
    let name: String
    let type: String
}

struct APIPage: Decodable {
    let items: [APIOrganisation]
    let nextCursor: String?
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestingHTTPResponse) throws -> T {
    try JSONDecoder().decode(type, from: Data(buffer: response.body))
}

@Suite("Scope")
struct ScopeTests {
    @Test("A Local Administrator cannot read another trust's organisation by page or API")
    func otherTrustIsNotFound() async throws {
        try await withTestApp { app, _ in
            let liam = try await signIn(app, email: Demo.liam)
            let r0a = try await organisationID(app, ods: "R0A")
            let rr801 = try await organisationID(app, ods: "RR801")
            #expect(try await app.get("/organisations/\(lower(r0a))", headers: liam.headers).status == .notFound)
            let own = try await app.get("/organisations/\(lower(rr801))", headers: liam.headers)
            #expect(own.status == .ok)
            #expect(own.body.string.contains("St James"))

            let token = try await apiToken(app, email: Demo.liam)
            let hidden = try await app.get("/api/v1/organisations/R0A", headers: bearer(token))
            #expect(hidden.status == .notFound)
            #expect(hidden.isProblemJSON)
            let visible = try await app.get("/api/v1/organisations/rr801", headers: bearer(token))
            #expect(visible.status == .ok)
            #expect(try decode(APIOrganisation.self, visible).odsCode == "RR801")
        }
    }

    @Test("The administering organisation's LA sees what it administers: QWO's Chloe sees practice B86001")
    func administeredByRelation() async throws {
        try await withTestApp { app, _ in
            let chloe = try await signIn(app, email: Demo.chloe)
            let practice = try await organisationID(app, ods: "B86001")
            #expect(try await app.get("/organisations/\(lower(practice))", headers: chloe.headers).status == .ok)
            let token = try await apiToken(app, email: Demo.chloe)
            for ods in ["B86001", "FHQ01", "FA001", "TP001", "V0002", "VM003"] {
                let response = try await app.get("/api/v1/organisations/\(ods)", headers: bearer(token))
                #expect(response.status == .ok, "Chloe should see \(ods)")
            }
            for ods in ["RR8", "R0A", "X26"] {
                let response = try await app.get("/api/v1/organisations/\(ods)", headers: bearer(token))
                #expect(response.status == .notFound, "Chloe should not see \(ods)")
            }
        }
    }

    @Test("Liam's organisation list holds his trust and its sites, and not Manchester")
    func listIsScoped() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.liam)
            let page = try decode(
                APIPage.self, try await app.get("/api/v1/organisations?limit=200", headers: bearer(token)))
            #expect(Set(page.items.compactMap(\.odsCode)) == ["RR8", "RR801", "RR813"])

            let liam = try await signIn(app, email: Demo.liam)
            let html = try await app.get("/organisations", headers: liam.headers).body.string
            for ods in ["RR8", "RR801", "RR813"] {
                #expect(html.contains("/organisations/\(lower(try await organisationID(app, ods: ods)))\""))
            }
            #expect(!html.contains("Manchester"))
            #expect(!html.contains(lower(try await organisationID(app, ods: "R0A"))))
        }
    }

    @Test("A user with no administrative role cannot open the organisation pages at all")
    func plainUserRefused() async throws {
        try await withTestApp { app, _ in
            let uma = try await signIn(app, email: Demo.uma)
            #expect(try await app.get("/organisations", headers: uma.headers).status == .forbidden)
            #expect(try await app.get("/people", headers: uma.headers).status == .forbidden)
            #expect(try await app.get("/home", headers: uma.headers).status == .ok)
        }
    }

    @Test(
        "Keyset paging with limit=2 walks every page once, in name order, without duplicates",
        arguments: [Demo.nadia, Demo.chloe])
    func keysetPaging(email: String) async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: email)
            let all = try decode(
                APIPage.self, try await app.get("/api/v1/organisations?limit=200", headers: bearer(token)))
            #expect(all.nextCursor == nil)
            var seen: [APIOrganisation] = []
            var cursor: String?
            var pages = 0
            repeat {
                var path = "/api/v1/organisations?limit=2"
                if let cursor { path += "&cursor=\(cursor)" }
                let response = try await app.get(path, headers: bearer(token))
                #expect(response.status == .ok)
                let page = try decode(APIPage.self, response)
                #expect(page.items.count <= 2)
                seen += page.items
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 100
            #expect(Set(seen.map(\.id)).count == seen.count, "no organisation appears twice")
            #expect(seen == all.items, "the pages together are the whole list, in the same order")
            #expect(seen.count > 4)
        }
    }
}
