extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, two digits a byte. Written out by table because `String(format: "%02x")`
    /// per byte cost 3 % of an API call's CPU (the token's digest is made on every call).
    public var lowercaseHex: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            bytes.append(hexDigits[Int(byte >> 4)])
            bytes.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)
