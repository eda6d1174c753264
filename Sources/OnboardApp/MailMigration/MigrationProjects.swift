import Foundation
import OnboardDomain
import SQLKit
import Vapor

struct MigrationProjectRow: Decodable, Sendable {
    let id: UUID
    let organisationID: UUID
    let organisationName: String
    let odsCode: String?
    let organisationStatus: String
    let ismID: UUID?
    let ismName: String?
    let option: String?
    let optionReason: String?
    let goLiveDay: Int?
    let status: String
    let scope: String?
    let mailboxCount: Int?
    let dataVolumeGB: Int?
    let currentSystem: String?
    let keyContacts: String?
    let risks: String?
    let createdAt: Date
    let updatedAt: Date
    let liveAt: Date?

    var migrationOption: MigrationOption? { option.flatMap(MigrationOption.init(rawValue:)) }
    var goLive: Day? { goLiveDay.map(Day.init(ordinal:)) }
    var isLive: Bool { status == "live" }
}

struct MigrationTaskRow: Decodable, Sendable {
    let key: String
    let position: Int
    let title: String
    let owner: String
    let durationDays: Int
    let offsetDays: Int
    let dependsOn: String
    let startDay: Int
    let endDay: Int
    let problem: String?
    let doneAt: Date?
    let evidence: String?
    let doneByName: String?

    var template: TaskTemplate {
        TaskTemplate(
            key: key, title: title, owner: TaskOwner(rawValue: owner) ?? .organisation, durationDays: durationDays,
            offsetDays: offsetDays, dependsOn: dependsOn.split(separator: " ").map(String.init))
    }
    var start: Day { Day(ordinal: startDay) }
    var end: Day { Day(ordinal: endDay) }
    var ownerTitle: String { (TaskOwner(rawValue: owner) ?? .organisation).title }
}

struct ChecklistRow: Decodable, Sendable {
    let key: String
    let title: String
    let mandatory: Bool
    let tickedAt: Date?
    let evidence: String?
    let tickedByName: String?
}

/// The initiation record's fields, following the template's headings.
struct ProjectInitiation: Sendable, Codable, Equatable {
    var scope: String?
    var mailboxCount: Int?
    var dataVolumeGB: Int?
    var currentSystem: String?
    var keyContacts: String?
    var risks: String?

    /// Reads the form's or API's text, collecting every problem.
    static func parse(
        scope: String?, mailboxCount: String?, dataVolumeGB: String?, currentSystem: String?, keyContacts: String?,
        risks: String?
    ) throws(ValidationErrors) -> ProjectInitiation {
        var errors = ValidationErrors()
        func text(_ value: String?, _ field: String, _ name: String, max: Int) -> String? {
            let value = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if value.count > max { errors.add(field, "\(name) must be \(max) characters or fewer") }
            return value.isEmpty ? nil : value
        }
        func number(_ value: String?, _ field: String, _ name: String) -> Int? {
            let value = value?.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "") ?? ""
            if value.isEmpty { return nil }
            guard let number = Int(value), number >= 0, number <= 10_000_000 else {
                errors.add(field, "\(name) must be a whole number, like 250")
                return nil
            }
            return number
        }
        let result = ProjectInitiation(
            scope: text(scope, "scope", "Scope", max: 4000),
            mailboxCount: number(mailboxCount, "mailboxCount", "Number of mailboxes"),
            dataVolumeGB: number(dataVolumeGB, "dataVolumeGB", "Volume of data"),
            currentSystem: text(currentSystem, "currentSystem", "Current email system", max: 500),
            keyContacts: text(keyContacts, "keyContacts", "Key contacts", max: 2000),
            risks: text(risks, "risks", "Risks", max: 4000))
        try errors.throwIfAny()
        return result
    }
}

