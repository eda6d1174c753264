import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The audit log and security events for people: search, one event in full, and CSV export.
struct OversightController {
    struct Filter: Content {
        var actor: String?
        var target: String?
        var action: String?
        var organisation: String?
        var from: String?
        var to: String?
        var before: String?

        var filters: AuditSearch.Filters {
            AuditSearch.Filters(
                actor: actor ?? "", target: target ?? "", action: action ?? "", organisation: organisation ?? "",
                from: from ?? "", to: to ?? "")
        }
    }

    struct EventLink: Encodable {
        let href: String
        let time: String
        let actor: String
        let action: String
        let target: String
        let organisation: String
    }

    struct SearchPage: Encodable {
        let actor: String
        let target: String
        let action: String
        let organisation: String
        let from: String
        let to: String
        let events: [EventLink]
        let hasEvents: Bool
        let nextHref: String?
        let csvHref: String
        let scopeNote: String
        let fieldErrors: [String: String]
    }

    func search(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let filter = try req.query.decode(Filter.self)
        let filters = filter.filters
        let title = "Audit log"
        let crumbs: [Chrome.Link] = [.init(text: "Home", href: SiteURL.home.path)]
        switch AuditSearch.validate(filters, before: filter.before) {
        case .failure(let errors):
            return try await req.render(
                "oversight/audit", req.chrome(title, breadcrumbs: crumbs, errors: errors),
                page(filters, principal: principal, events: [], next: nil, errors: errors))
        case .success(let query):
            let result = try await AuditSearch.run(query, principal: principal, on: req.sql)
            return try await req.render(
                "oversight/audit", req.chrome(title, breadcrumbs: crumbs),
                page(query.filters, principal: principal, events: result.rows, next: result.next, errors: .init()))
        }
    }

    private func page(
        _ filters: AuditSearch.Filters, principal: Principal, events: [AuditSearch.Row], next: Int64?,
        errors: ValidationErrors
    ) -> SearchPage {
        let query = filters.query
        return SearchPage(
            actor: filters.actor, target: filters.target, action: filters.action, organisation: filters.organisation,
            from: filters.from, to: filters.to,
            events: events.map { row in
                EventLink(
                    href: SiteURL.auditEvent(Int(row.seq)).path, time: Format.dateTimeSeconds(row.occurredAt),
                    actor: row.actorAddress ?? Self.roleName(row.actorRole), action: row.action,
                    target: Self.target(row.targetType, row.targetID),
                    organisation: row.organisationODS ?? "")
            }, hasEvents: !events.isEmpty,
            nextHref: next.map { SiteURL.audit.path + "?" + (query.isEmpty ? "" : query + "&") + "before=\($0)" },
            csvHref: SiteURL.auditExport.path + (query.isEmpty ? "" : "?" + query),
            scopeNote: principal.has(.nationalAdmin)
                ? "You can see every event."
                : "You can see events about the organisations you administer.",
            fieldErrors: errors.byField)
    }

    static func roleName(_ raw: String?) -> String {
        guard let raw else { return "Unknown" }
        return Role(rawValue: raw)?.displayName ?? raw.capitalized
    }

    static func target(_ type: String, _ id: String?) -> String {
        let kind = type.replacingOccurrences(of: "_", with: " ")
        guard let id else { return kind }
        return "\(kind) \(id.count == 36 ? String(id.prefix(8)).lowercased() : id)"
    }

    func export(req: Request, principal: Principal) async throws -> Response {
        let filter = try req.query.decode(Filter.self)
        guard case .success(let query) = AuditSearch.validate(filter.filters, before: nil) else {
            return req.redirect(to: SiteURL.audit.path + "?" + filter.filters.query)
        }
        let (text, rows) = try await AuditSearch.csv(query, principal: principal, on: req.sql)
        try await req.audit(
            AuditEntry(
                "audit.exported", target: "audit_events", id: nil, before: String?.none,
                after: ["filters": query.filters.query, "rows": String(rows)]),
            on: req.sql)
        let response = Response(status: .ok, body: .init(string: text))
        response.headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"audit-log.csv\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct DetailPage: Encodable {
        let seq: String
        let id: String
        let time: String
        let micros: String
        let actor: String
        let role: String?
        let scope: String?
        let token: String?
        let action: String
        let target: String
        let organisation: String?
        let requestID: String?
        let clientAddress: String?
        let before: String?
        let after: String?
        let erased: Bool
        let back: String
    }

