import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// National administrators edit the guidance shown on the front page, outcomes and migration projects.
struct GuidanceController {
    static let audiences: [(value: String, text: String)] = [
        ("everyone", "Everyone"), ("organisations", "Organisations joining and migrating"),
        ("non_nhs", "Non-NHS organisations"), ("pharmacies", "Pharmacies"), ("care_homes", "Care homes"),
        ("users", "New users"), ("local_admins", "Local Administrators"),
        ("migration_self_service", "Self-service migrations"),
        ("migration_partial_managed", "Partial managed migrations"), ("migration_managed", "Managed migrations"),
        ("migration_supported", "Partial managed and managed migrations"),
    ]

    struct Row: Encodable {
        let title: String
        let url: String
        let audience: String
        let href: String
    }

    struct ListPage: Encodable { let items: [Row] }

    func list(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let items = try await Guidance.items(on: req.sql)
        let names = Dictionary(Self.audiences.map { ($0.value, $0.text) }, uniquingKeysWith: { a, _ in a })
        return try await req.render(
            "guidance/list",
            req.chrome("Guidance", breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)], notice: req.notice),
            ListPage(
                items: items.map {
                    Row(
                        title: $0.title, url: $0.url, audience: names[$0.audience] ?? $0.audience,
                        href: SiteURL.guidanceItem($0.key).path)
                }))
    }

    struct AudienceChoice: Encodable {
        let value: String
        let text: String
        let selected: Bool
    }

    struct EditPage: Encodable {
        let action: String
        let title: String
        let url: String
        let audiences: [AudienceChoice]
        let fieldErrors: [String: String]
    }

    struct EditForm: Content {
        var title: String?
        var url: String?
        var audience: String?
    }

    private func item(_ req: Request) async throws -> Guidance.Item {
        let key = PathParameter.key.value(in: req) ?? ""
        guard let item = try await Guidance.items(on: req.sql).first(where: { $0.key == key }) else {
            throw Abort(.notFound)
        }
        return item
    }

    func editPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let item = try await item(req)
        return try await render(
            req, form: EditForm(title: item.title, url: item.url, audience: item.audience), errors: .init())
    }

    private func render(_ req: Request, form: EditForm, errors: ValidationErrors) async throws -> Response {
        try await req.render(
            "guidance/edit",
            req.chrome("Edit guidance", backLink: SiteURL.guidance.path, errors: errors),
            EditPage(
                action: req.url.path, title: form.title ?? "", url: form.url ?? "",
                audiences: Self.audiences.map {
                    AudienceChoice(value: $0.value, text: $0.text, selected: $0.value == form.audience)
                }, fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func save(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let item = try await item(req)
        let form = try req.content.decode(EditForm.self)
        do {
            _ = try await Self.save(item, title: form.title, url: form.url, audience: form.audience, req: req)
        } catch let errors as ValidationErrors {
            return try await render(req, form: form, errors: errors)
        }
        return req.seeOther(.guidance, notice: Notices.guidanceSaved)
    }

    /// Checks and saves a guidance item's title, address and audience, with audit: the page's and the API's.
    static func save(_ item: Guidance.Item, title: String?, url: String?, audience: String?, req: Request)
        async throws -> Guidance.Item
    {
        var errors = ValidationErrors()
        let title = title?.tidied ?? ""
        let url = url?.trimmingCharacters(in: .whitespaces) ?? ""
        if title.isEmpty { errors.add("title", "Enter the title people will see") }
        if title.count > 200 { errors.add("title", "The title must be 200 characters or fewer") }
        if !(url.hasPrefix("https://") || url.hasPrefix("mailto:")) || url.count > 500 || url.contains(" ") {
            errors.add("url", "Enter a web address starting https://, or an email address starting mailto:")
        }
        if !audiences.contains(where: { $0.value == audience }) {
            errors.add("audience", "Choose who the guidance is for")
        }
        try errors.throwIfAny()
        let saved = Guidance.Item(key: item.key, title: title, url: url, audience: audience ?? item.audience)
        let context = req.auditContext
        let now = req.now
        try await req.inTransaction { sql in
            try await sql.raw(
                """
                UPDATE guidance_items SET title = \(bind: saved.title), url = \(bind: saved.url),
                    audience = \(bind: saved.audience)
                WHERE key = \(bind: item.key)
                """
            ).run()
            try await AuditLog.record(
                AuditEntry("guidance.updated", target: "guidance_item", id: item.key, before: item, after: saved),
                context: context, at: now, on: sql)
        }
        return saved
    }
}
