import Fluent
import Foundation
import NIOCore
import Testing
import VaporTesting

@testable import OnboardApp

@Suite("Hardening")
struct HardeningTests {
    @Test("Pages carry a CSP without inline script, frame-ancestors 'none', Referrer-Policy and nosniff")
    func securityHeaders() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.liam)
            for (path, headers) in [("/", HTTPHeaders()), ("/home", session.headers), ("/no-such-page", HTTPHeaders())]
            {
                let response = try await app.get(path, headers: headers)
                let csp = try #require(response.headers.first(name: "Content-Security-Policy"), "CSP on \(path)")
                let directives = Dictionary(
                    csp.split(separator: ";").map { part -> (String, String) in
                        let words = part.trimmingCharacters(in: .whitespaces)
                        let name = String(words.prefix { $0 != " " })
                        return (name, String(words.dropFirst(name.count)).trimmingCharacters(in: .whitespaces))
                    }, uniquingKeysWith: { a, _ in a })
                let scripts = try #require(directives["script-src"] ?? directives["default-src"])
                #expect(!scripts.contains("'unsafe-inline'"), "\(path): no inline script")
                #expect(!scripts.contains("'unsafe-eval'"), "\(path): no eval")
                #expect(directives["frame-ancestors"] == "'none'", "\(path)")
                #expect(response.headers.first(name: "Referrer-Policy") != nil, "\(path)")
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(path)")
            }
        }
    }

    @Test("No HSTS in development")
    func noHSTSInDevelopment() async throws {
        try await withTestApp { app, _ in
            let response = try await app.get("/")
            #expect(response.headers.first(name: "Strict-Transport-Security") == nil)
        }
    }

    @Test("HSTS outside development, on pages and on errors")
    func hstsInProduction() async throws {
        try await withTestApp(environment: "production", seed: false) { app, _ in
            for path in ["/health", "/sign-in", "/no-such-page"] {
                let response = try await app.get(path)
                let hsts = response.headers.first(name: "Strict-Transport-Security")
                #expect(hsts?.contains("max-age=") == true, "\(path)")
            }
        }
    }

    @Test("Pages with personal data are not cached")
    func noStore() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.liam)
            for path in ["/home", "/account/sessions", "/organisations"] {
                let response = try await app.get(path, headers: session.headers)
                #expect(response.status == .ok)
                #expect(response.headers.first(name: .cacheControl)?.contains("no-store") == true, "\(path)")
            }
        }
    }

    @Test("A body over 1 MB is refused with 413 on an ordinary post")
    func bodyLimit() async throws {
        try await withTestApp { app, _ in
            let visitor = try await preSession(app)
            let padding = String(repeating: "a", count: 1_100_000)
            let response = try await app.post(
                "/sign-in", form: [("email", padding), ("password", "x"), ("_csrf", visitor.csrf)],
                headers: visitor.headers)
            #expect(response.status == .payloadTooLarge)

            let session = try await signIn(app, email: Demo.nadia)
            let signedIn = try await app.post(
                "/organisations/new", form: [("name", padding), ("_csrf", session.csrf)], headers: session.headers)
            #expect(signedIn.status == .payloadTooLarge)
            #expect(
                try await securityEventCount(app, kind: .signInFailed) == 0, "the oversized body never reached sign-in")
        }
    }

    @Test("The import route accepts an upload over 1 MB")
    func uploadLimit() async throws {
        try await withTestApp { app, _ in
            let session = try await signIn(app, email: Demo.nadia)
            // One real row and a large column the importer ignores: 1.5 MB in all.
            let csv =
                "ods_code,name,type,notes\r\nZZ001,Padded Practice,gp_practice,"
                + String(repeating: "n", count: 1_500_000) + "\r\n"
            let response = try await uploadCSV(app, session, csv: csv)
            #expect(response.status != .payloadTooLarge)
            #expect(response.status == .ok)
            #expect(try await Organisation.query(on: app.db).filter(\.$odsCode == "ZZ001").count() == 1)
        }
    }
}
