import Foundation

/// Splits mail into what is scanned one by one: an mbox into messages, a message into its MIME parts
/// (decoded from base64 or quoted-printable), so a verdict names the attachment, not just the file.
public enum MailItems {
    public struct Part: Equatable, Sendable {
        /// The attachment's file name, or a description such as "message body".
        public let name: String
        public let contentType: String
        public let bytes: [UInt8]
    }

    public enum SplitError: Error, Equatable, Sendable {
        case tooLarge
        case tooDeep
    }

    /// Messages of an mbox: each starts at a line beginning `From ` at the start of the file or after a
    /// blank line. `>From ` quoting is undone.
    public static func messages(inMbox bytes: [UInt8]) -> [[UInt8]] {
        var starts: [Int] = []
        var lineStart = 0
        var previousBlank = true
        var i = 0
        while i <= bytes.count {
            if i == bytes.count || bytes[i] == 0x0A {
                let line = bytes[lineStart..<i]
                if previousBlank, line.starts(with: Array("From ".utf8)) { starts.append(lineStart) }
                previousBlank = line.isEmpty || line == [0x0D]
                lineStart = i + 1
            }
            i += 1
        }
        guard !starts.isEmpty else { return bytes.isEmpty ? [] : [bytes] }
        return starts.enumerated().map { index, start in
            let end = index + 1 < starts.count ? starts[index + 1] : bytes.count
            // Drop the envelope line; the message starts after it.
            var body = Array(bytes[start..<end])
            if let newline = body.firstIndex(of: 0x0A) { body.removeSubrange(0...newline) }
            return unquoteFrom(body)
        }
    }

    static func unquoteFrom(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var atLineStart = true
        var i = 0
        while i < bytes.count {
            if atLineStart, bytes[i] == UInt8(ascii: ">") {
                var j = i
                while j < bytes.count, bytes[j] == UInt8(ascii: ">") { j += 1 }
                if bytes[j...].starts(with: Array("From ".utf8)) { i += 1 }
            }
            out.append(bytes[i])
            atLineStart = bytes[i] == 0x0A
            i += 1
        }
        return out
    }

    /// Every leaf part of a message, decoded. Nested messages and multiparts are opened up to a depth,
    /// and the decoded bytes are counted against `limit`.
    public static func parts(of message: [UInt8], limit: Int, depth: Int = 0) throws(SplitError) -> [Part] {
        guard depth < 10 else { throw .tooDeep }
        let (headers, body) = split(message)
        let type = headers["content-type"] ?? "text/plain"
        let mediaType =
            type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            ?? "text/plain"
        if mediaType.hasPrefix("multipart/"), let boundary = parameter("boundary", in: type) {
            var parts: [Part] = []
            var used = 0
            for section in sections(of: body, boundary: boundary) {
                let inner = try self.parts(of: section, limit: limit - used, depth: depth + 1)
                used += inner.reduce(0) { $0 + $1.bytes.count }
                parts += inner
            }
            return parts
        }
        let decoded = decode(body, encoding: headers["content-transfer-encoding"]?.lowercased() ?? "7bit")
        guard decoded.count <= limit else { throw .tooLarge }
        if mediaType == "message/rfc822" { return try parts(of: decoded, limit: limit, depth: depth + 1) }
        let disposition = headers["content-disposition"] ?? ""
        let name =
            parameter("filename", in: disposition) ?? parameter("name", in: type)
            ?? (mediaType.hasPrefix("text/") ? "message body" : "unnamed \(mediaType) part")
        return [Part(name: name, contentType: mediaType, bytes: decoded)]
    }

    /// Headers (names lower-cased, folded lines joined) and the body after the first blank line.
    static func split(_ message: [UInt8]) -> ([String: String], [UInt8]) {
        var headers: [String: String] = [:]
        var lastName: String?
        var i = 0
        var lineStart = 0
        while i < message.count {
            guard message[i] == 0x0A else {
                i += 1
                continue
            }
            var line = message[lineStart..<i]
            if line.last == 0x0D { line = line.dropLast() }
            lineStart = i + 1
            i += 1
            if line.isEmpty { return (headers, Array(message[lineStart...])) }
            let text = String(decoding: line, as: UTF8.self)
            if let first = line.first, first == 0x20 || first == 0x09, let name = lastName {
                headers[name, default: ""] += " " + text.trimmingCharacters(in: .whitespaces)
            } else if let colon = text.firstIndex(of: ":") {
                let name = text[..<colon].lowercased()
                headers[name] = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                lastName = name
            }
        }
        return (headers, [])
    }

    /// A header parameter such as `boundary="abc"` or `filename=x.zip`.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            return value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2
                ? String(value.dropFirst().dropLast()) : value
        }
        return nil
    }

    /// The parts between `--boundary` lines, up to `--boundary--`.
    static func sections(of body: [UInt8], boundary: String) -> [[UInt8]] {
        let marker = Array("--\(boundary)".utf8)
        var sections: [[UInt8]] = []
        var current: [UInt8]?
        var lineStart = 0
        var i = 0
        while i <= body.count {
            if i == body.count || body[i] == 0x0A {
                var line = body[lineStart..<i]
                if line.last == 0x0D { line = line.dropLast() }
                if line.starts(with: marker) {
                    if let part = current {
                        sections.append(
                            part.last == 0x0A ? Array(part.dropLast(part.suffix(2) == [0x0D, 0x0A] ? 2 : 1)) : part)
                    }
                    if line.dropFirst(marker.count).starts(with: [0x2D, 0x2D]) { return sections }
                    current = []
                } else if current != nil {
                    current! += body[lineStart..<min(i + 1, body.count)]
                }
                lineStart = i + 1
            }
            i += 1
        }
        if let current, !current.isEmpty { sections.append(current) }
        return sections
    }

    static func decode(_ body: [UInt8], encoding: String) -> [UInt8] {
        switch encoding {
        case "base64":
            let text = String(
                decoding: body.filter { !($0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x09) }, as: UTF8.self)
            return Data(base64Encoded: text, options: [.ignoreUnknownCharacters]).map { Array($0) } ?? body
        case "quoted-printable":
            var out: [UInt8] = []
            var i = 0
            func hex(_ c: UInt8) -> UInt8? {
                switch c {
                case 0x30...0x39: c - 0x30
                case 0x41...0x46: c - 0x37
                case 0x61...0x66: c - 0x57
                default: nil
                }
            }
            while i < body.count {
                if body[i] == UInt8(ascii: "="), i + 1 < body.count {
                    if body[i + 1] == 0x0A {
                        i += 2
                        continue
                    }
                    if body[i + 1] == 0x0D, i + 2 < body.count, body[i + 2] == 0x0A {
                        i += 3
                        continue
                    }
                    if i + 2 < body.count, let high = hex(body[i + 1]), let low = hex(body[i + 2]) {
                        out.append(high << 4 | low)
                        i += 3
                        continue
                    }
                }
                out.append(body[i])
                i += 1
            }
            return out
        default:
            return body
        }
    }
}
