import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Where an upload is: checked (valid or invalid), then, once applied, queued, applying and finished.
enum BulkStatus: String, Sendable, Codable {
    case invalid, valid, queued, applying, applied, failed

    var label: String {
        switch self {
        case .invalid: "Has problems"
        case .valid: "Checked: no problems"
        case .queued: "Queued: starting soon"
        case .applying: "Being applied"
        case .applied: "Applied"
        case .failed: "Stopped"
        }
    }
}

struct BulkUploadRow: Decodable, Sendable {
    let id: UUID
    let kind: String
    let organisationID: UUID
    let organisationName: String
    let uploadedByID: UUID
    let uploaderName: String
    let filename: String
    let format: String
    let content: Data?
    let status: String
    let problemCount: Int
    let report: String
    let activationMethod: String?
    let rowsTotal: Int
    let rowsDone: Int
    let createdCount: Int
    let updatedCount: Int
    let unchangedCount: Int
    let leftCount: Int
    let mailboxesCreated: Int
    let appliedByID: UUID?
    let createdAt: Date
    let appliedAt: Date?
    let finishedAt: Date?
    let purgedAt: Date?

    var bulkKind: BulkSheet.Kind? { BulkSheet.Kind(rawValue: kind) }
    var bulkStatus: BulkStatus { BulkStatus(rawValue: status) ?? .failed }
    var bulkFormat: BulkFormat { BulkFormat(rawValue: format) ?? .csv }
}

/// The data sharing agreement a pharmacy multiple's super user accepts before sending staff details.
enum DataSharingAgreement {
    static let version = "2026.1"
    static let summary =
        "Your organisation shares the names, mobile numbers and workplaces of its staff with the national "
        + "service so that it can create their accounts. The service uses them only to create and manage those "
        + "accounts, keeps uploaded sheets for a limited time, and shows them only to you and the pharmacy "
        + "administration team."

    static func accepted(by organisation: UUID, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw(
            """
            SELECT 1 AS ok FROM data_sharing_agreements
            WHERE organisation_id = \(bind: organisation) AND version = \(bind: version)
            """
        ).first() != nil
    }

    static func accept(organisation: UUID, by account: UUID, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws
    {
        let inserted = try await sql.insertRows(
            "data_sharing_agreements", ["id", "organisation_id", "version", "accepted_by_id", "accepted_at"],
            [[UUID(), organisation, version, account, now]], returning: "version")
        if !inserted.isEmpty {
            try await AuditLog.record(
                AuditEntry(
                    "bulk.agreement_accepted", target: "organisation", id: organisation.uuidString,
                    before: [String: String]?.none, after: ["version": version]),
                context: context, at: now, on: sql)
        }
    }
}

enum BulkUploads {
    static let baseColumns: SQLQueryString = """
        u.id, u.kind, u.organisation_id, o.name AS organisation_name, u.uploaded_by_id,
        p.given_name || ' ' || p.family_name AS uploader_name, u.filename, u.format, u.status, u.problem_count,
        u.activation_method, u.rows_total, u.rows_done, u.created_count, u.updated_count, u.unchanged_count,
        u.left_count, u.mailboxes_created, u.applied_by_id, u.created_at, u.applied_at, u.finished_at, u.purged_at
        """
    static let columns: SQLQueryString = "\(baseColumns), u.report"
    static let joins: SQLQueryString = """
        FROM bulk_uploads u JOIN organisations o ON o.id = u.organisation_id
        JOIN accounts a ON a.id = u.uploaded_by_id JOIN people p ON p.id = a.person_id
        """

    static func load(_ id: UUID, on sql: any SQLDatabase, withContent: Bool = false) async throws -> BulkUploadRow? {
        let content: SQLQueryString = withContent ? ", u.content" : ""
        return try await sql.raw("SELECT \(columns)\(content) \(joins) WHERE u.id = \(bind: id)").firstRow(
            BulkUploadRow.self)
    }

    /// Who sees an upload: the person who sent it, super users of the same head office, the team that
    /// reviews its kind (the pharmacy administration team for pharmacy sheets), and national administrators.
    static func visibility(for principal: Principal) -> SQLQueryString {
        if principal.has(.nationalAdmin) { return "1 = 1" }
        var clause: SQLQueryString = "(u.uploaded_by_id = \(bind: principal.accountID)"
        let heads = principal.grants.filter { $0.role == .superUser }.compactMap(\.organisationID)
        if !heads.isEmpty {
            clause.appendInterpolation(
                " OR (u.kind = 'pharmacy_multiple' AND u.organisation_id IN (\(binds: heads)))" as SQLQueryString)
        }
        if principal.has(.pharmacyAdminTeam) {
            clause.appendLiteral(" OR u.kind = 'pharmacy_multiple'")
        }
        clause.appendLiteral(")")
        return clause
    }

