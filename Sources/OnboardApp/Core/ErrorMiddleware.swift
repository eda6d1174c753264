import Foundation
import OnboardDomain
import Vapor

/// A problem body as RFC 9457 describes: the API's only error shape.
struct Problem: Content {
    struct Field: Content {
        let field: String
        let message: String
    }

    var type: String = "about:blank"
    var title: String
    var status: Int
    var detail: String?
    var errors: [Field]?

    /// The body, with its keys in a fixed order: one 404 must read exactly like another.
    var encoded: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }
}

/// An error that carries every bad field, for the API's 422.
struct FieldProblems: AbortError {
    let errors: ValidationErrors
    var status: HTTPStatus { .unprocessableEntity }
    var reason: String { "Some fields are not valid." }
}

/// Renders errors as an HTML page for people and as problem+json for the API.
/// Only messages of errors meant for people are shown; anything else is an opaque 500.
struct OnboardErrorMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: req)
        } catch {
            return await response(for: error, req: req)
        }
    }

    func response(for error: any Error, req: Request) async -> Response {
        let status: HTTPStatus
        var detail: String?
        var fields: [Problem.Field]?
        switch error {
        case let problems as FieldProblems:
            status = problems.status
            detail = problems.reason
            fields = problems.errors.errors.map { .init(field: $0.field, message: $0.message) }
        case let problems as ValidationErrors:
            status = .unprocessableEntity
            detail = "Some fields are not valid."
            fields = problems.errors.map { .init(field: $0.field, message: $0.message) }
        case let abort as any AbortError:
            status = abort.status
            detail = abort.status.code < 500 ? abort.reason : nil
        case is DecodingError:
            status = .badRequest
            detail = "The request body could not be read."
        case is HashingBusy:
            status = .serviceUnavailable
            detail = "Too many people are signing in at this moment. Wait a few seconds, then try again."
        default:
            status = .internalServerError
        }
        if status.code >= 500, !(error is HashingBusy) {
            // Library errors describe the whole request, headers included: redacted here as well as by the
            // log handler, so a logger set up elsewhere cannot leak a token either.
            req.logger.error("\(LogRedaction.redact(String(reflecting: error)))")
        }
        let response =
            req.url.path.hasPrefix("/api/") || req.url.path == "/health"
            ? Self.problem(status: status, detail: detail, fields: fields)
            : await page(status: status, detail: detail, busy: error is HashingBusy, req: req)
        if error is HashingBusy {
            response.headers.replaceOrAdd(name: .retryAfter, value: String(HashingBusy.retryAfter))
        }
        return response
    }

    static func problem(status: HTTPStatus, detail: String?, fields: [Problem.Field]?) -> Response {
        let body = Problem(title: status.reasonPhrase, status: Int(status.code), detail: detail, errors: fields)
        let response = Response(status: status)
        response.headers.contentType = HTTPMediaType(type: "application", subType: "problem+json")
        response.body = .init(data: body.encoded)
        if status == .unauthorized {
            response.headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer")
        }
        return response
    }

    private struct ErrorPage: Encodable {
        let status: Int
        let heading: String
        let message: String
        /// Where to try again, when trying again in a moment is the answer.
        let retry: String?
    }

    private func page(status: HTTPStatus, detail: String?, busy: Bool = false, req: Request) async -> Response {
        let (heading, message): (String, String) =
            switch status.code {
            // A route that knows why (a spent link, say) says so; a bare 404 keeps the general wording.
            case 404:
                (
                    "Page not found",
                    detail.flatMap { $0 == status.reasonPhrase ? nil : $0 }
                        ?? "If you typed the web address, check it is correct."
                )
            case 403: ("You cannot do this", detail ?? "Your role does not allow this.")
            case 413: ("The file is too large", detail ?? "The file is too large.")
            case 503 where busy: ("The service is busy", detail ?? "Wait a few seconds, then try again.")
            case 400..<500: ("There is a problem", detail ?? "Check what you entered and try again.")
            default: ("Sorry, there is a problem with the service", "Try again later.")
            }
        do {
            return try await req.render(
                "error", req.chrome(heading),
                ErrorPage(
                    status: Int(status.code), heading: heading, message: message,
                    retry: busy ? SiteURL.signIn.path : nil),
                status: status)
        } catch {
            let response = Response(status: status, body: .init(string: "\(heading). \(message)"))
            response.headers.contentType = .plainText
            return response
        }
    }
}
