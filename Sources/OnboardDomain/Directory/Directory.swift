/// The national directory (issue 21): what can be searched for, how typed text is folded to match the
/// index, and the directory details a person or their Local Administrator can change.
public enum DirectoryKind: String, CaseIterable, Sendable, Codable {
    case people, organisations, shared

    /// The `kind` of its rows in `directory_entries`.
    public var entryKind: String {
        switch self {
        case .people: "person"
        case .organisations: "organisation"
        case .shared: "shared"
        }
    }

    public var label: String {
        switch self {
        case .people: "People"
        case .organisations: "Organisations"
        case .shared: "Shared mailboxes"
        }
    }
}

public enum DirectoryText {
    /// Trigram indexes cannot narrow anything shorter.
    public static let minimumWord = 3
    public static let maximumText = 100

    /// Lower case with accents and apostrophes gone, so `O'Brien` finds `obrien`, `Sian` finds `Siân`,
    /// `Nguyen` finds `Nguyễn` and `Weiss` finds `Weiß`. The database folds indexed text the same way.
    public static func fold(_ text: String) -> String {
        var out = ""
        for character in text {
            if let replacement = AccountNaming.special[character] {
                out += replacement
                continue
            }
            if "'’‘`´ʼ".contains(character) { continue }
            if let ascii = character.asciiValue {
                out.unicodeScalars.append(Unicode.Scalar((0x41...0x5A).contains(ascii) ? ascii + 0x20 : ascii))
                continue
            }
            for scalar in String(character).decomposedStringWithCanonicalMapping.unicodeScalars
            where scalar.properties.generalCategory != .nonspacingMark {
                out += String(scalar).lowercased()
            }
        }
        return out
    }

    /// The folded words of a search, each of which an entry must contain.
    public static func words(_ text: String) -> [String] {
        fold(text).split(whereSeparator: \.isWhitespace).map(String.init)
    }

    public enum Problem: Equatable, Sendable {
        case empty, tooShort, tooLong
    }

    /// Why a search cannot run, or nil when it can: every word must have three or more characters, so that
    /// each one narrows the index instead of scanning it.
    public static func problem(_ text: String) -> Problem? {
        let words = words(text)
        if words.isEmpty { return .empty }
        if text.count > maximumText { return .tooLong }
        if words.contains(where: { $0.count < minimumWord }) { return .tooShort }
        return nil
    }
}

/// A person's directory details: job title, department and work phone. Never their mobile number, which is
/// only for security codes.
public struct DirectoryDetails: Equatable, Sendable {
    public var jobTitle: String
    public var department: String
    public var workPhone: String

    public static let maximumLength = 100

    public init(jobTitle: String, department: String, workPhone: String) {
        self.jobTitle = jobTitle.tidied
        self.department = department.tidied
        self.workPhone = workPhone.tidied
    }

    /// The details as stored, where a field never given is nothing.
    public init(stored jobTitle: String?, department: String?, workPhone: String?) {
        self.init(jobTitle: jobTitle ?? "", department: department ?? "", workPhone: workPhone ?? "")
    }

    public func problems() -> ValidationErrors {
        var errors = ValidationErrors()
        if jobTitle.count > Self.maximumLength {
            errors.add("jobTitle", "Job title must be \(Self.maximumLength) characters or fewer")
        }
        if department.count > Self.maximumLength {
            errors.add("department", "Department must be \(Self.maximumLength) characters or fewer")
        }
        if !workPhone.isEmpty {
            let digits = workPhone.filter(\.isASCIIDigit)
            let allowed = workPhone.allSatisfy { $0.isASCIIDigit || " +()-".contains($0) }
            if !allowed || !(10...15).contains(digits.count) {
                errors.add("workPhone", "Enter a work phone number, like 0113 496 0000 or +44 113 496 0000")
            } else if workPhone.dropFirst().contains("+") {
                errors.add("workPhone", "Enter a work phone number, like 0113 496 0000 or +44 113 496 0000")
            }
        }
        return errors
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