    /// An upload the caller may see, or 404: the same answer whether or not it exists.
    /// `withReport: false` leaves the report out, for the progress poll: it can be megabytes.
    static func visible(
        _ id: UUID?, to principal: Principal, on sql: any SQLDatabase, withContent: Bool = false,
        withReport: Bool = true
    ) async throws -> BulkUploadRow {
        var select: SQLQueryString = withReport ? columns : "\(baseColumns), '{}' AS report"
        if withContent { select.appendLiteral(", u.content") }
        guard let id,
            let row = try await sql.raw(
                "SELECT \(select) \(joins) WHERE u.id = \(bind: id) AND \(visibility(for: principal))"
            ).firstRow(BulkUploadRow.self)
        else { throw Abort(.notFound) }
        return row
    }

    static func list(for principal: Principal, on sql: any SQLDatabase) async throws -> [BulkUploadRow] {
        try await sql.raw(
            "SELECT \(columns) \(joins) WHERE \(visibility(for: principal)) ORDER BY u.created_at DESC LIMIT 100"
        ).rows(BulkUploadRow.self)
    }

    /// Whether the caller may apply an upload: the pharmacy administration team applies pharmacy sheets,
    /// an LA their own accounts sheet; national administrators either.
    static func canApply(_ upload: BulkUploadRow, principal: Principal) -> Bool {
        guard upload.bulkStatus == .valid else { return false }
        if principal.has(.nationalAdmin) { return true }
        switch upload.bulkKind {
        case .pharmacyMultiple: return principal.has(.pharmacyAdminTeam)
        case .accounts: return upload.uploadedByID == principal.accountID && principal.has(.localAdmin)
        case nil: return false
        }
    }

    /// The kinds this person may upload.
    static func kinds(for principal: Principal) -> [BulkSheet.Kind] {
        var kinds: [BulkSheet.Kind] = []
        if principal.has(.superUser) { kinds.append(.pharmacyMultiple) }
        if principal.has(.localAdmin) || principal.has(.nationalAdmin) { kinds.append(.accounts) }
        return kinds
    }

    struct Received: Sendable {
        let id: UUID
        let status: BulkStatus
        let report: BulkReport
    }

