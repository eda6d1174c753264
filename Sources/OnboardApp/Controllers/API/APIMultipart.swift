import OnboardDomain
import OpenAPIRuntime
import Vapor

/// Reading multipart/form-data parts in API handlers. A part that is too large, a part nobody asked for, or a
/// body that ends early is the caller's problem, told in problem+json; never a server error.
enum APIMultipart {
    /// Every part of `parts`, handed to `read`; failures of the stream itself (truncated, not multipart) are 400.
    static func each<Part: Sendable>(
        _ parts: MultipartBody<Part>, _ read: (Part) async throws -> Void
    ) async throws {
        do {
            for try await part in parts { try await read(part) }
        } catch let problem as APIProblem {
            throw problem
        } catch let errors as ValidationErrors {
            throw errors
        } catch {
            throw APIProblem(
                status: .badRequest,
                detail: "The body could not be read as multipart/form-data (\(LogRedaction.redact("\(error)"))).")
        }
    }

    /// A part's bytes; more than `limit` is a field error naming `field` with `tooLarge`.
    static func bytes(_ body: HTTPBody, limit: Int, field: String, tooLarge: String) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        var over = false
        // Past the limit the rest is still read, and dropped, so the stream can go on to its next part.
        for try await chunk in body where !over {
            if bytes.count + chunk.count > limit {
                over = true
                bytes = []
            } else {
                bytes.append(contentsOf: chunk)
            }
        }
        if over { throw ValidationErrors([FieldError(field: field, message: tooLarge)]) }
        return bytes
    }

    /// A part this operation does not take: read to its end and ignored.
    static func skip(_ body: HTTPBody) async throws {
        for try await _ in body {}
    }
}
