import Fluent
import Foundation
import HTTPTypes
import OnboardDomain
import OpenAPIRuntime
import Vapor

/// The request being served by the generated API handlers, which only see typed inputs.
enum APIRequest {
    @TaskLocal static var current: Request?
}

/// An API error as problem+json. Conforming to `HTTPResponseConvertible` lets the OpenAPI runtime
/// answer with it directly.
struct APIProblem: Error, HTTPResponseConvertible {
    let status: HTTPStatus
    let detail: String?
    let fields: [Problem.Field]?

    init(status: HTTPStatus, detail: String? = nil) {
        self.status = status
        self.detail = detail
        self.fields = nil
    }

    init(_ errors: ValidationErrors) {
        status = .unprocessableEntity
        detail = "Some fields are not valid."
        fields = errors.errors.map { .init(field: $0.field, message: $0.message) }
    }

    var httpStatus: HTTPResponse.Status { .init(code: Int(status.code)) }

    var httpHeaderFields: HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = "application/problem+json"
        if status == .unauthorized { fields[.wwwAuthenticate] = "Bearer" }
        return fields
    }

    var httpBody: OpenAPIRuntime.HTTPBody? {
        let body = Problem(title: status.reasonPhrase, status: Int(status.code), detail: detail, errors: fields)
        return .init(body.encoded)
    }
}

/// API callers authenticate with a bearer token, never a cookie.
struct BearerAuthenticator: AsyncMiddleware {
    /// Operations open to everyone (`security: []` in the OpenAPI document).
    static let publicPaths: Set<String> = ["/api/v1/eligibility-checks"]

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if Self.publicPaths.contains(req.url.path) {
            return try await APIRequest.$current.withValue(req) { try await next.respond(to: req) }
        }
        guard let header = req.headers.bearerAuthorization?.token, header.hasPrefix("onb_") else {
            throw APIProblem(status: .unauthorized, detail: "Send an API token as 'Authorization: Bearer TOKEN'.")
        }
        switch try await APITokens.principal(for: header, now: req.now, on: req.sql) {
        case .failure(.expired):
            throw APIProblem(status: .unauthorized, detail: "That API token has expired. Make a new one.")
        case .failure:
            throw APIProblem(status: .unauthorized, detail: "That API token is not valid.")
        case .success(let principal):
            req.principal = principal
            guard !principal.readOnly || [.GET, .HEAD].contains(req.method) else {
                throw APIProblem(status: .forbidden, detail: "That API token is read-only.")
            }
        }
        return try await APIRequest.$current.withValue(req) {
            try await next.respond(to: req)
        }
    }
}

/// Turns everything the API throws into problem+json: bad JSON is 400, bad fields 422.
struct APIErrorMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: req)
        } catch let problem as APIProblem {
            return OnboardErrorMiddleware.problem(
                status: problem.status, detail: problem.detail, fields: problem.fields)
        } catch let error as ServerError {
            if let problem = error.underlyingError as? APIProblem {
                return OnboardErrorMiddleware.problem(
                    status: problem.status, detail: problem.detail, fields: problem.fields)
            }
            if let errors = error.underlyingError as? ValidationErrors {
                let problem = APIProblem(errors)
                return OnboardErrorMiddleware.problem(
                    status: problem.status, detail: problem.detail, fields: problem.fields)
            }
            // The generated code could not read the request.
            if error.operationInput == nil && req.method == .GET {
                // A bare substring match named "q" for everything ("request" contains it). The decoding error
                // often names no parameter; `limit` is the only one that is not text, so check it directly.
                var field = ["limit", "cursor", "q", "type", "region", "ods"].first {
                    error.causeDescription.contains("'\($0)'") || error.causeDescription.contains("\"\($0)\"")
                }
                if field == nil, let limit = try? req.query.get(String.self, at: "limit"), Int(limit) == nil {
                    field = "limit"
                }
                return OnboardErrorMiddleware.problem(
                    status: .unprocessableEntity, detail: "A query parameter is not valid.",
                    fields: [.init(field: field ?? "query", message: "This value is not valid here")])
            }
            // JSON that parses but lacks a field, or has one of the wrong type, names that field.
            if error.operationInput == nil, let field = Self.bodyField(error) {
                return OnboardErrorMiddleware.problem(
                    status: .unprocessableEntity, detail: "A field of the request body is missing or not valid.",
                    fields: [.init(field: field.name, message: field.message)])
            }
            // What the runtime refused (an Accept it cannot answer, a content type it does not take) is the
            // caller's to fix, and says so.
            let status = HTTPStatus(statusCode: Int(error.httpStatus.code))
            if (400..<500).contains(status.code) {
                return OnboardErrorMiddleware.problem(status: status, detail: Self.detail(for: status), fields: nil)
            }
            if error.operationInput == nil {
                return OnboardErrorMiddleware.problem(
                    status: .badRequest, detail: "The request body is not valid JSON for this operation.",
                    fields: nil)
            }
            req.logger.report(error: error)
            return OnboardErrorMiddleware.problem(status: .internalServerError, detail: nil, fields: nil)
        }
    }
}

