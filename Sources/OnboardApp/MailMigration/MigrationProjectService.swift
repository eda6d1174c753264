import FluentKit
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Every change to a migration project, for its pages and the API alike: each runs in one transaction, at the
/// service's moment and under its audit context, and refuses with field errors (`ValidationErrors`). Like
/// `SignInService` it takes its context explicitly and renders nothing. The caller has found the project in
/// the person's scope (`MigrationProjects.visible`) and, for a change, checked that it is still open.
struct MigrationProjectService: Sendable {
    let db: any Database
    let now: Date
    let context: AuditContext

    private var sql: any SQLDatabase { db as! any SQLDatabase }

    /// Today's calendar day in the UK, where the plans' dates are read.
    var today: Day { Day.today(now) }

    /// Starts a project for an onboarding organisation in the person's scope. Returns its id.
    func start(ods: String?, ism: UUID?, principal: Principal) async throws -> UUID {
        let (context, now) = (context, now)
        return try await db.inTransaction { sql in
            try await MigrationProjects.start(
                ods: ods, ism: ism, principal: principal, context: context, now: now, on: sql)
        }
    }

    func assign(_ project: MigrationProjectRow, ism: UUID?) async throws {
        let (context, now) = (context, now)
        try await db.inTransaction { sql in
            try await MigrationProjects.assign(project, ism: ism, context: context, now: now, on: sql)
        }
    }

    func chooseOption(_ project: MigrationProjectRow, option: String?, reason: String?) async throws {
        let (context, now, today) = (context, now, today)
        try await db.inTransaction { sql in
            try await MigrationProjects.chooseOption(
                project, option: option, reason: reason, context: context, now: now, today: today, on: sql)
        }
    }

    /// The project initiation record, as typed: each field is checked before anything is saved.
    func saveInitiation(
        _ project: MigrationProjectRow, scope: String?, mailboxCount: String?, dataVolumeGB: String?,
        currentSystem: String?, keyContacts: String?, risks: String?
    ) async throws {
        let record = try ProjectInitiation.parse(
            scope: scope, mailboxCount: mailboxCount, dataVolumeGB: dataVolumeGB, currentSystem: currentSystem,
            keyContacts: keyContacts, risks: risks)
        let (context, now) = (context, now)
        try await db.inTransaction { sql in
            try await MigrationProjects.saveInitiation(project, record, context: context, now: now, on: sql)
        }
    }

    /// Sets the go-live date from a `YYYY-MM-DD` text, and places the plan against it.
    func setGoLive(_ project: MigrationProjectRow, date: String?) async throws {
        let (context, now, today) = (context, now, today)
        let day = try MigrationProjects.parseDay(date, today: today)
        try await db.inTransaction { sql in
            try await MigrationProjects.setGoLive(project, day: day, context: context, now: now, today: today, on: sql)
        }
    }

    /// Marks a task of the plan done with its evidence. False when it was already done.
    func completeTask(_ project: MigrationProjectRow, key: String, evidence text: String?, by account: UUID)
        async throws -> Bool
    {
        let evidence = try MigrationProjects.evidence(text)
        let (context, now) = (context, now)
        return try await db.inTransaction { sql in
            try await MigrationProjects.completeTask(
                project, key: key, evidence: evidence, by: account, context: context, now: now, on: sql)
        }
    }

    /// Ticks a checklist item with its evidence. False when it was already ticked.
    func tick(_ project: MigrationProjectRow, key: String, evidence text: String?, by account: UUID) async throws
        -> Bool
    {
        let evidence = try MigrationProjects.evidence(text)
        let (context, now) = (context, now)
        return try await db.inTransaction { sql in
            try await MigrationProjects.tick(
                project, key: key, evidence: evidence, by: account, context: context, now: now, on: sql)
        }
    }

    /// Confirms go-live, or returns what still stands in its way (nothing is changed then).
    func confirmGoLive(_ project: MigrationProjectRow, by account: UUID) async throws -> GoLiveBlockers {
        let (context, now) = (context, now)
        return try await db.inTransaction { sql in
            try await MigrationProjects.confirmGoLive(project, by: account, context: context, now: now, on: sql)
        }
    }

    /// The plan as CSV; the export is recorded.
    func exportPlan(_ project: MigrationProjectRow) async throws -> [UInt8] {
        let tasks = try await MigrationProjects.tasks(of: project.id, on: sql)
        try await AuditLog.record(
            AuditEntry("migration.plan_exported", target: "migration_project", id: project.id.uuidString),
            context: context, at: now, on: sql)
        return MigrationProjects.planCSV(tasks, today: today)
    }

    // MARK: Transfers

    /// Takes in a transfer batch and queues it for the malware scan. Returns the batch's id.
    func receiveBatch(_ bytes: [UInt8], filename: String, project: MigrationProjectRow, by account: UUID)
        async throws -> UUID
    {
        let (context, now) = (context, now)
        return try await db.inTransaction { sql in
            try await TransferBatches.receive(
                bytes, filename: filename, project: project, by: account, context: context, now: now, on: sql)
        }
    }

    /// The assigned ISM removes a quarantined item, or releases it with a reason.
    func deal(_ item: TransferItemRow, _ dealing: TransferBatches.Dealing, by principal: Principal) async throws {
        let (context, now) = (context, now)
        let (account, name) = (principal.accountID, principal.name)
        try await db.inTransaction { sql in
            try await TransferBatches.deal(item, dealing, by: account, name: name, context: context, now: now, on: sql)
        }
    }
}

extension Request {
    /// The migration project changes, in this request's context.
    var migrationProjects: MigrationProjectService {
        MigrationProjectService(db: db, now: now, context: auditContext)
    }
}

extension Day {
    /// Today's calendar day in the UK, where the plans' dates are read.
    static func today(_ now: Date) -> Day {
        let seconds = TimeZone(identifier: "Europe/London")?.secondsFromGMT(for: now) ?? 0
        return Day(ordinal: Int(((now.timeIntervalSince1970 + Double(seconds)) / 86_400).rounded(.down)))
    }
}
