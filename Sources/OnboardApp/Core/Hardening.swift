import Foundation
import NIOCore
import Vapor

/// How big a request body may be. Only upload routes may send more than 1 MB.
enum BodyLimits {
    static let standard: ByteCount = "1mb"
    static let upload: ByteCount = "20mb"
    static let uploadPaths: Set<String> = [
        SiteURL.organisationImport.path, SiteURL.applicationImport.path, SiteURL.bulkNew.path, "/api/v1/bulk-uploads",
    ]

    /// Migration transfer batches: mail and documents, larger than any sheet (docs/migration.md).
    static let transfer: ByteCount = "100mb"

    static func isTransferUpload(_ path: String) -> Bool {
        (path.hasPrefix("/migration/") && path.hasSuffix("/transfers"))
            || (path.hasPrefix("/api/v1/migration-projects/") && path.hasSuffix("/transfer-batches"))
    }

    static func limit(for path: String) -> Int {
        if isTransferUpload(path) { return transfer.value }
        return uploadPaths.contains(path) ? upload.value : standard.value
    }
}

/// Refuses over-large bodies early by Content-Length. Streamed bodies are also counted when collected
/// (`routes.defaultMaxBodySize` and the collect limit), so a missing or false length does not help.
struct BodyLimitMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let limit = BodyLimits.limit(for: req.url.path)
        if let length = req.headers.first(name: .contentLength).flatMap(Int.init), length > limit {
            throw Abort(.payloadTooLarge, reason: "The request is too large.")
        }
        if req.body.data == nil, req.headers.first(name: .contentLength) == nil, req.method != .GET,
            req.method != .HEAD
        {
            // Chunked: count the bytes as they stream in, keeping them for the route (413 beyond the limit).
            _ = try await req.body.collect(max: limit).get()
        }
        return try await next.respond(to: req)
    }
}

/// Security headers on every response.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    let production: Bool

    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "font-src 'self'", "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'",
        "base-uri 'none'", "object-src 'none'",
    ].joined(separator: "; ")

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // Registered outside the error middleware, so error pages get these headers too.
        let response = try await next.respond(to: req)
        Self.apply(to: response, request: req, production: production)
        return response
    }

    static func apply(to response: Response, request req: Request, production: Bool) {
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: contentSecurityPolicy)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        if production {
            response.headers.replaceOrAdd(
                name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains")
        }
        // Anything but public static files may carry personal data or credentials.
        if !req.url.path.hasPrefix("/css/") && !req.url.path.hasPrefix("/js/") {
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
    }
}

extension Request {
    /// The client's address. X-Forwarded-For is believed only from a trusted proxy, and then the
    /// right-most address that is not itself a trusted proxy is taken.
    var clientAddress: String? {
        let peer = remoteAddress?.ipAddress
        let trusted = Set(application.settings.trustedProxies)
        guard let peer, trusted.contains(peer), let forwarded = headers.first(name: "X-Forwarded-For") else {
            return peer
        }
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return hops.reversed().first { !trusted.contains($0) } ?? peer
    }
}

/// Puts the request's id (`Request.requestID`: a client's only when short and plain) on its logger, first of all.
struct RequestIDMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        req.logger[metadataKey: "request-id"] = .string(req.requestID)
        return try await next.respond(to: req)
    }
}
