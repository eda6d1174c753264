import Foundation
import Vapor

/// A named, typed path parameter: routes are registered with its name, links are built with its value, and
/// a handler reads it back typed, so the three cannot disagree.
struct PathParameter<Value: Sendable>: Sendable {
    let name: String
    let parse: @Sendable (String) -> Value?

    var key: PathComponent { .parameter(name) }

    func value(in req: Request) -> Value? { req.parameters.get(name).flatMap(parse) }
}

extension PathParameter where Value == UUID {
    static func uuid(_ name: String) -> Self { .init(name: name) { UUID(uuidString: $0) } }

    /// The record the page is about.
    static let id = uuid("id")
    /// A role grant, on a person's page.
    static let grant = uuid("grant")
    /// A member's account, on a shared mailbox's page.
    static let member = uuid("member")
    /// A cohort of a programme's waiting list.
    static let cohort = uuid("cohort")
    /// A transfer batch of a migration.
    static let batch = uuid("batch")
    /// An item of a transfer batch.
    static let item = uuid("item")
}

extension PathParameter where Value == String {
    static func text(_ name: String) -> Self { .init(name: name) { $0 } }

    static let kind = text("kind")
    static let step = text("step")
    static let token = text("token")
    static let code = text("code")
    static let file = text("file")
    static let action = text("action")
    static let key = text("key")
}

extension PathParameter where Value == Int {
    static let seq = PathParameter(name: "seq") { Int($0) }
}

extension UUID {
    /// Stands in for an id when only a route's pattern is wanted: the pattern names its parameters and
    /// never depends on the value.
    static let placeholder = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
}

extension SiteURL {
    /// One part of an address.
    enum Segment: Sendable, ExpressibleByStringLiteral {
        case literal(String)
        case uuid(PathParameter<UUID>, UUID)
        case text(PathParameter<String>, String)
        case number(PathParameter<Int>, Int)

        init(stringLiteral value: String) { self = .literal(value) }

        var value: String {
            switch self {
            case .literal(let word): word
            case .uuid(_, let id): id.uuidString.lowercased()
            case .text(_, let text): text
            case .number(_, let number): String(number)
            }
        }

        var component: PathComponent {
            switch self {
            case .literal(let word): .constant(word)
            case .uuid(let parameter, _): parameter.key
            case .text(let parameter, _): parameter.key
            case .number(let parameter, _): parameter.key
            }
        }
    }
}
