import Fluent
import Foundation
import OnboardDomain
import SQLKit

/// Migration projects: the project with its option and initiation record, plan and checklist templates
/// held as data, each project's own tasks and checklist, transfer batches with their scanned items, and
/// quarantined content in a table of its own. Also the migration guidance.
struct M014_CreateMigrationProjects: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await database.schema("migration_projects")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("ism_id", .uuid, .references("accounts", "id"))
            .field("option", .string)
            .field("option_reason", .string)
            .field("go_live_day", .int)
            .field("status", .string, .required)
            .field("scope", .string)
            .field("mailbox_count", .int)
            .field("data_volume_gb", .int)
            .field("current_system", .string)
            .field("key_contacts", .string)
            .field("risks", .string)
            .field("created_by_id", .uuid, .required, .references("accounts", "id"))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("live_at", .datetime)
            .field("live_by_id", .uuid, .references("accounts", "id"))
            .unique(on: "organisation_id")
            .create()
        try await sql.raw("CREATE INDEX migration_projects_ism_idx ON migration_projects (ism_id)").run()

        try await database.schema("migration_plan_templates")
            .field("option", .string, .required)
            .field("key", .string, .required)
            .field("position", .int, .required)
            .field("title", .string, .required)
            .field("owner", .string, .required)
            .field("duration_days", .int, .required)
            .field("offset_days", .int, .required)
            .field("depends_on", .string, .required)
            .compositeIdentifier(over: "option", "key")
            .create()
        try await database.schema("migration_checklist_templates")
            .field("option", .string, .required)
            .field("key", .string, .required)
            .field("position", .int, .required)
            .field("title", .string, .required)
            .field("mandatory", .bool, .required)
            .compositeIdentifier(over: "option", "key")
            .create()
        for option in MigrationOption.allCases {
            for (position, task) in MigrationPlan.defaultTemplate(for: option).enumerated() {
                try await sql.insert(into: "migration_plan_templates")
                    .columns(
                        "option", "key", "position", "title", "owner", "duration_days", "offset_days", "depends_on"
                    )
                    .values(
                        SQLBind(option.rawValue), SQLBind(task.key), SQLBind(position), SQLBind(task.title),
                        SQLBind(task.owner.rawValue), SQLBind(task.durationDays), SQLBind(task.offsetDays),
                        SQLBind(task.dependsOn.joined(separator: " "))
                    ).run()
            }
            for (position, item) in MigrationChecklist.defaultItems(for: option).enumerated() {
                try await sql.insert(into: "migration_checklist_templates")
                    .columns("option", "key", "position", "title", "mandatory")
                    .values(
                        SQLBind(option.rawValue), SQLBind(item.key), SQLBind(position), SQLBind(item.title),
                        SQLBind(item.mandatory)
                    ).run()
            }
        }

        // A project's tasks keep their template's numbers, so moving go-live re-places them the same way
        // even after the template is edited.
        try await database.schema("migration_tasks")
            .field("project_id", .uuid, .required, .references("migration_projects", "id"))
            .field("key", .string, .required)
            .field("position", .int, .required)
            .field("title", .string, .required)
            .field("owner", .string, .required)
            .field("duration_days", .int, .required)
            .field("offset_days", .int, .required)
            .field("depends_on", .string, .required)
            .field("start_day", .int, .required)
            .field("end_day", .int, .required)
            .field("problem", .string)
            .field("done_at", .datetime)
            .field("done_by_id", .uuid, .references("accounts", "id"))
            .field("evidence", .string)
            .compositeIdentifier(over: "project_id", "key")
            .create()
        try await database.schema("migration_checklist")
            .field("project_id", .uuid, .required, .references("migration_projects", "id"))
            .field("key", .string, .required)
            .field("position", .int, .required)
            .field("title", .string, .required)
            .field("mandatory", .bool, .required)
            .field("ticked_at", .datetime)
            .field("ticked_by_id", .uuid, .references("accounts", "id"))
            .field("evidence", .string)
            .compositeIdentifier(over: "project_id", "key")
            .create()

        try await database.schema("transfer_batches")
            .id()
            .field("project_id", .uuid, .required, .references("migration_projects", "id"))
            .field("filename", .string, .required)
            .field("content", .data)
            .field("byte_count", .int, .required)
            .field("uploaded_by_id", .uuid, .required, .references("accounts", "id"))
            .field("status", .string, .required)
            .field("items_total", .int, .required)
            .field("items_done", .int, .required)
            .field("scanner_note", .string)
            .field("created_at", .datetime, .required)
            .field("finished_at", .datetime)
            .create()
        try await sql.raw("CREATE INDEX transfer_batches_project_idx ON transfer_batches (project_id, created_at)")
            .run()
        try await database.schema("transfer_items")
            .id()
            .field("batch_id", .uuid, .required, .references("transfer_batches", "id"))
            .field("position", .int, .required)
            .field("path", .string, .required)
            .field("byte_count", .int, .required)
            .field("state", .string, .required)
            .field("detail", .string)
            .field("scanned_at", .datetime)
            .field("dealt_by_id", .uuid, .references("accounts", "id"))
            .field("dealt_at", .datetime)
            .field("release_reason", .string)
            .unique(on: "batch_id", "position")
            .create()
        try await sql.raw("CREATE INDEX transfer_items_state_idx ON transfer_items (batch_id, state)").run()
        // Quarantined content is kept apart from everything else, for the ISM only, until it is purged.
        try await database.schema("quarantine")
            .field("item_id", .uuid, .identifier(auto: false), .references("transfer_items", "id"))
            .field("project_id", .uuid, .required, .references("migration_projects", "id"))
            .field("content", .data, .required)
            .field("stored_at", .datetime, .required)
            .field("purge_after", .datetime, .required)
            .create()
        try await sql.raw("CREATE INDEX quarantine_purge_idx ON quarantine (purge_after)").run()

        let next = try await sql.raw("SELECT COALESCE(MAX(sort_order), 0) + 1 AS n FROM guidance_items").first()
        var order = try next?.decode(column: "n", as: Int.self) ?? 100
        for item in Self.guidance {
            try await sql.insert(into: "guidance_items")
                .columns("key", "title", "url", "audience", "sort_order")
                .values(
                    SQLBind(item.key), SQLBind(item.title), SQLBind(item.url), SQLBind(item.audience), SQLBind(order)
                )
                .run()
            order += 1
        }
    }

    /// The source's migration documents by option; the contact is for partial and managed migrations.
    static let guidance: [(key: String, title: String, url: String, audience: String)] = [
        (
            "migration-contact", "Contact the national migration team",
            "mailto:migration.team@onboard.example", "migration_supported"
        ),
        (
            "managed-migration-webinar", "Managed migration webinar materials",
            "https://support.nhs.net/knowledge-base/managed-migration-webinar/", "migration_managed"
        ),
    ]

    func revert(on database: any Database) async throws {
        for table in [
            "quarantine", "transfer_items", "transfer_batches", "migration_checklist", "migration_tasks",
            "migration_checklist_templates", "migration_plan_templates", "migration_projects",
        ] {
            try await database.schema(table).delete()
        }
        let sql = database as! any SQLDatabase
        try await sql.raw("DELETE FROM guidance_items WHERE key IN (\(binds: Self.guidance.map(\.key)))").run()
    }
}
