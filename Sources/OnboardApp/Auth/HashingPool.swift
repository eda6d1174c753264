import NIOConcurrencyHelpers
import NIOPosix
import Vapor

/// Refused because every hashing thread is busy and its queue is full: the caller says "try again in a
/// moment" rather than waiting behind the rush.
struct HashingBusy: Error {
    /// Seconds to suggest before trying again.
    static let retryAfter = 2
}

/// Password hashing and verification on threads of their own, fewer than the cores, with a bounded queue.
/// bcrypt is deliberately slow: on the shared blocking pool, a rush of sign-ins would hold every thread that
/// SQLite and file serving need, and every other request would wait behind it.
final class HashingPool: Sendable {
    let threads: Int
    /// How many may wait for a thread; beyond that a request is refused at once.
    let queueLimit: Int
    private let pool: NIOThreadPool
    private let hasher: any PasswordHasher
    private let admitted = NIOLockedValueBox(0)

    init(threads: Int, queueLimit: Int, hasher: any PasswordHasher) {
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        self.hasher = hasher
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    /// One thread fewer than the cores (at least one), so hashing never takes the whole machine.
    static func standardThreads(cores: Int = System.coreCount) -> Int { max(1, cores - 1) }

    /// Whether `password` matches `hash`. A malformed hash matches nothing; only `HashingBusy` is thrown.
    func verify(_ password: String, created hash: String) async throws(HashingBusy) -> Bool {
        let hasher = hasher
        do {
            return try await run { (try? hasher.verify(password, created: hash)) ?? false }
        } catch let busy as HashingBusy {
            throw busy
        } catch {
            return false
        }
    }

    func hash(_ password: String) async throws -> String {
        let hasher = hasher
        return try await run { try hasher.hash(password) }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let limit = threads + queueLimit
        let entered = admitted.withLockedValue { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard entered else { throw HashingBusy() }
        defer { admitted.withLockedValue { $0 -= 1 } }
        return try await pool.runIfActive(work)
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}

extension Application {
    private struct HashingPoolKey: StorageKey { typealias Value = HashingPool }

    /// Where every password is hashed and checked.
    var hashing: HashingPool {
        guard let pool = storage[HashingPoolKey.self] else { fatalError("configure() sets the hashing pool") }
        return pool
    }

    /// Puts a hashing pool in place, stopping any it replaces; the application stops it on shutdown.
    func useHashing(_ pool: HashingPool) async {
        if let previous = storage[HashingPoolKey.self] { await previous.shutdown() }
        await storage.setWithAsyncShutdown(HashingPoolKey.self, to: pool) { await $0.shutdown() }
    }
}