/// Why go-live cannot be confirmed yet, in words for the page and the API.
struct GoLiveBlockers: Sendable {
    var outstanding: [String] = []
    /// Plan tasks that must be done before go-live and are not.
    var tasks: [String] = []
    var gate: String?
    var noPlan = false
    var isEmpty: Bool { outstanding.isEmpty && tasks.isEmpty && gate == nil && !noPlan }

    var messages: [String] {
        var all: [String] = []
        if noPlan { all.append("Choose a migration option and a go-live date first") }
        all += tasks.map { "Mark \"\($0)\" done on the plan" }
        all += outstanding.map { "Tick \"\($0)\" on the checklist" }
        if let gate { all.append(gate) }
        return all
    }
}

enum MigrationProjects {
    static let columns: SQLQueryString = """
        mp.id, mp.organisation_id, o.name AS organisation_name, o.ods_code, o.status AS organisation_status,
        mp.ism_id, ip.given_name || ' ' || ip.family_name AS ism_name, mp.option, mp.option_reason, mp.go_live_day,
        mp.status, mp.scope, mp.mailbox_count, mp.data_volume_gb, mp.current_system, mp.key_contacts, mp.risks,
        mp.created_at, mp.updated_at, mp.live_at
        """
    static let joins: SQLQueryString = """
        FROM migration_projects mp JOIN organisations o ON o.id = mp.organisation_id
        LEFT JOIN accounts ia ON ia.id = mp.ism_id LEFT JOIN people ip ON ip.id = ia.person_id
        """

    /// National administrators see every project; an ISM only those assigned to them; an LA those of the
    /// organisations they administer.
    static func visibility(for principal: Principal) -> SQLQueryString {
        if principal.has(.nationalAdmin) { return "1 = 1" }
        var clause: SQLQueryString = "(mp.ism_id = \(bind: principal.accountID)"
        let administered = principal.administering([.localAdmin])
        if !administered.treeRoots.isEmpty {
            clause.appendLiteral(" OR ")
            clause.appendInterpolation(administered.contains(SQLColumn("organisation_id", table: "mp")))
        }
        clause.appendLiteral(")")
        return clause
    }

    static func list(for principal: Principal, on sql: any SQLDatabase) async throws -> [MigrationProjectRow] {
        try await sql.raw(
            "SELECT \(columns) \(joins) WHERE \(visibility(for: principal)) ORDER BY mp.status, o.name LIMIT 500"
        ).rows(MigrationProjectRow.self)
    }

    /// A project the caller may see, or 404, whether or not it exists.
    static func visible(_ id: UUID?, to principal: Principal, on sql: any SQLDatabase) async throws
        -> MigrationProjectRow
    {
        guard let id,
            let row = try await sql.raw(
                "SELECT \(columns) \(joins) WHERE mp.id = \(bind: id) AND \(visibility(for: principal))"
            ).firstRow(MigrationProjectRow.self)
        else { throw Abort(.notFound) }
        return row
    }

    /// Only the assigned ISM deals with quarantine and reads its content.
    static func isAssignedISM(_ project: MigrationProjectRow, _ principal: Principal) -> Bool {
        project.ismID == principal.accountID && principal.has(.implementationSupportManager)
    }

    /// Assigning an ISM is for national administrators and the organisation's LAs.
    static func canAssign(_ principal: Principal) -> Bool {
        principal.hasAny(.ismAssigners)
    }

    struct ISMOption: Decodable, Sendable {
        let id: UUID
        let name: String
    }

    /// Everyone who holds the ISM role, for assigning.
    static func isms(on sql: any SQLDatabase) async throws -> [ISMOption] {
        try await sql.raw(
            """
            SELECT DISTINCT a.id, p.given_name || ' ' || p.family_name AS name
            FROM role_grants g JOIN accounts a ON a.id = g.account_id JOIN people p ON p.id = a.person_id
            WHERE g.role = \(bind: Role.implementationSupportManager.rawValue) AND g.revoked_at IS NULL
                AND a.state <> 'deleted'
            ORDER BY name
            """
        ).rows(ISMOption.self)
    }