extension APIErrorMiddleware {
    /// The body field the generated decoder could not read, when it names one.
    static func bodyField(_ error: ServerError) -> (name: String, message: String)? {
        switch error.underlyingError {
        case DecodingError.keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "Enter a value: this field is required")
        case DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty,
            DecodingError.valueNotFound(_, let context) where !context.codingPath.isEmpty:
            return (path(context.codingPath), "This value is not of the type the field takes")
        default:
            return nil
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    static func detail(for status: HTTPStatus) -> String {
        switch status {
        case .notAcceptable:
            "This operation answers application/json (or the format its documentation names): send an Accept "
                + "header that allows it, or none."
        case .unsupportedMediaType: "Send the body as the content type this operation's documentation names."
        default: "The request could not be read. Check it against the OpenAPI document at /api/v1/openapi.yaml."
        }
    }
}

enum OpenAPIDocument {
    /// The document the API is generated from, served as it is.
    static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.1.0\n" }
        return text
    }()
}

/// A request that sends nothing (no `Content-Length`, or zero, and not chunked) has no body. The Vapor
/// transport hands every request a body, empty or not, and the generated code then reads an empty optional
/// JSON body as malformed JSON; this lets an optional body be left out, as the document says it may be.
struct NoBodyWhenEmpty: ServerMiddleware {
    func intercept(
        _ request: HTTPTypes.HTTPRequest, body: OpenAPIRuntime.HTTPBody?, metadata: ServerRequestMetadata,
        operationID: String,
        next:
            @Sendable (HTTPTypes.HTTPRequest, OpenAPIRuntime.HTTPBody?, ServerRequestMetadata) async throws -> (
                HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?
            )
    ) async throws -> (HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?) {
        let length = request.headerFields[.contentLength]
        let sendsNothing = request.headerFields[.transferEncoding] == nil && (length == nil || length == "0")
        return try await next(request, sendsNothing ? nil : body, metadata)
    }
}

/// An API path asked with a method it does not take answers 405 with `Allow`, not 404: the path exists, and
/// a client learns what it may do there. Only the API's own routes are considered, and `HEAD` goes with `GET`.
struct MethodNotAllowedMiddleware: AsyncMiddleware {
    private let routes: [(method: HTTPMethod, path: [PathComponent])]

    init(routes: [Route]) {
        self.routes = routes.filter { $0.path.first?.description == "api" }.map { ($0.method, $0.path) }
    }

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard req.url.path.hasPrefix("/api/") else { return try await next.respond(to: req) }
        let segments = req.url.path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = Set(routes.filter { Self.matches($0.path, segments) }.map(\.method.rawValue))
        let asked = req.method == .HEAD ? HTTPMethod.GET : req.method
        guard !methods.isEmpty, !methods.contains(asked.rawValue) else { return try await next.respond(to: req) }
        let response = OnboardErrorMiddleware.problem(
            status: .methodNotAllowed, detail: "This address does not take \(req.method.rawValue).", fields: nil)
        response.headers.replaceOrAdd(name: .allow, value: methods.sorted().joined(separator: ", "))
        return response
    }

    private static func matches(_ pattern: [PathComponent], _ segments: [Substring]) -> Bool {
        guard pattern.count == segments.count else { return false }
        return zip(pattern, segments).allSatisfy { component, segment in
            switch component {
            case .constant(let value): value == segment
            case .parameter: true
            case .anything, .catchall: true
            }
        }
    }
}
