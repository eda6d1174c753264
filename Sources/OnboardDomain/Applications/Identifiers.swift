import Foundation

/// The identifiers applicants type, each normalised before it is checked, with a message that says what
/// a valid one looks like.
public enum Identifiers {
    /// An email address, loosely: one @, something either side, a dot in the domain, no spaces.
    public static func normaliseEmail(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    public static func isValidEmail(_ email: String) -> Bool {
        guard email.count <= 254, !email.contains(where: { $0.isWhitespace }) else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
    }

    /// A UK mobile number as +447 and nine digits, from what people type: 07700 900123, +44 (0)7700-900123.
    public static func normaliseUKMobile(_ raw: String) -> String? {
        var digits = raw.replacingOccurrences(of: "(0)", with: "").filter { $0.isNumber || $0 == "+" }
        if digits.hasPrefix("+44") {
            digits = "0" + digits.dropFirst(3)
        } else if digits.hasPrefix("0044") {
            digits = "0" + digits.dropFirst(4)
        } else if digits.hasPrefix("44"), digits.count == 12 {
            digits = "0" + digits.dropFirst(2)
        }
        guard digits.count == 11, digits.hasPrefix("07"), digits.allSatisfy(\.isNumber) else { return nil }
        // 070 is personal numbering and 076 pagers, except 07624 (Isle of Man mobiles).
        if digits.hasPrefix("070") || (digits.hasPrefix("076") && !digits.hasPrefix("07624")) { return nil }
        return "+44" + digits.dropFirst()
    }

    /// A stored +447… number as people write it: 07700 900123.
    public static func displayUKMobile(_ stored: String) -> String {
        guard stored.hasPrefix("+44"), stored.count == 13 else { return stored }
        let national = "0" + stored.dropFirst(3)
        return national.prefix(5) + " " + national.dropFirst(5)
    }

    /// General Pharmaceutical Council premises registration: seven digits.
    public static func normaliseGPhCPremises(_ raw: String) -> String? {
        let code = raw.filter { !$0.isWhitespace }
        return code.wholeMatch(of: /[0-9]{7}/) != nil ? code : nil
    }

    /// General Optical Council registration: 01- (optometrists) or D- (dispensing opticians) and digits.
    public static func normaliseGOC(_ raw: String) -> String? {
        let code = raw.filter { !$0.isWhitespace }.uppercased()
        return code.wholeMatch(of: /(01|D)-[0-9]{4,6}/) != nil ? code : nil
    }

    /// General Dental Council registration: up to six digits.
    public static func normaliseGDC(_ raw: String) -> String? {
        let code = raw.filter { !$0.isWhitespace }
        return code.wholeMatch(of: /[0-9]{1,6}/) != nil ? code : nil
    }

    /// Care Quality Commission location id: "1-" and nine to eleven digits.
    public static func normaliseCQCLocation(_ raw: String) -> String? {
        let code = raw.filter { !$0.isWhitespace }
        return code.wholeMatch(of: /1-[0-9]{9,11}/) != nil ? code : nil
    }
}

/// An application's reference, such as APP-7K3Q-9X2M: 40 random bits in an alphabet without 0, 1, I or O,
/// so it can be read over the phone. It names an application; it never grants access to one.
public enum ApplicationReference {
    public static let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")

    /// Eight characters from five random bytes (40 bits, 5 bits per character).
    public static func make(from bytes: [UInt8]) -> String {
        precondition(bytes.count >= 5, "a reference needs five random bytes")
        var value: UInt64 = 0
        for byte in bytes.prefix(5) { value = value << 8 | UInt64(byte) }
        var characters: [Character] = []
        for index in (0..<8).reversed() {
            characters.append(alphabet[Int((value >> (UInt64(index) * 5)) & 31)])
        }
        return "APP-" + String(characters[0..<4]) + "-" + String(characters[4..<8])
    }

    /// The canonical form of what someone typed, or nil when it cannot be a reference.
    public static func normalise(_ raw: String) -> String? {
        let compact = raw.uppercased().filter { $0.isLetter || $0.isNumber }
        guard compact.hasPrefix("APP"), compact.count == 11 else { return nil }
        let body = Array(compact.dropFirst(3))
        guard body.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return "APP-" + String(body[0..<4]) + "-" + String(body[4..<8])
    }
}
