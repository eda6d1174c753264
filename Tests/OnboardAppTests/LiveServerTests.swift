import AsyncHTTPClient
import Fluent
import Foundation
import NIOCore
import NIOPosix
import Testing
import VaporTesting

@testable import OnboardApp

/// Requests through a real HTTP server on a free port: bodies then arrive in pieces, or chunked, as from a
/// browser or an API client, which the in-memory tester (always one collected buffer) cannot show.
@Suite("Live server")
struct LiveServerTests {
    /// A body sent as the given chunks.
    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let chunks: [ByteBuffer]

        struct AsyncIterator: AsyncIteratorProtocol {
            var rest: ArraySlice<ByteBuffer>
            mutating func next() async -> ByteBuffer? { rest.popFirst() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks[...]) }

        init(_ text: String, size: Int = 16_384) {
            let bytes = Array(text.utf8)
            chunks = stride(from: 0, to: bytes.count, by: size).map {
                ByteBuffer(bytes: bytes[$0..<Swift.min($0 + size, bytes.count)])
            }
        }
    }

    struct Reply {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: String
    }

    /// Serves `app` on 127.0.0.1 and a free port while `body` runs.
    private func withServer(
        _ app: Application, _ body: (_ send: (HTTPClientRequest) async throws -> Reply) async throws -> Void
    ) async throws {
        try await app.asyncBoot()
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        do {
            let port = try #require(app.http.server.shared.localAddress?.port)
            try await body { request in
                var request = request
                request.url = "http://127.0.0.1:\(port)\(request.url)"
                let response = try await client.execute(request, timeout: .seconds(20))
                let data = try await response.body.collect(upTo: 4 << 20)
                return Reply(status: response.status, headers: response.headers, body: String(buffer: data))
            }
        } catch {
            try? await client.shutdown()
            await app.server.shutdown()
            throw error
        }
        try await client.shutdown()
        await app.server.shutdown()
    }

    private func csvUpload(csrf: String, csv: String, boundary: String) -> String {
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrf)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"o.csv\"\r\n"
            + "Content-Type: text/csv\r\n\r\n\(csv)\r\n--\(boundary)--\r\n"
    }

    @Test("A connection that sends part of a request and stops is closed after the idle timeout")
    func stalledRequestIsClosed() async throws {
        try await withTestApp { app, _ in
            #expect(app.http.server.configuration.idleTimeout == .seconds(30), "configure applies HTTP_IDLE_TIMEOUT")
            // The same setting at one second, so the test waits one second rather than thirty.
            app.http.server.configuration.idleTimeout = .seconds(1)
            try await withServer(app) { _ in
                let port = try #require(app.http.server.shared.localAddress?.port)
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port).get()
                try await channel.writeAndFlush(ByteBuffer(string: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")).get()
                // Bounded: the server closes it after about a second, or the test fails after ten.
                let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        try await channel.closeFuture.get()
                        return true
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(10))
                        return false
                    }
                    let first = try await group.next() ?? false
                    group.cancelAll()
                    return first
                }
                if !closed { try? await channel.close() }
                #expect(closed, "the stalled connection was still open after ten seconds")
            }
        }
    }

    @Test("An upload that arrives in pieces keeps its body: the CSRF check must not swallow it")
    func streamedUploadKeepsBody() async throws {
        try await withTestApp { app, _ in
            let nadia = try await signIn(app, email: Demo.nadia)
            // Few rows, so the import is quick on any database, but a body far bigger than one read.
            let notes = String(repeating: "n", count: 5000)
            let rows = (1...20).map { "ZL\(String(format: "%04d", $0)),Practice number \($0),gp_practice,\(notes)" }
            let csv = "ods_code,name,type,notes\r\n" + rows.joined(separator: "\r\n") + "\r\n"
            let boundary = "live-\(UUID().uuidString)"
            let text = csvUpload(csrf: nadia.csrf, csv: csv, boundary: boundary)
            #expect(text.utf8.count > 100_000)
            try await withServer(app) { send in
                var request = HTTPClientRequest(url: "/organisations/import")
                request.method = .POST
                request.headers.add(name: "Cookie", value: nadia.cookieHeader)
                request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
                request.body = .stream(Chunks(text), length: .known(Int64(text.utf8.count)))
                let reply = try await send(request)
                #expect(reply.status == .ok)
                #expect(reply.body.contains("20 created"))
            }
            #expect(try await Organisation.query(on: app.db).filter(\.$odsCode == "ZL0020").count() == 1)
        }
    }

    @Test("A chunked form without Content-Length is read, and one over 1 MB is refused with 413")
    func chunkedBodies() async throws {
        try await withTestApp { app, _ in
            let visitor = try await preSession(app)
            try await withServer(app) { send in
                let form = formBody([("email", Demo.liam), ("password", DemoData.password), ("_csrf", visitor.csrf)])
                var small = HTTPClientRequest(url: "/sign-in")
                small.method = .POST
                small.headers.add(name: "Cookie", value: visitor.cookieHeader)
                small.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                small.body = .stream(Chunks(String(buffer: form), size: 20), length: .unknown)
                let signedIn = try await send(small)
                #expect(signedIn.status == .seeOther, "a chunked sign-in form is read whole")

                var large = HTTPClientRequest(url: "/sign-in")
                large.method = .POST
                large.headers.add(name: "Cookie", value: visitor.cookieHeader)
                large.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                let padding = "email=" + String(repeating: "a", count: 1_200_000) + "&_csrf=\(visitor.csrf)"
                large.body = .stream(Chunks(padding, size: 65_536), length: .unknown)
                let refused = try await send(large)
                #expect(refused.status == .payloadTooLarge)
            }
            #expect(try await securityEventCount(app, kind: .signInFailed) == 0)
        }
    }

    @Test("/metrics answers a configured address in Prometheus format, with requests by route and the job queue")
    func metrics() async throws {
        try await withTestApp { app, _ in
            // Through the in-process tester there is no peer address, so no configured address matches.
            #expect(try await app.get("/metrics").status == .notFound)
            try await withServer(app) { send in
                _ = try await send(HTTPClientRequest(url: "/health"))
                let reply = try await send(HTTPClientRequest(url: "/metrics"))
                #expect(reply.status == .ok)
                #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
                #expect(reply.body.contains("http_requests_total"))
                #expect(reply.body.contains("path=\"/health\""))
                #expect(reply.body.contains("http_request_duration_seconds_bucket"))
                #expect(reply.body.contains("onboard_jobs_due{kind=\"outbox.send\"}"))
            }
        }
    }
}
