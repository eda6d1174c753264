import Foundation

extension Data {
    /// Base64 with the URL-safe alphabet and no padding: for tokens and cursors that travel in URLs.
    public var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A keyset position in a list ordered by (name, id): opaque to callers, checked when read back.
public struct NameCursor: Equatable, Sendable {
    public let name: String
    public let id: UUID

    public init(name: String, id: UUID) {
        self.name = name
        self.id = id
    }

    public var encoded: String {
        Data((id.uuidString + "|" + name).utf8).base64URLEncoded
    }

    public init?(encoded: String) {
        var base = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        guard let data = Data(base64Encoded: base), let text = String(data: data, encoding: .utf8),
            let bar = text.firstIndex(of: "|"), let id = UUID(uuidString: String(text[..<bar]))
        else { return nil }
        self.id = id
        self.name = String(text[text.index(after: bar)...])
    }
}

/// The query of an organisation list, checked as a whole so every bad field is reported together.
public struct OrganisationQuery: Equatable, Sendable {
    public var text: String?
    public var type: OrganisationType?
    public var region: String?
    public var limit: Int
    public var after: NameCursor?

    public init(text: String?, type: OrganisationType?, region: String?, limit: Int, after: NameCursor?) {
        self.text = text
        self.type = type
        self.region = region
        self.limit = limit
        self.after = after
    }

    public static let defaultLimit = 50
    public static let maximumLimit = 200

    public static func validate(
        q: String?, type: String?, region: String?, limit: Int?, cursor: String?, knownRegions: Set<String>
    ) -> Result<OrganisationQuery, ValidationErrors> {
        var errors = ValidationErrors()
        let text = q?.tidied
        if let text, text.count > 100 { errors.add("q", "Search text must be 100 characters or fewer") }
        var parsedType: OrganisationType?
        if let type, !type.isEmpty {
            parsedType = OrganisationType(rawValue: type)
            if parsedType == nil {
                let known = OrganisationType.allCases.map(\.rawValue).joined(separator: ", ")
                errors.add("type", "Type must be one of: \(known)")
            }
        }
        var parsedRegion: String?
        if let region, !region.isEmpty {
            if knownRegions.contains(region) {
                parsedRegion = region
            } else {
                errors.add("region", "Region must be one of: \(knownRegions.sorted().joined(separator: ", "))")
            }
        }
        let limit = limit ?? defaultLimit
        if !(1...maximumLimit).contains(limit) { errors.add("limit", "Limit must be between 1 and \(maximumLimit)") }
        var after: NameCursor?
        if let cursor, !cursor.isEmpty {
            after = NameCursor(encoded: cursor)
            if after == nil { errors.add("cursor", "Cursor is not one this service gave out; start again without it") }
        }
        guard errors.isEmpty else { return .failure(errors) }
        return .success(
            OrganisationQuery(
                text: text?.isEmpty == true ? nil : text, type: parsedType, region: parsedRegion, limit: limit,
                after: after))
    }
}
