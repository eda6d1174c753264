import Foundation
import Testing
import VaporTesting

@testable import OnboardApp

@Suite("Finding accounts: the list page and GET /api/v1/accounts")
struct AccountSearchTests {
    struct Listed: Decodable {
        struct Item: Decodable {
            struct Mailbox: Decodable {
                let state: String
                let lastMailLogin: Date?
            }
            let address: String
            let ods: String?
            let mailbox: Mailbox
        }
        let items: [Item]
        let next: Bool
    }

    @Test("The API lists only the accounts in the caller's organisations, with their mailbox state")
    func scoped() async throws {
        try await withTestApp { app, _ in
            let liam = try await apiToken(app, email: Demo.liam)
            let response = try await app.get("/api/v1/accounts?pageSize=100", headers: bearer(liam))
            #expect(response.status == .ok)
            let listed = try JSONDecoder.iso.decode(Listed.self, from: response.body)
            #expect(listed.items.contains { $0.address == Demo.uma })
            #expect(listed.items.allSatisfy { $0.ods?.hasPrefix("RR8") == true })
            #expect(!listed.items.contains { $0.address == Demo.mia })
            #expect(listed.items.first { $0.address == Demo.uma }?.mailbox.state == "receiving")
        }
    }

    @Test("The API pages: a page of one says another follows, and a bad page size names the field")
    func paged() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.nadia)
            let first = try await app.get("/api/v1/accounts?pageSize=1&page=1", headers: bearer(token))
            let listed = try JSONDecoder.iso.decode(Listed.self, from: first.body)
            #expect(listed.items.count == 1)
            #expect(listed.next)
            let bad = try await app.get("/api/v1/accounts?pageSize=1000", headers: bearer(token))
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("pageSize"))
            let deep = try await app.get("/api/v1/accounts?page=100001", headers: bearer(token))
            #expect(deep.status == .unprocessableEntity)
            #expect(deep.body.string.contains("page"))
            let search = try await app.get("/api/v1/accounts?q=SINGH", headers: bearer(token))
            let found = try JSONDecoder.iso.decode(Listed.self, from: search.body)
            #expect(found.items.map(\.address).contains(Demo.uma))
        }
    }

    @Test("A plain user's token may not list accounts")
    func usersRefused() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.uma)
            #expect(try await app.get("/api/v1/accounts", headers: bearer(token)).status == .forbidden)
        }
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
