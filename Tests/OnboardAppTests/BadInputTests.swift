import Foundation
import NIOCore
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// Input the service cannot use gets a 4xx problem that says what is wrong, never a server error.
@Suite("Bad input")
struct BadInputTests {
    /// A multipart body of exactly these parts, `truncated` leaving out its closing boundary and the last bytes.
    private func multipart(
        _ app: Application, token: String, parts: [(name: String, filename: String?, bytes: [UInt8])],
        truncated: Bool = false
    ) async throws -> TestingHTTPResponse {
        let boundary = "onboard-bad-\(UUID().uuidString)"
        var body = ByteBuffer()
        for part in parts {
            let filename = part.filename.map { "; filename=\"\($0)\"" } ?? ""
            body.writeString(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"\(filename)\r\n\r\n")
            body.writeBytes(part.bytes)
            body.writeString("\r\n")
        }
        if truncated {
            body.moveWriterIndex(to: body.writerIndex - 2)
        } else {
            body.writeString("--\(boundary)--\r\n")
        }
        var headers = bearer(token)
        headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
        return try await app.send(.POST, "/api/v1/bulk-uploads", headers: headers, body: body)
    }

    private func sheet() -> [UInt8] {
        Array(
            [BulkSheet.accountColumns, ["P1", "Ann", "Lee", "07700 900001", "B86001"]].map(CSV.line)
                .joined(separator: "\n").utf8)
    }

    @Test("An API call whose Accept the service cannot answer gets 406 as problem+json")
    func unacceptable() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.chloe)
            for accept in ["text/html", "application/xml"] {
                var headers = bearer(token)
                headers.replaceOrAdd(name: .accept, value: accept)
                let response = try await app.get("/api/v1/organisations", headers: headers)
                #expect(response.status == .notAcceptable, "\(accept)")
                #expect(response.isProblemJSON)
                #expect(response.body.string.contains("Accept"))
            }
            var any = bearer(token)
            any.replaceOrAdd(name: .accept, value: "*/*")
            #expect(try await app.get("/api/v1/organisations", headers: any).status == .ok)
        }
    }

    @Test("A JSON body missing a required field, or with one of the wrong type, is a 422 naming the field")
    func bodyFields() async throws {
        try await withTestApp { app, _ in
            var headers = bearer(try await apiToken(app, email: Demo.chloe))
            headers.replaceOrAdd(name: .contentType, value: "application/json")
            let cases = [
                (#"{"organisation":"FA004","localPart":"x.pharmacy","name":"Team"}"#, "owner"),
                (#"{"organisation":"FA004","localPart":7,"name":"Team","owner":"a@nhs.net"}"#, "localPart"),
            ]
            for (body, field) in cases {
                let response = try await app.send(
                    .POST, "/api/v1/mailboxes", headers: headers, body: ByteBuffer(string: body))
                #expect(response.status == .unprocessableEntity, "\(body)")
                #expect(response.isProblemJSON)
                #expect(response.body.string.contains(#""field":"\#(field)""#), "\(response.body.string)")
            }
        }
    }

    @Test("An API address asked with a method it does not take is 405 naming the methods it does; others 404")
    func methodNotAllowed() async throws {
        try await withTestApp(seed: false) { app, _ in
            for method in [HTTPMethod.TRACE, .DELETE, .PUT] {
                let response = try await app.send(method, "/api/v1/eligibility-checks")
                #expect(response.status == .methodNotAllowed, "\(method)")
                #expect(response.headers.first(name: .allow) == "POST")
                #expect(response.isProblemJSON)
            }
            let id = lower(UUID())
            let patch = try await app.send(.PUT, "/api/v1/accounts/\(id)")
            #expect(patch.headers.first(name: .allow) == "GET, PATCH")
            #expect(try await app.send(.TRACE, "/api/v1/nowhere").status == .notFound)
            #expect(try await app.get("/api/v1/accounts/\(id)").status == .unauthorized, "a method it takes goes on")
        }
    }

    @Test("A sheet upload missing its parts, with an extra part, over 10 MB or cut short is a clear 4xx")
    func multipartUploads() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.chloe)
            let missing = try await multipart(app, token: token, parts: [("other", nil, Array("1".utf8))])
            #expect(missing.status == .badRequest)
            #expect(missing.isProblemJSON && missing.body.string.contains("file"))

            let extra = try await multipart(
                app, token: token,
                parts: [
                    ("kind", nil, Array("accounts".utf8)), ("note", nil, Array("hi".utf8)), ("file", "a.csv", sheet()),
                ])
            #expect(extra.status == .created, "an extra part is ignored: \(extra.body.string)")

            let large = try await multipart(
                app, token: token,
                parts: [
                    ("kind", nil, Array("accounts".utf8)),
                    ("file", "big.csv", [UInt8](repeating: 65, count: BulkFile.maxBytes + 1)),
                ])
            #expect(large.status == .unprocessableEntity)
            #expect(large.problemFields == ["file"])
            #expect(large.body.string.contains("larger than 10 MB"))

            let cut = try await multipart(
                app, token: token, parts: [("kind", nil, Array("accounts".utf8)), ("file", "a.csv", sheet())],
                truncated: true)
            #expect(cut.status == .badRequest)
            #expect(cut.isProblemJSON)
        }
    }
}
