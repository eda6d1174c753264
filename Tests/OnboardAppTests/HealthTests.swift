import Foundation
import Testing
import VaporTesting

@testable import OnboardApp

@Suite("Health")
struct HealthTests {
    @Test("GET /health answers ok and names the database, without sign-in")
    func health() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get("/health")
            #expect(response.status == .ok)
            struct Health: Decodable, Equatable {
                let status: String
                let database: String
            }
            let body = try JSONDecoder().decode(Health.self, from: Data(buffer: response.body))
            #expect(body == Health(status: "ok", database: TestDatabase.kindName))
        }
    }
}
