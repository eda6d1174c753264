import Foundation

/// clamd's INSTREAM protocol, as bytes: the command, length-prefixed chunks, the end mark, and what its
/// reply means. The socket itself belongs to the app's scanner; this is what it says and hears.
public enum Clamd {
    public static let command: [UInt8] = Array("zINSTREAM\0".utf8)
    /// A zero length ends the stream.
    public static let end: [UInt8] = [0, 0, 0, 0]
    /// Chunks stay well below clamd's StreamMaxLength and its read buffer.
    public static let chunkSize = 64 * 1024

    /// One chunk: its length as four big-endian bytes, then the bytes.
    public static func chunk(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
    }

    /// What a scan found. Only `.clean` lets an item through.
    public enum Verdict: Equatable, Sendable {
        case clean
        case infected(signature: String)
        /// Not scanned: too large, encrypted, or the scanner failed. Never treated as clean.
        case notScanned(reason: String)
    }

    /// Reads clamd's reply (`stream: OK`, `stream: NAME FOUND`, `… ERROR`). With `AlertExceedsMax` set,
    /// limits and encryption come back as heuristic "signatures": those are not-scanned, not infections.
    public static func verdict(reply raw: String) -> Verdict {
        let reply = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\0").union(.whitespacesAndNewlines))
        let body = reply.hasPrefix("stream: ") ? String(reply.dropFirst("stream: ".count)) : reply
        if body == "OK" { return .clean }
        if body.hasSuffix(" FOUND") {
            let name = String(body.dropLast(" FOUND".count))
            if name.hasPrefix("Heuristics.Limits.Exceeded") { return .notScanned(reason: "too large to scan") }
            if name.hasPrefix("Heuristics.Encrypted") {
                return .notScanned(reason: "encrypted, so it cannot be scanned")
            }
            return .infected(signature: name)
        }
        if body.contains("size limit exceeded") { return .notScanned(reason: "too large to scan") }
        return .notScanned(reason: "scanner error: \(body.isEmpty ? "no reply" : String(body.prefix(200)))")
    }
}
