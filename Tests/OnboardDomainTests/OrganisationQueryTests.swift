import Foundation
import Testing

@testable import OnboardDomain

@Suite("Keyset cursor and organisation query")
struct OrganisationQueryTests {
    let regions: Set<String> = ["north_west", "london"]

    @Test("A cursor survives a round trip, even with awkward names")
    func cursorRoundTrip() {
        for name in ["Guy's and St Thomas'", "A|B|C", "Café ✓", ""] {
            let cursor = NameCursor(name: name, id: UUID())
            let encoded = cursor.encoded
            #expect(!encoded.contains("+") && !encoded.contains("/") && !encoded.contains("="))
            #expect(NameCursor(encoded: encoded) == cursor, "round trip of \(name)")
        }
    }

    @Test("Garbage is not a cursor", arguments: ["garbage", "!!!", "", "aGVsbG8", "bm90LWEtdXVpZHxuYW1l"])
    func garbageRejected(text: String) {
        #expect(NameCursor(encoded: text) == nil)
    }

    @Test("Every bad field is listed together")
    func listsEveryBadField() {
        let result = OrganisationQuery.validate(
            q: String(repeating: "x", count: 101), type: "nonsense", region: "mars", limit: 0, cursor: "garbage",
            knownRegions: regions)
        guard case .failure(let errors) = result else {
            Issue.record("an invalid query was accepted")
            return
        }
        #expect(errors.errors.map(\.field) == ["q", "type", "region", "limit", "cursor"])
    }

    @Test("Defaults and tidying of a good query")
    func goodQuery() throws {
        let id = UUID()
        let query = try OrganisationQuery.validate(
            q: "  leeds   general ", type: "trust_site", region: "north_west", limit: nil,
            cursor: NameCursor(name: "L", id: id).encoded, knownRegions: regions
        ).get()
        #expect(query.text == "leeds general")
        #expect(query.type == .trustSite)
        #expect(query.region == "north_west")
        #expect(query.limit == OrganisationQuery.defaultLimit)
        #expect(query.after == NameCursor(name: "L", id: id))
        let blank = try OrganisationQuery.validate(
            q: "   ", type: "", region: "", limit: 200, cursor: "", knownRegions: regions
        ).get()
        #expect(blank.text == nil && blank.type == nil && blank.region == nil && blank.after == nil)
    }

    @Test("Limit must be 1 to 200")
    func limitBounds() {
        for (limit, ok) in [(1, true), (200, true), (0, false), (201, false), (-5, false)] {
            let result = OrganisationQuery.validate(
                q: nil, type: nil, region: nil, limit: limit, cursor: nil, knownRegions: regions)
            #expect(((try? result.get()) != nil) == ok, "limit \(limit)")
        }
    }
}
