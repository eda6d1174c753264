import Foundation

/// Account addresses and display names (DOMAIN.md, "Accounts"): `firstname.lastname`, folded to lower-case
/// ASCII, with a numeric suffix from 2 on collision; `SURNAME Firstname (Organisation Name)`.
public enum AccountNaming {
    /// RFC 5321 allows 64 octets before the @; room is kept for a collision suffix.
    public static let localPartLimit = 64
    static let suffixRoom = 4

    /// Letters that do not decompose into a base letter and an accent.
    static let special: [Character: String] = [
        "ß": "ss", "ẞ": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l",
        "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i", "ŋ": "n", "Ŋ": "n",
    ]

    /// One name part folded to `[a-z0-9-]`: accents removed, apostrophes dropped, spaces and hyphens as
    /// single hyphens. Empty when nothing Latin is left.
    public static func fold(_ name: String) -> String {
        var out = ""
        for character in name {
            if let replacement = special[character] {
                out += replacement
                continue
            }
            if "'’‘`´ʼ".contains(character) { continue }
            if character.isWhitespace || character == "-" || character == "‐" || character == "–" {
                out += "-"
                continue
            }
            // Most names are plain ASCII: no decomposition needed, and punctuation is dropped.
            if let ascii = character.asciiValue {
                switch ascii {
                case 0x41...0x5A: out.unicodeScalars.append(Unicode.Scalar(ascii + 0x20))
                case 0x61...0x7A, 0x30...0x39: out.unicodeScalars.append(Unicode.Scalar(ascii))
                default: break
                }
                continue
            }
            let base = String(character).decomposedStringWithCanonicalMapping.unicodeScalars.filter {
                $0.properties.generalCategory != .nonspacingMark
            }
            for scalar in base where scalar.isASCII {
                let c = Character(scalar).lowercased()
                if c.allSatisfy({ $0.isLetter || $0.isNumber }) { out += c }
            }
        }
        let parts = out.split(separator: "-", omittingEmptySubsequences: true)
        return parts.joined(separator: "-")
    }

    /// The part before the @, or nil when folding leaves nothing usable and the LA must type it.
    /// A person with a single name gets that name alone.
    public static func localPart(givenName: String, familyName: String) -> String? {
        let given = fold(givenName)
        let family = fold(familyName)
        let hasGiven = !givenName.trimmingCharacters(in: .whitespaces).isEmpty
        let hasFamily = !familyName.trimmingCharacters(in: .whitespaces).isEmpty
        // A name that was typed but folds to nothing (another script) cannot be guessed at.
        if (hasGiven && given.isEmpty) || (hasFamily && family.isEmpty) { return nil }
        let parts = [given, family].filter { !$0.isEmpty }
        guard !parts.isEmpty else { return nil }
        let room = localPartLimit - suffixRoom
        if parts.count == 1 { return trimmed(String(parts[0].prefix(room))) }
        // Long names: keep the whole surname where possible, shortening the first name first.
        let familyPart = String(family.prefix(room - 2))
        let givenPart = String(given.prefix(max(1, room - 1 - familyPart.count)))
        return trimmed(givenPart) + "." + trimmed(familyPart)
    }

    private static func trimmed(_ part: String) -> String {
        String(part.drop(while: { $0 == "-" }).reversed().drop(while: { $0 == "-" }).reversed())
    }

    /// The first of `base`, `base2`, `base3`… that is not taken. Taken addresses include every one ever
    /// reserved: addresses are never reused.
    public static func firstFree(_ base: String, taken: (String) -> Bool) -> String {
        if !taken(base) { return base }
        var n = 2
        while taken("\(base)\(n)") { n += 1 }
        return "\(base)\(n)"
    }

    /// A full name as people write it, split into a first name and a surname: the last word is the surname,
    /// the rest the first name ("Mary Ann Lee" is Mary Ann, Lee); a single word is a surname alone.
    public static func split(fullName: String) -> (givenName: String, familyName: String) {
        let words = fullName.tidied.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let family = words.last else { return ("", "") }
        return (words.dropLast().joined(separator: " "), family)
    }

    /// The longest first name or surname kept.
    public static let nameLimit = 100

    /// What is wrong with a person's name, by field (`firstName`, `surname`), or nothing. Both parts are
    /// checked as typed, before tidying, so a hidden character cannot hide behind trimming.
    public static func nameProblems(givenName: String, familyName: String) -> [(field: String, message: String)] {
        var problems: [(field: String, message: String)] = []
        if givenName.tidied.isEmpty && familyName.tidied.isEmpty {
            problems.append(("firstName", "Enter a first name or a surname"))
        }
        if givenName.tidied.count > nameLimit {
            problems.append(("firstName", "First name must be \(nameLimit) characters or fewer"))
        }
        if familyName.tidied.count > nameLimit {
            problems.append(("surname", "Surname must be \(nameLimit) characters or fewer"))
        }
        if let problem = hiddenCharacterProblem(givenName, field: "First name") {
            problems.append(("firstName", problem))
        }
        if let problem = hiddenCharacterProblem(familyName, field: "Surname") {
            problems.append(("surname", problem))
        }
        return problems
    }

    /// Why a name typed or pasted cannot be kept as it is, or nil when it can. Control characters (NUL among
    /// them, which cuts a stored name short while the address is made from all of it), format characters
    /// (right-to-left overrides that make a name read backwards, zero-width spaces and joiners that make two
    /// names look the same), line breaks inside a name and private-use characters are refused, not stripped:
    /// the person can see what they typed and fix it.
    public static func hiddenCharacterProblem(_ name: String, field: String) -> String? {
        let refused = name.unicodeScalars.contains { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .privateUse, .surrogate, .unassigned, .lineSeparator, .paragraphSeparator:
                true
            default: false
            }
        }
        guard refused else { return nil }
        return "\(field) has a hidden or control character in it, such as a right-to-left mark or a zero-width "
            + "space. Type it again rather than pasting it"
    }

    /// Whether an LA-typed local part is acceptable: lower-case letters, digits, dots and hyphens, starting
    /// and ending with a letter or digit, no two dots together, at most 64 characters.
    public static func isValidLocalPart(_ part: String) -> Bool {
        guard (1...localPartLimit).contains(part.count), !part.contains("..") else { return false }
        return part.wholeMatch(of: /[a-z0-9]([a-z0-9.-]*[a-z0-9])?/) != nil
    }

    /// `SURNAME Firstname (Organisation Name)`; a single name stands alone before the organisation.
    public static func displayName(givenName: String, familyName: String, organisation: String) -> String {
        let given = givenName.tidied
        let family = familyName.tidied.uppercased(with: Locale(identifier: "en_GB"))
        let name = [family, given].filter { !$0.isEmpty }.joined(separator: " ")
        return "\(name) (\(organisation.tidied))"
    }
}

extension AccountNaming {
    /// The local part of an address without its trailing digits: `john.smith2@…` and `john.smith@…` share
    /// `john.smith`. Every address `firstFree(base)` could give has the stem of `base`, so one indexed
    /// lookup by stem finds all the candidates a reservation must avoid.
    public static func stem(of address: String) -> String {
        let local = address.split(separator: "@", maxSplits: 1).first.map(String.init) ?? address
        return String(local.reversed().drop(while: \.isNumber).reversed())
    }
}
