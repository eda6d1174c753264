import Foundation
import NIOConcurrencyHelpers
import Testing
import Vapor
import VaporTesting

@testable import OnboardApp

/// A hasher that holds its thread until the test lets it go: the hashing pool is saturated on purpose,
/// without timing.
final class GatedHasher: PasswordHasher, @unchecked Sendable {
    private let gate = DispatchSemaphore(value: 0)
    let entered = NIOLockedValueBox(0)

    func hash<Password: DataProtocol>(_ password: Password) throws -> [UInt8] {
        hold()
        return Array(password)
    }

    func verify<Password: DataProtocol, Digest: DataProtocol>(_ password: Password, created digest: Digest) throws
        -> Bool
    {
        hold()
        return Array(password) == Array(digest)
    }

    private func hold() {
        entered.withLockedValue { $0 += 1 }
        gate.wait()
    }

    func release(_ count: Int) {
        for _ in 0..<count { gate.signal() }
    }
}

@Suite("Password hashing on its own pool")
struct HashingPoolTests {
    /// As many hashing threads as the shared blocking pool could ever have here: were hashing done there, every
    /// thread SQLite needs would be held, and the page below would never answer.
    static let held = 16

    @Test("With every hashing thread held, a database-backed page still answers, and extra sign-ins are told to wait")
    func saturatedPoolLeavesPagesAlone() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.tom)
            let gated = GatedHasher()
            await app.useHashing(HashingPool(threads: Self.held, queueLimit: 2, hasher: gated))
            let visitor = try await preSession(app)
            let rush = Self.held + 4
            let statuses = try await withThrowingTaskGroup(of: (HTTPStatus, String?).self) { group in
                for index in 0..<rush {
                    group.addTask {
                        let response = try await app.post(
                            "/sign-in",
                            form: [("email", Demo.tom), ("password", "wrong \(index)"), ("_csrf", visitor.csrf)],
                            headers: visitor.headers)
                        return (response.status, response.headers.first(name: .retryAfter))
                    }
                }
                let deadline = ContinuousClock.now + .seconds(10)
                while gated.entered.withLockedValue({ $0 }) < Self.held, ContinuousClock.now < deadline {
                    await Task.yield()
                }
                #expect(gated.entered.withLockedValue { $0 } == Self.held, "every hashing thread is held")
                let answered = try await withThrowingTaskGroup(of: HTTPStatus?.self) { race in
                    race.addTask { try await app.get("/account/sessions", headers: session.headers).status }
                    race.addTask {
                        try await Task.sleep(for: .seconds(5))  // a bound on the wait, not a synchronisation
                        return nil
                    }
                    let first = try await race.next() ?? nil
                    race.cancelAll()
                    if first == nil { gated.release(rush) }  // let a hung page finish, so the test can end
                    return first
                }
                #expect(answered == .ok, "a page waited behind the hashing")
                gated.release(Self.held + 2)
                var all: [(HTTPStatus, String?)] = []
                for try await result in group { all.append(result) }
                return all
            }
            let busy = statuses.filter { $0.0 == .serviceUnavailable }
            #expect(busy.count == 2)
            #expect(busy.allSatisfy { $0.1 == String(HashingBusy.retryAfter) })
        }
    }

    @Test("A busy sign-in page says to wait a moment, with the error page's heading")
    func busyPage() async throws {
        try await withTestApp { app, _ in
            let gated = GatedHasher()
            await app.useHashing(HashingPool(threads: 1, queueLimit: 0, hasher: gated))
            let visitor = try await preSession(app)
            async let held = app.post(
                "/sign-in", form: [("email", Demo.tom), ("password", "first"), ("_csrf", visitor.csrf)],
                headers: visitor.headers)
            let deadline = ContinuousClock.now + .seconds(10)
            while gated.entered.withLockedValue({ $0 }) < 1, ContinuousClock.now < deadline { await Task.yield() }
            let refused = try await app.post(
                "/sign-in", form: [("email", Demo.tom), ("password", "second"), ("_csrf", visitor.csrf)],
                headers: visitor.headers)
            gated.release(1)
            _ = try await held
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.body.string.contains("The service is busy"))
            #expect(refused.body.string.contains("Wait a few seconds, then try again"))
            #expect(refused.body.string.contains(#"<a href="/sign-in">Try signing in again</a>"#))
        }
    }
}
