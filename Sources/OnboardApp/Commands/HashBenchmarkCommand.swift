import Foundation
import Vapor

/// `onboard bench-hash`: the time of one password verification at the live bcrypt cost, alone on the hashing
/// pool, and the pool's size: the ceiling that scripts/bench-signin compares a sign-in flood with.
struct HashBenchmarkCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "count", help: "Verifications to time (default 20).")
        var count: Int?
    }

    var help: String { "Times one password verification on the hashing pool (benchmark)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let count = max(1, signature.count ?? 20)
        let hash = try await app.hashing.hash("a long enough benchmark password")
        let start = ContinuousClock.now
        for _ in 0..<count { _ = try await app.hashing.verify("not the password", created: hash) }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.console.print(
            String(
                format: "verify_ms=%.1f threads=%d queue=%d", milliseconds / Double(count), app.hashing.threads,
                app.hashing.queueLimit))
    }
}
