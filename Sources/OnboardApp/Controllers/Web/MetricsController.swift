import Vapor

/// `/metrics` answers only the addresses in `METRICS_ALLOWED`; anyone else is told it does not exist.
struct MetricsController {
    func scrape(req: Request) async throws -> Response {
        guard let address = req.clientAddress, req.settings.metricsAllowed.contains(address) else {
            throw Abort(.notFound)
        }
        let text = try await ServiceMetrics.exposition(
            kinds: Array(req.application.jobs.handlers.keys), now: req.now, on: req.sql)
        let response = Response(status: .ok, body: .init(string: text))
        response.headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
