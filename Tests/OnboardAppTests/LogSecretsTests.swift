import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
import VaporTesting

@testable import OnboardApp

/// Keeps every line an application logs, after whatever redaction its handler does.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        let extra = (metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        lines.withLockedValue { $0.append("\(message) \(extra)") }
    }

    var text: String { lines.withLockedValue { $0.joined(separator: "\n") } }
}

/// A library error that, like swift-openapi-runtime's `ServerError`, describes the whole request.
private struct TalkativeError: Error, CustomStringConvertible {
    let headers: HTTPHeaders
    var description: String { "the handler failed for request [\(headers.map { "\($0.name): \($0.value)" })]" }
}

@Suite("Secrets never reach a log")
struct LogSecretsTests {
    @Test("A server error on a request with a token, a cookie and a password logs none of them")
    func serverError() async throws {
        try await withTestApp { app, _ in
            let redacting = try #require(app.logger.handler as? RedactingLogHandler, "configure wraps the logger")
            let log = CapturedLog()
            app.logger.handler = RedactingLogHandler(wrapping: log)
            #expect(type(of: redacting.wrapped) != RedactingLogHandler.self)
            app.post("api", "v1", "talkative") { req -> String in
                req.logger.info("form \(req.body.string ?? "")")
                throw TalkativeError(headers: req.headers)
            }
            let token = "onb_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            let response = try await app.post(
                "/api/v1/talkative",
                form: [("email", "ann@nhs.net"), ("password", "Very-Secret-77"), ("code", "493817")],
                headers: ["Authorization": "Bearer \(token)", "Cookie": "onboard-session=s3ss10nvalue99"])
            #expect(response.status == .internalServerError)
            let text = log.text
            #expect(text.contains("the handler failed"), "the error is still logged: \(text)")
            for secret in [token, "s3ss10nvalue99", "Very-Secret-77", "493817"] {
                #expect(!text.contains(secret), "\(secret) is in the log:\n\(text)")
            }
        }
    }
}
