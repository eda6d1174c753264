/// A ZIP archive read as unzip does: from the end-of-central-directory record and the central directory,
/// never by scanning local headers, which a crafted file can make disagree with the directory. Only what
/// an .xlsx needs: stored and deflated entries, no encryption, no ZIP64, no spanning.
struct ZipArchive {
    enum Failure: Error, Equatable {
        case notZip, encrypted, unsupported, tooManyEntries, malformed, tooLarge
    }

    struct Entry {
        let method: Int
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let headerOffset: Int
    }

    private let bytes: [UInt8]
    private(set) var entries: [String: Entry] = [:]

    init(_ bytes: [UInt8], maxEntries: Int) throws {
        self.bytes = bytes
        // The EOCD is 22 bytes plus a comment of at most 65,535, so it starts in the last 65,557 bytes.
        guard bytes.count >= 22 else { throw Failure.notZip }
        var eocd = bytes.count - 22
        while eocd >= 0 && eocd >= bytes.count - 65_557 && read32(eocd) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= 0, read32(eocd) == 0x0605_4B50 else { throw Failure.notZip }
        let count = read16(eocd + 10)
        let directorySize = read32(eocd + 12)
        let directoryOffset = read32(eocd + 16)
        // ZIP64 marks its fields as saturated and puts a locator just before the EOCD.
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF
            || (eocd >= 20 && read32(eocd - 20) == 0x0706_4B50)
        {
            throw Failure.unsupported
        }
        guard read16(eocd + 4) == 0, read16(eocd + 6) == 0, read16(eocd + 8) == count else { throw Failure.malformed }
        guard count <= maxEntries else { throw Failure.tooManyEntries }
        guard Int(directoryOffset) + Int(directorySize) <= eocd else { throw Failure.malformed }
        var at = Int(directoryOffset)
        for _ in 0..<count {
            guard at + 46 <= eocd, read32(at) == 0x0201_4B50 else { throw Failure.malformed }
            let flags = read16(at + 8)
            let nameLength = read16(at + 28)
            let next = at + 46 + nameLength + read16(at + 30) + read16(at + 32)
            guard next <= eocd else { throw Failure.malformed }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            if flags & 1 != 0 { throw Failure.encrypted }
            let entry = Entry(
                method: read16(at + 10), crc: read32(at + 16), compressedSize: Int(read32(at + 20)),
                size: Int(read32(at + 24)), headerOffset: Int(read32(at + 42)))
            if entry.compressedSize == 0xFFFF_FFFF || entry.size == 0xFFFF_FFFF || entry.headerOffset == 0xFFFF_FFFF {
                throw Failure.unsupported
            }
            // Two entries of one name are how a file shows one reader a part and another reader a different one.
            guard entries.updateValue(entry, forKey: name) == nil else { throw Failure.malformed }
            at = next
        }
    }

    func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The entry's bytes, refused once more than `limit` would be produced, whatever the directory claims.
    func read(_ name: String, limit: Int) throws -> [UInt8] {
        guard let entry = entries[name] else { throw Failure.malformed }
        let header = entry.headerOffset
        guard header >= 0, header + 30 <= bytes.count, read32(header) == 0x0403_4B50 else { throw Failure.malformed }
        let start = header + 30 + read16(header + 26) + read16(header + 28)
        guard start + entry.compressedSize <= bytes.count else { throw Failure.malformed }
        let data = bytes[start..<(start + entry.compressedSize)]
        let output: [UInt8]
        switch entry.method {
        case 0:
            guard data.count <= limit else { throw Failure.tooLarge }
            output = Array(data)
        case 8:
            do {
                output = try Inflate.decompress(Array(data), limit: limit)
            } catch Inflate.Failure.tooLarge {
                throw Failure.tooLarge
            } catch {
                throw Failure.malformed
            }
        default: throw Failure.unsupported
        }
        guard output.count == entry.size, CRC32.checksum(output) == entry.crc else { throw Failure.malformed }
        return output
    }

    private func read16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }

    private func read32(_ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}

/// Writes stored (uncompressed) entries: templates and reports are small, and leaving them uncompressed keeps
/// this free of a compressor. The timestamp is fixed at 1980-01-01 so the same sheets give the same bytes.
struct ZipWriter {
    private var bytes: [UInt8] = []
    private var directory: [UInt8] = []
    private var count = 0

    mutating func add(_ name: String, _ data: [UInt8]) {
        let crc = CRC32.checksum(data)
        let nameBytes = Array(name.utf8)
        let offset = bytes.count
        // Version needed 1.0, flag 11 (UTF-8 names), method 0, time 00:00, date 1980-01-01.
        let common: [UInt8] =
            le16(10) + le16(0x0800) + le16(0) + le16(0) + le16(0x21) + le32(crc) + le32(UInt32(data.count))
            + le32(UInt32(data.count)) + le16(nameBytes.count) + le16(0)
        bytes += le32(0x0403_4B50) + common + nameBytes + data
        directory += le32(0x0201_4B50) + le16(20) + common + le16(0) + le16(0) + le16(0) + le32(0)
        directory += le32(UInt32(offset)) + nameBytes
        count += 1
    }

    func finish() -> [UInt8] {
        let end: [UInt8] =
            le32(0x0605_4B50) + le16(0) + le16(0) + le16(count) + le16(count) + le32(UInt32(directory.count))
            + le32(UInt32(bytes.count)) + le16(0)
        return bytes + directory + end
    }

    private func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }

    private func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(value >> ($0 * 8) & 0xFF) } }
}

enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { byte in
        (0..<8).reduce(UInt32(byte)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ crc >> 1 : crc >> 1 }
    }

    static func checksum(_ data: [UInt8]) -> UInt32 {
        // Buffers rather than arrays: checked array access makes this several times slower in a debug build.
        table.withUnsafeBufferPointer { table in
            data.withUnsafeBufferPointer { data in
                var crc: UInt32 = 0xFFFF_FFFF
                for index in 0..<data.count { crc = table[Int((crc ^ UInt32(data[index])) & 0xFF)] ^ crc >> 8 }
                return ~crc
            }
        }
    }
}
