/// One problem with one field, in words a person can act on.
public struct FieldError: Equatable, Sendable, Error {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Every problem with a submission, collected rather than stopping at the first,
/// so a form or an API caller can fix them all at once.
public struct ValidationErrors: Error, Equatable, Sendable {
    public private(set) var errors: [FieldError] = []

    public init(_ errors: [FieldError] = []) {
        self.errors = errors
    }

    public var isEmpty: Bool { errors.isEmpty }

    public mutating func add(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// The first message for each field, for showing next to its input.
    public var byField: [String: String] {
        Dictionary(errors.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first })
    }

    public func message(for field: String) -> String? {
        errors.first { $0.field == field }?.message
    }

    /// Throws self when anything was collected.
    public func throwIfAny() throws(ValidationErrors) {
        if !errors.isEmpty { throw self }
    }
}

extension String {
    /// Trimmed, with runs of inner whitespace collapsed: what people meant to type.
    public var tidied: String {
        split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