    /// Checks a file and keeps it with its report, valid or not, with nothing else changed. A file that
    /// cannot be read at all is refused and not kept.
    static func receive(
        _ bytes: [UInt8], filename: String, kind: BulkSheet.Kind, principal: Principal, settings: Settings,
        context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws -> Received {
        guard let owner = try await BulkOwner.of(principal, kind: kind, on: sql) else { throw Abort(.forbidden) }
        let (format, sheets) = try BulkFile.read(bytes, kind: kind)
        let prepared = try await BulkCheck.prepare(sheets, owner: owner, domain: settings.mailDomain, on: sql)
        let report = prepared.report
        let status: BulkStatus = report.problems.isEmpty ? .valid : .invalid
        let id = UUID()
        let name = String(filename.split(separator: "/").last ?? "upload").prefix(200)
        try await sql.insert(
            into: "bulk_uploads",
            row: [
                "id": id, "kind": kind.rawValue, "organisation_id": owner.organisation,
                "uploaded_by_id": principal.accountID, "filename": String(name), "format": format.rawValue,
                "content": Data(bytes), "byte_count": bytes.count, "status": status.rawValue,
                "problem_count": report.problems.count, "report": report.json,
                "rows_total": prepared.checked.users.count, "rows_done": 0, "created_count": 0, "updated_count": 0,
                "unchanged_count": 0, "left_count": 0, "mailboxes_created": 0, "failed_count": 0, "created_at": now,
                "purge_after": now.addingTimeInterval(Double(settings.bulk.retentionDays) * 86_400),
            ]
        ).run()
        try await AuditLog.record(
            AuditEntry(
                "bulk.uploaded", target: "bulk_upload", id: id.uuidString, before: [String: String]?.none,
                after: [
                    "kind": kind.rawValue, "status": status.rawValue, "rows": "\(report.rows)",
                    "problems": "\(report.problems.count)",
                ]),
            context: context, at: now, on: sql)
        return Received(id: id, status: status, report: report)
    }

    /// Queues a checked upload to be applied, once: the status moves from valid only for the first caller.
    static func apply(
        _ upload: BulkUploadRow, method: ActivationMethod, principal: Principal, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws -> Bool {
        guard canApply(upload, principal: principal) else { return false }
        let moved = try await sql.raw(
            """
            UPDATE bulk_uploads SET status = 'queued', activation_method = \(bind: method.rawValue),
                applied_by_id = \(bind: principal.accountID), applied_at = \(bind: now)
            WHERE id = \(bind: upload.id) AND status = 'valid' RETURNING id
            """
        ).first()
        guard moved != nil else { return false }
        try await JobRunner.enqueue(
            BulkApplyJob.kind, payload: #"{"upload":"\#(upload.id.uuidString)"}"#, runAt: now, maxAttempts: 10, on: sql)
        try await AuditLog.record(
            AuditEntry(
                "bulk.apply", target: "bulk_upload", id: upload.id.uuidString, before: ["status": "valid"],
                after: ["status": "queued", "activation": method.rawValue]),
            context: context, at: now, on: sql)
        return true
    }

    /// The uploaded sheet with a result column: each row's problems, or what will happen to it.
    static func reportSheet(_ upload: BulkUploadRow) throws -> [SheetTable] {
        guard let content = upload.content, let kind = upload.bulkKind else { throw Abort(.gone) }
        let sheets = try BulkFile.read(Array(content), kind: kind).1
        let report = BulkReport.decode(upload.report)
        var messages: [String: [String]] = [:]
        for problem in report.problems {
            messages["\(problem.sheet):\(problem.row)", default: []].append(
                (problem.column.map { "\($0): " } ?? "") + problem.message)
        }
        for note in report.notes { messages["\(note.sheet):\(note.row)", default: []].append(note.message) }
        if report.problems.isEmpty {
            for planned in report.planned {
                messages["\(planned.sheet):\(planned.row)", default: []].insert(planned.action, at: 0)
            }
        }
        return sheets.map { sheet in
            SheetTable(
                name: sheet.name,
                rows: sheet.rows.enumerated().map { index, row in
                    let width = sheet.rows.first?.cells.count ?? row.cells.count
                    let cells = row.cells + Array(repeating: "", count: max(0, width - row.cells.count))
                    let result =
                        index == 0
                        ? "result" : (messages["\(sheet.name):\(row.number)"]?.joined(separator: "; ") ?? "OK")
                    return SheetTable.Row(number: row.number, cells: Array(cells.prefix(width)) + [result])
                })
        }
    }

    /// What applying did, row by row: status and address, never a credential.
    static func resultsSheet(_ upload: BulkUploadRow, on sql: any SQLDatabase) async throws -> [SheetTable] {
        struct Row: Decodable {
            let sheet: String
            let sheetRow: Int
            let localKey: String
            let status: String
            let address: String?
        }
        let rows = try await sql.raw(
            """
            SELECT sheet, sheet_row, local_key, status, address FROM bulk_results
            WHERE upload_id = \(bind: upload.id) ORDER BY sheet, sheet_row
            """
        ).rows(Row.self)
        let sheets = Dictionary(grouping: rows, by: \.sheet)
        return sheets.keys.sorted().map { name in
            let key = name == "stores" ? "ods_code" : "local_id"
            var table = SheetTable(name: name, rows: [.init(number: 1, cells: ["row", key, "status", "address"])])
            for (index, row) in (sheets[name] ?? []).enumerated() {
                table.rows.append(
                    .init(number: index + 2, cells: ["\(row.sheetRow)", row.localKey, row.status, row.address ?? ""]))
            }
            return table
        }
    }
}

/// Deletes uploaded sheets and their results once kept for the retention period; what was done stays in
/// the audit log and the upload's counts.
enum BulkPurgeJob {
    static let kind = "bulk.purge"

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        let now = app.clock.now()
        try await app.db.inTransaction { db in
            let sql = db
            struct Row: Decodable { let id: UUID }
            let due = try await sql.raw(
                "SELECT id FROM bulk_uploads WHERE purge_after < \(bind: now) AND purged_at IS NULL AND status NOT IN ('queued', 'applying')"
            ).rows(Row.self).map(\.id)
            for slice in due.chunked(BulkCheck.batch) {
                try await sql.raw("DELETE FROM bulk_results WHERE upload_id IN (\(binds: slice))").run()
                try await sql.raw(
                    "UPDATE bulk_uploads SET content = NULL, report = '{}', purged_at = \(bind: now) WHERE id IN (\(binds: slice))"
                ).run()
            }
            if !due.isEmpty {
                try await AuditLog.record(
                    AuditEntry(
                        "bulk.purged", target: "bulk_upload", id: nil, before: [String: String]?.none,
                        after: ["uploads": "\(due.count)"]),
                    context: .system, at: now, on: sql)
            }
        }
    }

    static func scheduleIfNeeded(app: Application) async throws {
        try await JobRunner.scheduleIfNeeded(kind, every: 24 * 3600, app: app)
    }
}
