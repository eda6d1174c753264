import Fluent
import SQLKit

/// Guidance links are data a national administrator can edit; these are the source page's.
struct M009_CreateGuidance: AsyncMigration {
    static let items: [(key: String, title: String, url: String, audience: String)] = [
        (
            "onboarding-faqs", "NHSmail on-boarding FAQs", "https://support.nhs.net/knowledge-base/onboarding-faqs/",
            "organisations"
        ),
        (
            "pid-template", "Project initiation document template",
            "https://support.nhs.net/knowledge-base/project-initiation-template/", "organisations"
        ),
        (
            "migration-options", "Migration service options",
            "https://support.nhs.net/knowledge-base/migration-service-options/", "organisations"
        ),
        (
            "self-migration-guide", "Organisation self-migration guide",
            "https://support.nhs.net/knowledge-base/self-migration-guide/", "organisations"
        ),
        (
            "self-migration-plan", "Self-migration project plan",
            "https://support.nhs.net/knowledge-base/self-migration-plan/", "organisations"
        ),
        (
            "managed-migration", "Managed migration service overview",
            "https://support.nhs.net/knowledge-base/managed-migration-overview/", "organisations"
        ),
        (
            "migration-checklist", "NHSmail migration checklist",
            "https://support.nhs.net/knowledge-base/migration-checklist/", "organisations"
        ),
        (
            "safe-data-transfer", "Guide on safely transferring data into NHSmail",
            "https://support.nhs.net/knowledge-base/safe-data-transfer/", "organisations"
        ),
        (
            "webinar-slides", "Information sharing webinar slides",
            "https://support.nhs.net/knowledge-base/webinar-slides/", "organisations"
        ),
        (
            "webinar-recording", "Information sharing webinar recording",
            "https://support.nhs.net/knowledge-base/webinar-recording/", "organisations"
        ),
        (
            "webinar-faq", "Webinar frequently asked questions log",
            "https://support.nhs.net/knowledge-base/webinar-faq-log/", "organisations"
        ),
        ("access-policy", "NHSmail access policy", "https://support.nhs.net/knowledge-base/access-policy/", "non_nhs"),
        (
            "aup", "NHSmail acceptable use policy", "https://support.nhs.net/knowledge-base/acceptable-use-policy/",
            "everyone"
        ),
        (
            "pharmacy-guide", "Guide for pharmacies using NHSmail",
            "https://support.nhs.net/knowledge-base/pharmacy-guide/", "pharmacies"
        ),
        (
            "new-user-guide", "Guide for new NHSmail users", "https://support.nhs.net/knowledge-base/new-user-guide/",
            "users"
        ),
        (
            "care-home-toolkit", "Care home secure email toolkit",
            "https://support.nhs.net/knowledge-base/care-home-toolkit/", "care_homes"
        ),
        (
            "la-care-home-guidance", "Guidance for Local Administrators approving care homes",
            "https://support.nhs.net/knowledge-base/la-care-home-guidance/", "local_admins"
        ),
        (
            "encryption-tool", "NHSmail encryption tool", "https://support.nhs.net/knowledge-base/encryption-guide/",
            "pharmacies"
        ),
    ]

    func prepare(on database: any Database) async throws {
        try await database.schema("guidance_items")
            .field("key", .string, .identifier(auto: false))
            .field("title", .string, .required)
            .field("url", .string, .required)
            .field("audience", .string, .required)
            .field("sort_order", .int, .required)
            .create()
        let sql = database as! any SQLDatabase
        for (index, item) in Self.items.enumerated() {
            try await sql.insert(into: "guidance_items")
                .columns("key", "title", "url", "audience", "sort_order")
                .values(
                    SQLBind(item.key), SQLBind(item.title), SQLBind(item.url), SQLBind(item.audience), SQLBind(index)
                )
                .run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("guidance_items").delete()
    }
}
