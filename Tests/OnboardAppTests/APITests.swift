import Fluent
import Foundation
import NIOCore
import Testing
import VaporTesting

@testable import OnboardApp

@Suite("API")
struct APITests {
    let json: HTTPHeaders = ["Content-Type": "application/json"]

    @Test("No token: 401 as problem+json, asking for a bearer token")
    func noToken() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get("/api/v1/organisations")
            #expect(response.status == .unauthorized)
            #expect(response.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)
            #expect(response.headers.first(name: .wwwAuthenticate) == "Bearer")
            struct Body: Decodable {
                let status: Int
                let title: String
            }
            #expect(try decode(Body.self, response).status == 401)
        }
    }

    @Test("A session cookie alone is not accepted")
    func cookieRefused() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.nadia)
            let response = try await app.get("/api/v1/organisations", headers: session.headers)
            #expect(response.status == .unauthorized)
            #expect(response.isProblemJSON)
        }
    }

    @Test("Unknown and revoked tokens are refused")
    func badTokens() async throws {
        try await withTestApp { app, clock in
            #expect(try await app.get("/api/v1/organisations", headers: bearer("onb_nope")).status == .unauthorized)
            let token = try await apiToken(app, email: Demo.nadia)
            #expect(try await app.get("/api/v1/organisations", headers: bearer(token)).status == .ok)
            let record = try #require(
                try await APIToken.query(on: app.db).filter(\.$tokenHash == SecretHash.sha256Hex(token)).first())
            #expect(record.lastUsedAt == clock.current, "use is recorded")
            record.revokedAt = clock.current
            try await record.save(on: app.db)
            #expect(try await app.get("/api/v1/organisations", headers: bearer(token)).status == .unauthorized)
        }
    }

    @Test("An invalid query is 422 listing every bad field")
    func invalidQuery() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.nadia)
            let response = try await app.get(
                "/api/v1/organisations?limit=0&type=nonsense&cursor=garbage", headers: bearer(token))
            #expect(response.status == .unprocessableEntity)
            #expect(response.isProblemJSON)
            #expect(Set(response.problemFields) == ["limit", "type", "cursor"])
        }
    }

    @Test("Unparseable JSON is 400")
    func unparseableJSON() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.nadia)
            var headers = json
            headers.add(name: .authorization, value: "Bearer \(token)")
            let response = try await app.send(
                .POST, "/api/v1/organisations", headers: headers, body: ByteBuffer(string: "{\"name\": "))
            #expect(response.status == .badRequest)
            #expect(response.isProblemJSON)
        }
    }

    @Test("Invalid fields are 422 listing each one, and nothing is created")
    func invalidFields() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.nadia)
            var headers = json
            headers.add(name: .authorization, value: "Bearer \(token)")
            let before = try await organisationCount(app)
            let response = try await app.send(
                .POST, "/api/v1/organisations", headers: headers,
                body: ByteBuffer(string: #"{"name":"","type":"bad","country":"england","postcode":"nope"}"#))
            #expect(response.status == .unprocessableEntity)
            #expect(response.isProblemJSON)
            #expect(Set(response.problemFields) == ["name", "type", "postcode"])
            #expect(try await organisationCount(app) == before)
        }
    }

    @Test("Only national administrators create organisations: 403 for a Local Administrator")
    func createForbidden() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.liam)
            var headers = json
            headers.add(name: .authorization, value: "Bearer \(token)")
            let response = try await app.send(
                .POST, "/api/v1/organisations", headers: headers,
                body: ByteBuffer(string: #"{"name":"Leeds Annex","type":"trust_site","country":"england"}"#))
            #expect(response.status == .forbidden)
            #expect(response.isProblemJSON)
        }
    }

    @Test("A national administrator creates an organisation: 201, saved and audited")
    func create() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.nadia)
            var headers = json
            headers.add(name: .authorization, value: "Bearer \(token)")
            let response = try await app.send(
                .POST, "/api/v1/organisations", headers: headers,
                body: ByteBuffer(
                    string:
                        #"{"odsCode":"rr8 99","name":"Leeds Annex","type":"trust_site","country":"england","postcode":"ls1 3ex","parentOds":"RR8"}"#
                ))
            #expect(response.status == .created)
            let body = try decode(APIOrganisation.self, response)
            #expect(body.odsCode == "RR899")
            let saved = try #require(try await Organisation.query(on: app.db).filter(\.$odsCode == "RR899").first())
            #expect(saved.postcode == "LS1 3EX")
            #expect(saved.$parent.id == (try await organisationID(app, ods: "RR8")))
            #expect(lower(try saved.requireID()) == body.id)
            #expect(try await auditCount(app, action: "organisation.create") == 1)

            // The same ODS code again is a field problem, not a server error.
            let again = try await app.send(
                .POST, "/api/v1/organisations", headers: headers,
                body: ByteBuffer(string: #"{"odsCode":"RR899","name":"Again","type":"trust_site","country":"england"}"#)
            )
            #expect(again.status == .unprocessableEntity)
            #expect(again.problemFields == ["odsCode"])
        }
    }

    @Test("A query value of the wrong type is 422 naming the parameter")
    func wrongTypeQuery() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.nadia)
            let response = try await app.get("/api/v1/organisations?limit=lots", headers: bearer(token))
            #expect(response.status == .unprocessableEntity)
            #expect(response.isProblemJSON)
            #expect(response.problemFields == ["limit"])
        }
    }

    @Test("Search text, type and region filter the list; LIKE wildcards are taken literally")
    func searchAndFilters() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.nadia)
            func ods(_ query: String) async throws -> Set<String> {
                let response = try await app.get("/api/v1/organisations?limit=200&\(query)", headers: bearer(token))
                #expect(response.status == .ok, "\(query)")
                return Set(try decode(APIPage.self, response).items.compactMap(\.odsCode))
            }
            #expect(try await ods("q=infirmary") == ["RR813", "R0A02"])
            #expect(try await ods("q=rr8") == ["RR8", "RR801", "RR813"])
            #expect(try await ods("region=london") == ["RJ1", "RJ122"])
            #expect(try await ods("type=care_home") == ["VM001", "VM002", "VM003"])
            #expect(try await ods("type=trust_site&region=north_west") == ["R0A02", "R0A07"])
            #expect(try await ods("q=%25").isEmpty)
            #expect(try await ods("q=_").isEmpty)
        }
    }

    @Test("An unknown API path is a problem+json 404")
    func unknownPath() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get("/api/v1/nothing-here")
            #expect(response.status == .notFound)
            #expect(response.isProblemJSON)
        }
    }

    @Test("The OpenAPI document is served without a token")
    func openAPIDocument() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get("/api/v1/openapi.yaml")
            #expect(response.status == .ok)
            #expect(response.body.string.contains("openapi: 3.1"))
            #expect(response.body.string.contains("/organisations/{ods}"))
        }
    }
}
