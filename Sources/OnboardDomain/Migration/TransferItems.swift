import Foundation

/// What one uploaded transfer file holds, item by item, for the malware gate: archives opened, mail split
/// into messages and their parts, attachments that are archives opened in turn. Every decompressed or
/// decoded byte is counted against one budget, so an archive cannot grow past it whatever it claims.
public enum TransferItems {
    public struct Item: Equatable, Sendable {
        /// Where it came from, for people: `batch.zip › inbox.mbox › message 3 › invoice.pdf`.
        public let path: String
        public let bytes: [UInt8]
        /// Set when the item cannot be scanned (encrypted, too large, damaged): it is never clean.
        public let unscannable: String?
    }

    public static let separator = " › "

    /// Opens `bytes` named `name`. `budget` is the most bytes all items together may hold.
    public static func expand(name: String, bytes: [UInt8], budget: Int, depth: Int = 0) -> [Item] {
        var remaining = budget
        return expand(name: name, bytes: bytes, remaining: &remaining, depth: depth)
    }

    static func expand(name: String, bytes: [UInt8], remaining: inout Int, depth: Int) -> [Item] {
        func unscannable(_ reason: String) -> [Item] { [Item(path: name, bytes: [], unscannable: reason)] }
        guard depth <= 5 else { return unscannable("nested too deeply to open") }
        let lower = name.lowercased()
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return archive(name: name, bytes: bytes, remaining: &remaining, depth: depth)
        }
        if lower.hasSuffix(".mbox") || lower.hasSuffix(".mbx") {
            return MailItems.messages(inMbox: bytes).enumerated().flatMap { index, message in
                self.message(
                    name: name + separator + "message \(index + 1)", bytes: message, remaining: &remaining, depth: depth
                )
            }
        }
        if lower.hasSuffix(".eml") {
            return message(name: name, bytes: bytes, remaining: &remaining, depth: depth)
        }
        return [Item(path: name, bytes: bytes, unscannable: nil)]
    }

    static func archive(name: String, bytes: [UInt8], remaining: inout Int, depth: Int) -> [Item] {
        let zip: ZipArchive
        do {
            zip = try ZipArchive(bytes, maxEntries: 10_000)
        } catch ZipArchive.Failure.encrypted {
            return [Item(path: name, bytes: [], unscannable: "a password-protected archive cannot be scanned")]
        } catch {
            return [
                Item(path: name, bytes: [], unscannable: "the archive is damaged or of a kind that cannot be opened")
            ]
        }
        var items: [Item] = []
        for entry in zip.entries.keys.sorted() where !entry.hasSuffix("/") {
            let path = name + separator + entry
            do {
                let inner = try zip.read(entry, limit: max(0, remaining))
                remaining -= inner.count
                items += expand(name: path, bytes: inner, remaining: &remaining, depth: depth + 1)
            } catch ZipArchive.Failure.tooLarge {
                items.append(Item(path: path, bytes: [], unscannable: "too large once decompressed"))
            } catch {
                items.append(Item(path: path, bytes: [], unscannable: "damaged inside the archive"))
            }
        }
        return items
    }

    /// A message is scanned whole (headers and body as sent) and part by part (decoded), so an
    /// attachment's verdict names it, and an attachment that is an archive is opened.
    static func message(name: String, bytes: [UInt8], remaining: inout Int, depth: Int) -> [Item] {
        var items = [Item(path: name, bytes: bytes, unscannable: nil)]
        do {
            let parts = try MailItems.parts(of: bytes, limit: max(0, remaining))
            for part in parts {
                remaining -= part.bytes.count
                let path = name + separator + part.name
                let inner = expand(name: path, bytes: part.bytes, remaining: &remaining, depth: depth + 1)
                // A plain part is already inside the whole message's scan only in encoded form: scan it decoded.
                items += inner
            }
        } catch {
            items.append(Item(path: name + separator + "attachments", bytes: [], unscannable: "too large once decoded"))
        }
        return items
    }
}
