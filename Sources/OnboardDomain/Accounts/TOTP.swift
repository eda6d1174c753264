import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 6 digits, 30-second steps, the
/// defaults every authenticator app understands.
public struct TOTP: Sendable {
    public let secret: [UInt8]
    public static let step: TimeInterval = 30
    public static let digits = 6
    /// Steps either side of now that are accepted, for clock drift between phone and server.
    public static let drift: Int64 = 1
    public static let secretBytes = 20

    public init(secret: [UInt8]) { self.secret = secret }

    public static func counter(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / step).rounded(.down))
    }

    /// The code for one step (RFC 4226 section 5.3: dynamic truncation).
    public func code(counter: Int64) -> String {
        var big = counter.bigEndian
        let message = withUnsafeBytes(of: &big) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let value =
            (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
        return String(format: "%06u", value % 1_000_000)
    }

    public func code(at date: Date) -> String { code(counter: Self.counter(at: date)) }

    /// The step a typed code belongs to, if it is within the drift window and later than the last step
    /// used: a code already used (or an older one) is refused, so a watched code cannot be replayed.
    public func verify(_ typed: String, at date: Date, lastUsedStep: Int64?) -> Int64? {
        let candidate = typed.filter { !$0.isWhitespace }
        guard candidate.count == Self.digits, candidate.allSatisfy(\.isASCII), candidate.allSatisfy(\.isNumber)
        else { return nil }
        let now = Self.counter(at: date)
        for counter in (now - Self.drift)...(now + Self.drift) where counter > (lastUsedStep ?? Int64.min) {
            if constantTimeEqual(code(counter: counter), candidate) { return counter }
        }
        return nil
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The `otpauth://` link an authenticator app reads (the Key Uri Format).
    public func provisioningURI(account: String, issuer: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~@")
        let label = "\(issuer):\(account)".addingPercentEncoding(withAllowedCharacters: allowed) ?? account
        let issuerValue = issuer.addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(issuerValue)&algorithm=SHA1"
            + "&digits=\(Self.digits)&period=\(Int(Self.step))"
    }
}

/// RFC 4648 base32, as authenticator apps expect secrets: upper case, no padding.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = ""
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[(buffer >> bits) & 31])
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for character in text.uppercased() where character != "=" && character != " " {
            guard let index = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | index
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> bits) & 0xff))
            }
        }
        return out
    }

    /// Groups of four for reading a secret off the screen.
    public static func grouped(_ text: String) -> String {
        let characters = Array(text)
        return stride(from: 0, to: characters.count, by: 4).map {
            String(characters[$0..<min($0 + 4, characters.count)])
        }.joined(separator: " ")
    }
}
