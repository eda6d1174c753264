import Foundation
import NIOPosix
import OnboardDomain
import Vapor

/// `onboard bench-scan`: writes an mbox of the given size (1 GB by default) with a few messages carrying the
/// EICAR test string in an attachment, then runs it through the transfer gate's own path: split into
/// messages and parts, each scanned by clamd over INSTREAM, four at a time. Prints messages and megabytes
/// per second. scripts/bench-scan runs it beside `clamdscan --stream` on the same file.
struct ScanBenchmarkCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "mbox", help: "The mbox to scan; written first if it does not exist.")
        var mbox: String?
        @Option(name: "megabytes", help: "Size of the mbox to write (default 1024).")
        var megabytes: Int?
        @Option(name: "infected", help: "Messages carrying EICAR (default 5).")
        var infected: Int?
        @Option(name: "clamd", help: "clamd's HOST:PORT (default CLAMD_ADDRESS).")
        var clamd: String?
    }

    var help: String { "Measures malware scanning of a generated mbox through clamd (benchmark)." }

    /// Messages are read in slices of about this many bytes, cut at message boundaries, so memory stays flat.
    static let slice = 64 * 1024 * 1024

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let path = signature.mbox ?? "/tmp/onboard-bench.mbox"
        let megabytes = signature.megabytes ?? 1024
        if !FileManager.default.fileExists(atPath: path) {
            try Self.write(path, megabytes: megabytes, infected: signature.infected ?? 5)
        }
        var host = app.settings.clamd.host
        var port = app.settings.clamd.port
        if let address = signature.clamd, let colon = address.lastIndex(of: ":"),
            let parsed = Int(address[address.index(after: colon)...])
        {
            host = String(address[..<colon])
            port = parsed
        }
        let scanner = MalwareScanner.clamd(host: host, port: port, group: MultiThreadedEventLoopGroup.singleton)
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Abort(.notFound, reason: path) }
        defer { try? handle.close() }

        let started = ContinuousClock.now
        var bytes = 0
        var messages = 0
        var items = 0
        var infected: [String] = []
        var unscanned = 0
        var carry: [UInt8] = []
        var opening = Duration.zero
        while true {
            let chunk = [UInt8](handle.readData(ofLength: Self.slice))
            let atEnd = chunk.isEmpty
            bytes += chunk.count
            var buffer = carry + chunk
            carry = []
            if !atEnd, let cut = Self.lastMessageStart(in: buffer), cut > 0 {
                carry = Array(buffer[cut...])
                buffer.removeSubrange(cut...)
            }
            if buffer.isEmpty { break }
            let opened = ContinuousClock.now
            messages += MailItems.messages(inMbox: buffer).count
            let expanded = TransferItems.expand(name: "bench.mbox", bytes: buffer, budget: Int.max / 4)
            opening += ContinuousClock.now - opened
            items += expanded.count
            let outcomes = await TransferScanJob.scanAll(
                expanded.map(\.bytes), with: scanner, parallel: TransferScanJob.parallel)
            for (item, outcome) in zip(expanded, outcomes) {
                switch outcome {
                case .success(.infected(let signature)): infected.append("\(item.path): \(signature)")
                case .success(.clean): break
                case .success(.notScanned), .failure: unscanned += 1
                }
            }
            if atEnd { break }
        }
        let seconds = Self.seconds(ContinuousClock.now - started)
        let mb = Double(bytes) / 1_048_576
        context.console.print("file: \(path) (\(String(format: "%.0f", mb)) MB, \(messages) messages)")
        context.console.print("items scanned (messages and their parts): \(items)")
        context.console.print("infected items: \(infected.count); not scanned: \(unscanned)")
        for line in infected.prefix(10) { context.console.print("  \(line)") }
        context.console.print(
            String(
                format: "of which splitting and decoding: %.1f s; scanning: %.1f s", Self.seconds(opening),
                seconds - Self.seconds(opening)))
        context.console.print(
            String(
                format: "onboard gate: %.1f s, %.0f messages/s, %.1f MB/s", seconds, Double(messages) / seconds,
                mb / seconds))
        context.console.print(String(format: "onboard_mb_per_s=%.3f", mb / seconds))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The offset of the last "From " line, where the next slice begins.
    static func lastMessageStart(in bytes: [UInt8]) -> Int? {
        let marker = Array("\nFrom ".utf8)
        var index = bytes.count - marker.count
        while index >= 0 {
            if bytes[index] == 0x0A, bytes[index..<index + marker.count].elementsEqual(marker) { return index + 1 }
            index -= 1
        }
        return nil
    }

    /// Messages of about 20 KB: two in three plain, one in three with a 24 KB attachment of random bytes.
    static func write(_ path: String, megabytes: Int, infected: Int) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let out = FileHandle(forWritingAtPath: path) else { throw Abort(.internalServerError, reason: path) }
        defer { try? out.close() }
        let target = megabytes * 1_048_576
        var generator = SystemRandomNumberGenerator()
        let paragraph = String(
            repeating:
                "Please find the referral notes for the patient attached, and call the ward if anything is unclear. ",
            count: 80)
        let eicar = #"X5O!P%@AP[4\PZX54(P^)7CC)7}$"# + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
        let expected = target / 20_000
        let every = max(1, expected / max(1, infected))
        var written = 0
        var count = 0
        var buffer = ""
        while written < target {
            count += 1
            var message = "From sender\(count)@example.org Mon Jan  1 09:00:00 2026\n"
            message += "From: Sender \(count) <sender\(count)@example.org>\nTo: team@hospice.example\n"
            message += "Subject: Referral \(count)\nMIME-Version: 1.0\n"
            let poisoned = infected > 0 && count % every == 0 && count / every <= infected
            if count % 3 == 0 || poisoned {
                let attachment: [UInt8] =
                    poisoned
                    ? Array(eicar.utf8) : (0..<24_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
                message += "Content-Type: multipart/mixed; boundary=\"b\(count)\"\n\n--b\(count)\n"
                message += "Content-Type: text/plain\n\n\(paragraph.prefix(4000))\n--b\(count)\n"
                message += "Content-Type: application/octet-stream; name=\"notes\(count).bin\"\n"
                message += "Content-Transfer-Encoding: base64\n\n"
                message += Data(attachment).base64EncodedString(options: .lineLength76Characters)
                message += "\n--b\(count)--\n\n"
            } else {
                message += "Content-Type: text/plain\n\n\(paragraph)\n\n"
            }
            buffer += message
            written += message.utf8.count
            if buffer.utf8.count > 8_000_000 {
                out.write(Data(buffer.utf8))
                buffer = ""
            }
        }
        out.write(Data(buffer.utf8))
    }
}