    func event(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        guard let seq = PathParameter.seq.value(in: req).map(Int64.init),
            let event = try await AuditSearch.event(seq, principal: principal, on: req.sql)
        else { throw Abort(.notFound) }
        // Before and after can hold personal data: reading them is itself recorded.
        try await req.audit(
            AuditEntry("audit.event_viewed", target: "audit_event", id: String(seq), organisation: nil), on: req.sql)
        return try await req.render(
            "oversight/event",
            req.chrome(
                "Audit event \(seq)",
                breadcrumbs: [
                    .init(text: "Home", href: SiteURL.home.path), .init(text: "Audit log", href: SiteURL.audit.path),
                ]),
            DetailPage(
                seq: String(seq), id: event.id.uuidString.lowercased(), time: Format.dateTimeSeconds(event.occurredAt),
                micros: String(event.occurredUs), actor: event.actorAddress ?? "The service itself",
                role: event.actorRole.map { Self.roleName($0) }, scope: event.actorScope.flatMap(Self.present),
                token: event.tokenID?.uuidString.lowercased(), action: event.action,
                target: [event.targetType, event.targetID].compactMap { $0 }.joined(separator: " "),
                organisation: event.organisationODS.map { "\(event.organisationName ?? "") (\($0))" },
                requestID: event.requestID, clientAddress: event.clientAddress,
                before: event.before.map(Self.pretty), after: event.after.map(Self.pretty),
                erased: event.redactedAt != nil,
                back: SiteURL.audit.path))
    }

    static func present(_ text: String) -> String? { text.isEmpty ? nil : text }

    static func pretty(_ json: String) -> String {
        guard let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data),
            let formatted = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return json }
        return String(decoding: formatted, as: UTF8.self)
    }

    // MARK: Security events

    struct SecurityFilter: Content {
        var kind: String?
        var before: String?
    }

    struct KindChoice: Encodable {
        let value: String
        let text: String
        let selected: Bool
    }

    struct SecurityRow: Encodable {
        let time: String
        let kind: String
        let account: String
        let attempted: String
        let detail: String
        let path: String
        let address: String
    }

    struct SecurityPage: Encodable {
        let kinds: [KindChoice]
        let events: [SecurityRow]
        let hasEvents: Bool
        let nextHref: String?
        let retentionDays: Int
    }

    func security(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let filter = try req.query.decode(SecurityFilter.self)
        let kind = filter.kind.flatMap(SecurityEventKind.init(rawValue:))
        let before = filter.before.flatMap { Int64($0) }.map { Date(timeIntervalSince1970: Double($0) / 1_000_000) }
        let page = try await SecurityEvents.search(kind: kind, before: before, principal: principal, on: req.sql)
        try await req.audit(
            AuditEntry(
                "security_events.viewed", target: "security_events", id: nil, before: String?.none,
                after: ["kind": kind?.rawValue ?? "all"]),
            on: req.sql)
        let kindQuery = kind.map { "kind=\($0.rawValue)&" } ?? ""
        return try await req.render(
            "oversight/security",
            req.chrome(
                "Security events",
                breadcrumbs: [
                    .init(text: "Home", href: SiteURL.home.path), .init(text: "Audit log", href: SiteURL.audit.path),
                ]),
            SecurityPage(
                kinds: [KindChoice(value: "", text: "All kinds", selected: kind == nil)]
                    + SecurityEventKind.allCases.map {
                        KindChoice(value: $0.rawValue, text: $0.label, selected: $0 == kind)
                    },
                events: page.rows.map { row in
                    SecurityRow(
                        time: Format.dateTimeSeconds(row.occurredAt),
                        kind: SecurityEventKind(rawValue: row.kind)?.label ?? row.kind,
                        account: row.accountAddress ?? "", attempted: row.attempted ?? "", detail: row.detail ?? "",
                        path: row.path ?? "", address: row.clientAddress ?? "")
                }, hasEvents: !page.rows.isEmpty,
                nextHref: page.next.map { SiteURL.auditSecurity.path + "?\(kindQuery)before=\(AuditLog.micros($0))" },
                retentionDays: req.settings.audit.securityEventRetentionDays))
    }
}
