import Foundation
import NIOPosix
import Testing

@testable import OnboardApp
@testable import OnboardDomain

/// Against a real clamd (`scripts/clamd-start`), which `scripts/test` starts and names in
/// ONBOARD_TEST_CLAMD; without it these are skipped, saying so.
@Suite(
    "The clamd client, against a real clamd",
    .enabled(if: ProcessInfo.processInfo.environment["ONBOARD_TEST_CLAMD"] != nil, "ONBOARD_TEST_CLAMD is not set"))
struct ClamdTests {
    let scanner: MalwareScanner

    init() {
        let address = ProcessInfo.processInfo.environment["ONBOARD_TEST_CLAMD"] ?? "127.0.0.1:55310"
        let parts = address.split(separator: ":")
        scanner = .clamd(
            host: String(parts[0]), port: Int(parts.last ?? "") ?? 3310, group: MultiThreadedEventLoopGroup.singleton)
    }

    static let eicar = Array(#"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"#.utf8)

    @Test("EICAR alone is infected, named by its signature; ordinary text is clean")
    func eicar() async throws {
        let verdict = try await scanner.scan(Self.eicar)
        guard case .infected(let name) = verdict else {
            Issue.record("EICAR came back \(verdict)")
            return
        }
        #expect(name.hasPrefix("Onboard.Test.EICAR"))
        #expect(try await scanner.scan(Array("Minutes of the practice meeting".utf8)) == .clean)
    }

    @Test("EICAR inside a message body and inside a zip is found by clamd itself")
    func nested() async throws {
        let message = Array("Subject: hello\r\n\r\nSee below\r\n".utf8) + Self.eicar + Array("\r\n".utf8)
        guard case .infected = try await scanner.scan(message) else {
            Issue.record("EICAR in a message body was not found")
            return
        }
        var zip = ZipWriter()
        zip.add("readme.txt", Self.eicar)
        guard case .infected = try await scanner.scan(zip.finish()) else {
            Issue.record("EICAR in a zip was not found")
            return
        }
    }

    @Test("A large clean item streams in many chunks and comes back clean")
    func large() async throws {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 3 * 1024 * 1024)
        #expect(try await scanner.scan(bytes) == .clean)
    }

    @Test("With no clamd listening, scanning throws: nothing is ever marked clean")
    func down() async throws {
        let nobody = MalwareScanner.clamd(host: "127.0.0.1", port: 9, group: MultiThreadedEventLoopGroup.singleton)
        await #expect(throws: ScannerUnavailable.self) { try await nobody.scan(Self.eicar) }
    }
}