    // MARK: Starting

    /// Starts a project for an organisation that is onboarding and in the caller's scope. An ISM starts it
    /// for themselves; others choose the ISM. Field errors name `organisation` and `ism`.
    static func start(
        ods: String?, ism: UUID?, principal: Principal, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws -> UUID {
        var errors = ValidationErrors()
        let code = ods?.tidied.uppercased() ?? ""
        struct Org: Decodable {
            let id: UUID
            let name: String
            let onboardingStatus: String
        }
        var organisation: Org?
        if code.isEmpty {
            errors.add("organisation", "Enter the organisation's ODS code")
        } else {
            organisation = try await sql.raw(
                """
                SELECT o.id, o.name, o.status AS onboarding_status FROM organisations o
                WHERE o.ods_code = \(bind: code) AND \(principal.scope.contains(SQLColumn("id", table: "o"), walk: .up))
                """
            ).firstRow(Org.self)
            if let found = organisation {
                if found.onboardingStatus != OnboardingStatus.onboarding.rawValue {
                    let status = OnboardingStatus(rawValue: found.onboardingStatus)?.displayName.lowercased() ?? ""
                    errors.add(
                        "organisation",
                        "\(found.name) is \(status): only an organisation that is onboarding has a migration project")
                } else if try await sql.raw(
                    "SELECT 1 AS ok FROM migration_projects WHERE organisation_id = \(bind: found.id)"
                ).first() != nil {
                    errors.add("organisation", "\(found.name) already has a migration project")
                }
            } else {
                errors.add("organisation", "No organisation you administer has the ODS code \(code)")
            }
        }
        var ismID = ism
        if principal.has(.implementationSupportManager) && !canAssign(principal) {
            ismID = principal.accountID
        }
        if let chosen = ismID {
            if !(try await isms(on: sql)).contains(where: { $0.id == chosen }) {
                errors.add("ism", "Choose an implementation support manager from the list")
            }
        } else {
            errors.add("ism", "Choose the implementation support manager")
        }
        try errors.throwIfAny()
        guard let organisation, let ismID else { throw errors }
        let id = UUID()
        let inserted = try await sql.insertRows(
            "migration_projects",
            ["id", "organisation_id", "ism_id", "status", "created_by_id", "created_at", "updated_at"],
            [[id, organisation.id, ismID, "open", principal.accountID, now, now]], ignoringConflicts: true,
            returning: "id")
        guard !inserted.isEmpty else {
            throw ValidationErrors([
                FieldError(field: "organisation", message: "\(organisation.name) already has a migration project")
            ])
        }
        try await AuditLog.record(
            AuditEntry(
                "migration.project_started", target: "migration_project", id: id.uuidString,
                before: [String: String]?.none,
                after: ["organisation": organisation.id.uuidString, "ism": ismID.uuidString]),
            context: context, at: now, on: sql)
        return id
    }

    static func assign(
        _ project: MigrationProjectRow, ism: UUID?, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws {
        guard let ism, try await isms(on: sql).contains(where: { $0.id == ism }) else {
            throw ValidationErrors([FieldError(field: "ism", message: "Choose an implementation support manager")])
        }
        try await sql.raw(
            "UPDATE migration_projects SET ism_id = \(bind: ism), updated_at = \(bind: now) WHERE id = \(bind: project.id)"
        ).run()
        try await AuditLog.record(
            AuditEntry(
                "migration.ism_assigned", target: "migration_project", id: project.id.uuidString,
                before: ["ism": project.ismID?.uuidString], after: ["ism": ism.uuidString]),
            context: context, at: now, on: sql)
    }

    // MARK: Option, initiation, go-live

    /// Records the option and its reason, and (re)builds the plan and checklist from the option's templates,
    /// keeping what was already done under the same keys.
    static func chooseOption(
        _ project: MigrationProjectRow, option: String?, reason: String?, context: AuditContext, now: Date,
        today: Day, on sql: any SQLDatabase
    ) async throws {
        var errors = ValidationErrors()
        let chosen = option.flatMap(MigrationOption.init(rawValue:))
        if chosen == nil { errors.add("option", "Choose how the organisation will migrate") }
        let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if why.isEmpty {
            errors.add("reason", "Enter why this option suits the organisation")
        } else if why.count > 2000 {
            errors.add("reason", "The reason must be 2,000 characters or fewer")
        }
        try errors.throwIfAny()
        guard let chosen else { return }
        try await sql.raw(
            """
            UPDATE migration_projects SET option = \(bind: chosen.rawValue), option_reason = \(bind: why),
                updated_at = \(bind: now) WHERE id = \(bind: project.id)
            """
        ).run()
        if chosen != project.migrationOption {
            try await rebuild(project.id, option: chosen, goLive: project.goLive, today: today, on: sql)
        }
        try await AuditLog.record(
            AuditEntry(
                "migration.option_chosen", target: "migration_project", id: project.id.uuidString,
                before: ["option": project.option, "reason": project.optionReason],
                after: ["option": chosen.rawValue, "reason": why]),
            context: context, at: now, on: sql)
    }

    /// The plan's tasks and the checklist, from the option's templates; done tasks and ticks are kept.
    static func rebuild(_ id: UUID, option: MigrationOption, goLive: Day?, today: Day, on sql: any SQLDatabase)
        async throws
    {
        struct Template: Decodable {
            let key: String
            let title: String
            let owner: String
            let durationDays: Int
            let offsetDays: Int
            let dependsOn: String
        }
        let templates = try await sql.raw(
            """
            SELECT key, title, owner, duration_days, offset_days, depends_on FROM migration_plan_templates
            WHERE option = \(bind: option.rawValue) ORDER BY position
            """
        ).rows(Template.self).map {
            TaskTemplate(
                key: $0.key, title: $0.title, owner: TaskOwner(rawValue: $0.owner) ?? .organisation,
                durationDays: $0.durationDays, offsetDays: $0.offsetDays,
                dependsOn: $0.dependsOn.split(separator: " ").map(String.init))
        }
        let keys = templates.map(\.key)
        try await sql.raw(
            "DELETE FROM migration_tasks WHERE project_id = \(bind: id) AND key NOT IN (\(binds: keys + [""]))"
        ).run()
        // Placed against go-live when there is one; until then, against the earliest go-live the plan allows,
        // so it reads from today and nothing is late; re-placed when the date is chosen.
        let placed = MigrationPlan.generate(
            templates, goLive: goLive ?? MigrationPlan.earliestGoLive(templates, today: today), today: today)
        try await sql.insertRows(
            "migration_tasks",
            [
                "project_id", "key", "position", "title", "owner", "duration_days", "offset_days", "depends_on",
                "start_day", "end_day", "problem",
            ],
            placed.enumerated().map { position, task in
                [
                    id, task.template.key, position, task.template.title, task.template.owner.rawValue,
                    task.template.durationDays, task.template.offsetDays,
                    task.template.dependsOn.joined(separator: " "),
                    task.start.ordinal, task.end.ordinal, goLive == nil ? nil : task.problem,
                ]
            }, ignoringConflicts: true)
        try await place(id, goLive: goLive, today: today, on: sql)

        struct Item: Decodable {
            let key: String
            let title: String
            let mandatory: Bool
        }
        let items = try await sql.raw(
            """
            SELECT key, title, mandatory FROM migration_checklist_templates
            WHERE option = \(bind: option.rawValue) ORDER BY position
            """
        ).rows(Item.self)
        try await sql.raw(
            "DELETE FROM migration_checklist WHERE project_id = \(bind: id) AND key NOT IN (\(binds: items.map(\.key) + [""]))"
        ).run()
        try await sql.insertRows(
            "migration_checklist", ["project_id", "key", "position", "title", "mandatory"],
            items.enumerated().map { position, item in [id, item.key, position, item.title, item.mandatory] },
            ignoringConflicts: true)
        for (position, item) in items.enumerated() {
            try await sql.raw(
                """
                UPDATE migration_checklist SET position = \(bind: position), title = \(bind: item.title),
                    mandatory = \(bind: item.mandatory) WHERE project_id = \(bind: id) AND key = \(bind: item.key)
                """
            ).run()
        }
    }

    /// Places the project's own tasks against go-live: moving go-live moves them all.
    static func place(_ id: UUID, goLive: Day?, today: Day, on sql: any SQLDatabase) async throws {
        let tasks = try await tasks(of: id, on: sql)
        let templates = tasks.map(\.template)
        let placed = MigrationPlan.generate(
            templates, goLive: goLive ?? MigrationPlan.earliestGoLive(templates, today: today), today: today)
        for (position, task) in placed.enumerated() {
            try await sql.raw(
                """
                UPDATE migration_tasks SET start_day = \(bind: task.start.ordinal), end_day = \(bind: task.end.ordinal),
                    problem = \(bind: goLive == nil ? nil : task.problem), position = \(bind: position)
                WHERE project_id = \(bind: id) AND key = \(bind: task.template.key)
                """
            ).run()
        }
    }

    static func saveInitiation(
        _ project: MigrationProjectRow, _ record: ProjectInitiation, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            UPDATE migration_projects SET scope = \(bind: record.scope), mailbox_count = \(bind: record.mailboxCount),
                data_volume_gb = \(bind: record.dataVolumeGB), current_system = \(bind: record.currentSystem),
                key_contacts = \(bind: record.keyContacts), risks = \(bind: record.risks), updated_at = \(bind: now)
            WHERE id = \(bind: project.id)
            """
        ).run()
        try await AuditLog.record(
            AuditEntry(
                "migration.initiation_saved", target: "migration_project", id: project.id.uuidString,
                before: initiation(of: project), after: record),
            context: context, at: now, on: sql)
    }

    static func initiation(of project: MigrationProjectRow) -> ProjectInitiation {
        ProjectInitiation(
            scope: project.scope, mailboxCount: project.mailboxCount, dataVolumeGB: project.dataVolumeGB,
            currentSystem: project.currentSystem, keyContacts: project.keyContacts, risks: project.risks)
    }

    /// Reads a go-live date from the page's three boxes or the API's `YYYY-MM-DD`.
    static func parseDay(_ text: String?, today: Day) throws(ValidationErrors) -> Day {
        let text = text?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !text.isEmpty else {
            throw ValidationErrors([FieldError(field: "goLive", message: "Enter the go-live date")])
        }
        guard let day = Day(iso: text) else {
            throw ValidationErrors([
                FieldError(field: "goLive", message: "Go-live must be a real date, like 31 3 2027")
            ])
        }
        guard day > today else {
            throw ValidationErrors([FieldError(field: "goLive", message: "Go-live must be in the future")])
        }
        guard day - today <= 3 * 366 else {
            throw ValidationErrors([
                FieldError(field: "goLive", message: "Go-live must be within three years")
            ])
        }
        return day
    }

    static func setGoLive(
        _ project: MigrationProjectRow, day: Day, context: AuditContext, now: Date, today: Day,
        on sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            "UPDATE migration_projects SET go_live_day = \(bind: day.ordinal), updated_at = \(bind: now) WHERE id = \(bind: project.id)"
        ).run()
        try await place(project.id, goLive: day, today: today, on: sql)
        try await AuditLog.record(
            AuditEntry(
                "migration.go_live_set", target: "migration_project", id: project.id.uuidString,
                before: ["goLive": project.goLive?.iso], after: ["goLive": day.iso]),
            context: context, at: now, on: sql)
    }

    // MARK: Plan and checklist

    static func tasks(of id: UUID, on sql: any SQLDatabase) async throws -> [MigrationTaskRow] {
        try await sql.raw(
            """
            SELECT t.key, t.position, t.title, t.owner, t.duration_days, t.offset_days, t.depends_on, t.start_day,
                t.end_day, t.problem, t.done_at, t.evidence, p.given_name || ' ' || p.family_name AS done_by_name
            FROM migration_tasks t LEFT JOIN accounts a ON a.id = t.done_by_id LEFT JOIN people p ON p.id = a.person_id
            WHERE t.project_id = \(bind: id) ORDER BY t.position
            """
        ).rows(MigrationTaskRow.self)
    }

    static func evidence(_ text: String?) throws(ValidationErrors) -> String {
        let text = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !text.isEmpty else {
            throw ValidationErrors([
                FieldError(field: "evidence", message: "Enter the evidence: what was done, or where the record is")
            ])
        }
        guard text.count <= 2000 else {
            throw ValidationErrors([
                FieldError(field: "evidence", message: "Evidence must be 2,000 characters or fewer")
            ])
        }
        return text
    }

    /// Marks a task done with its evidence. False when there is no such task or it was already done.
    static func completeTask(
        _ project: MigrationProjectRow, key: String, evidence: String, by account: UUID, context: AuditContext,
        now: Date, on sql: any SQLDatabase
    ) async throws -> Bool {
        let done = try await sql.raw(
            """
            UPDATE migration_tasks SET done_at = \(bind: now), done_by_id = \(bind: account), evidence = \(bind: evidence)
            WHERE project_id = \(bind: project.id) AND key = \(bind: key) AND done_at IS NULL RETURNING key
            """
        ).all()
        guard !done.isEmpty else { return false }
        try await AuditLog.record(
            AuditEntry(
                "migration.task_done", target: "migration_project", id: project.id.uuidString,
                before: [String: String]?.none, after: ["task": key, "evidence": evidence]),
            context: context, at: now, on: sql)
        return true
    }

    static func checklist(of id: UUID, on sql: any SQLDatabase) async throws -> [ChecklistRow] {
        try await sql.raw(
            """
            SELECT c.key, c.title, c.mandatory, c.ticked_at, c.evidence,
                p.given_name || ' ' || p.family_name AS ticked_by_name
            FROM migration_checklist c LEFT JOIN accounts a ON a.id = c.ticked_by_id
            LEFT JOIN people p ON p.id = a.person_id
            WHERE c.project_id = \(bind: id) ORDER BY c.position
            """
        ).rows(ChecklistRow.self)
    }

    /// Ticks a checklist item with its evidence. "Every batch has passed the gate" is refused while it has not.
    static func tick(
        _ project: MigrationProjectRow, key: String, evidence: String, by account: UUID, context: AuditContext,
        now: Date, on sql: any SQLDatabase
    ) async throws -> Bool {
        if key == "transfer-clean", let problem = try await TransferBatches.gateProblem(project.id, on: sql) {
            throw ValidationErrors([FieldError(field: "evidence", message: problem)])
        }
        let ticked = try await sql.raw(
            """
            UPDATE migration_checklist SET ticked_at = \(bind: now), ticked_by_id = \(bind: account),
                evidence = \(bind: evidence)
            WHERE project_id = \(bind: project.id) AND key = \(bind: key) AND ticked_at IS NULL RETURNING key
            """
        ).all()
        guard !ticked.isEmpty else { return false }
        try await AuditLog.record(
            AuditEntry(
                "migration.checklist_ticked", target: "migration_project", id: project.id.uuidString,
                before: [String: String]?.none, after: ["item": key, "evidence": evidence]),
            context: context, at: now, on: sql)
        return true
    }

    // MARK: Go-live

    static func blockers(_ project: MigrationProjectRow, on sql: any SQLDatabase) async throws -> GoLiveBlockers {
        var blockers = GoLiveBlockers()
        if project.migrationOption == nil || project.goLive == nil { blockers.noPlan = true }
        let items = try await checklist(of: project.id, on: sql)
        let done = Set(items.filter { $0.tickedAt != nil }.map(\.key))
        let all = items.map { ChecklistItem(key: $0.key, title: $0.title, mandatory: $0.mandatory) }
        blockers.outstanding = MigrationChecklist.outstanding(all, done: done).map(\.title)
        // Going live needs what the plan says comes first: every task due to finish before go-live.
        blockers.tasks = try await tasks(of: project.id, on: sql)
            .filter { $0.template.beforeGoLive && $0.doneAt == nil }.map(\.title)
        blockers.gate = try await TransferBatches.gateProblem(project.id, on: sql)
        return blockers
    }

    /// Confirms go-live: the project and the organisation become live, together, once.
    static func confirmGoLive(
        _ project: MigrationProjectRow, by account: UUID, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws -> GoLiveBlockers {
        let blockers = try await blockers(project, on: sql)
        guard blockers.isEmpty else { return blockers }
        // Going live earlier than planned moves the go-live date to the real one, so the plan and the
        // project agree on when it happened.
        let today = Day.today(now)
        let moved = try await sql.raw(
            """
            UPDATE migration_projects SET status = 'live', live_at = \(bind: now), live_by_id = \(bind: account),
                go_live_day = CASE WHEN go_live_day > \(bind: today.ordinal) THEN \(bind: today.ordinal)
                    ELSE go_live_day END,
                updated_at = \(bind: now)
            WHERE id = \(bind: project.id) AND status = 'open' RETURNING id
            """
        ).all()
        guard !moved.isEmpty else { return blockers }
        try await sql.raw(
            """
            UPDATE organisations SET status = \(bind: OnboardingStatus.live.rawValue), updated_at = \(bind: now)
            WHERE id = \(bind: project.organisationID)
            """
        ).run()
        try await AuditLog.record(
            [
                AuditEntry(
                    "migration.go_live_confirmed", target: "migration_project", id: project.id.uuidString,
                    before: ["status": "open", "goLive": project.goLive?.iso ?? ""],
                    after: ["status": "live", "goLive": min(project.goLive ?? today, today).iso]),
                AuditEntry(
                    "organisation.status_changed", target: "organisation", id: project.organisationID.uuidString,
                    before: ["onboardingStatus": project.organisationStatus],
                    after: ["onboardingStatus": OnboardingStatus.live.rawValue]),
            ], context: context, at: now, on: sql)
        return blockers
    }

    /// The guidance for a project: the organisations' documents, and those for its option.
    static func guidance(for option: MigrationOption?, on sql: any SQLDatabase) async throws -> [Guidance.Item] {
        var audiences = ["organisations"]
        if let option {
            audiences.append("migration_\(option.rawValue)")
            if option != .selfService { audiences.append("migration_supported") }
        }
        return try await Guidance.items(for: audiences, on: sql)
    }

    /// The plan as CSV, every cell neutralised.
    static func planCSV(_ tasks: [MigrationTaskRow], today: Day) -> [UInt8] {
        var text = "\u{FEFF}"
        text += CSV.line(["task", "owner", "start", "end", "days", "status", "problem", "evidence"]) + "\r\n"
        for task in tasks {
            let late = task.doneAt == nil && task.end < today
            let status = task.doneAt != nil ? "done" : late ? "late" : "to do"
            text +=
                CSV.line([
                    task.title, task.ownerTitle, task.start.iso, task.end.iso, "\(task.durationDays)", status,
                    task.problem ?? "", task.evidence ?? "",
                ]) + "\r\n"
        }
        return Array(text.utf8)
    }
}
