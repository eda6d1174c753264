import Foundation
import OnboardDomain
import OpenAPIRuntime
import Vapor

extension APIHandler {
    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws
        -> Operations.ListAuditEvents.Output
    {
        let (req, principal) = try context()
        let q = input.query
        let filters = AuditSearch.Filters(
            actor: q.actor ?? "", target: q.target ?? "", action: q.action ?? "", organisation: q.organisation ?? "",
            from: q.from ?? "", to: q.to ?? "")
        let query: AuditSearch.Query
        switch AuditSearch.validate(filters, before: q.cursor, limit: q.limit) {
        case .success(let valid): query = valid
        case .failure(let errors):
            var renamed = ValidationErrors()
            for error in errors.errors { renamed.add(error.field == "before" ? "cursor" : error.field, error.message) }
            throw APIProblem(renamed)
        }
        let page = try await AuditSearch.run(query, principal: principal, on: req.sql)
        let items = page.rows.map { row in
            Components.Schemas.AuditEvent(
                sequence: row.seq, occurredAt: row.occurredAt, occurredMicros: row.occurredUs,
                actor: row.actorAddress, actorRole: row.actorRole, apiToken: row.tokenID?.uuidString.lowercased(),
                action: row.action, targetType: row.targetType, target: row.targetID,
                organisationOds: row.organisationODS, requestId: row.requestID)
        }
        return .ok(.init(body: .json(.init(items: items, nextCursor: page.next.map { String($0) }))))
    }

    /// The caller's work queues, as on their home page: deny by default, because each queue is scoped by the
    /// same conditions as the page, and a person with none of its roles gets none.
    func listWorkQueues(_ input: Operations.ListWorkQueues.Input) async throws -> Operations.ListWorkQueues.Output {
        let (req, principal) = try context()
        let queues = try await WorkQueue.all(for: principal, now: req.now, on: req.sql)
        return .ok(
            .init(
                body: .json(
                    .init(
                        queues: queues.map { queue in
                            let name: Components.Schemas.WorkQueue.NamePayload =
                                switch queue.name {
                                case .applications: .applications
                                case .activations: .activations
                                case .sheets: .sheets
                                case .quarantine: .quarantine
                                }
                            return .init(
                                name: name, title: queue.title,
                                total: queue.total,
                                items: queue.items.map { .init(text: $0.text, path: $0.href, waitingSince: $0.since) })
                        }))))
    }
}
