import Foundation
import Metrics
import NIOCore
import Prometheus
import SQLKit
import Vapor

/// Prometheus metrics: Vapor's own request counters and latency histograms (by route pattern, method and
/// status, so no id or token in a path ever becomes a label), job queue depth and age read from the
/// queue at each scrape, and notifications sent and failed.
enum ServiceMetrics {
    static let registry = PrometheusCollectorRegistry()

    /// swift-metrics has one backend per process, so this runs once however many applications start.
    private static let bootstrapped: Void = {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }()

    static func bootstrap() { _ = bootstrapped }

    static func notification(sent: Bool, channel: String) {
        Counter(
            label: "onboard_notifications_total",
            dimensions: [("channel", channel), ("outcome", sent ? "sent" : "failed")]
        ).increment()
    }

    /// The text a scrape gets: queue figures refreshed from the database first.
    static func exposition(kinds: [String], now: Date, on sql: any SQLDatabase) async throws -> String {
        struct Row: Decodable {
            let kind: String
            let n: Int
            let oldest: Date?
        }
        let rows = try await sql.raw(
            """
            SELECT kind, COUNT(*) AS n, MIN(run_at) AS oldest FROM jobs
            WHERE state = 'queued' AND run_at <= \(bind: now) GROUP BY kind
            """
        ).rows(Row.self)
        for kind in Set(kinds).union(rows.map(\.kind)) {
            let row = rows.first { $0.kind == kind }
            registry.makeGauge(name: "onboard_jobs_due", labels: [("kind", kind)]).set(Double(row?.n ?? 0))
            registry.makeGauge(name: "onboard_jobs_oldest_due_seconds", labels: [("kind", kind)])
                .set(row?.oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16_384)
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// One structured line per request: method, the route's pattern (never the raw path, which can carry a
/// tracking or registration token), status and duration. The request id rides in the logger's metadata.
struct RequestLogMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next.respond(to: req)
            log(req, status: response.status, since: start)
            return response
        } catch {
            log(req, status: (error as? any AbortError)?.status ?? .internalServerError, since: start)
            throw error
        }
    }

    private func log(_ req: Request, status: HTTPStatus, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let route = req.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
        req.logger.info(
            "request",
            metadata: [
                "method": .string(req.method.rawValue), "route": .string(route),
                "status": .stringConvertible(status.code),
                "ms": .string(String(format: "%.1f", milliseconds)),
            ])
    }
}

extension MessageSender {
    /// The same sender, counting what it sends and what fails.
    func counted() -> MessageSender {
        MessageSender { message in
            do {
                try await send(message)
                ServiceMetrics.notification(sent: true, channel: "email")
            } catch {
                ServiceMetrics.notification(sent: false, channel: "email")
                throw error
            }
        }
    }
}
