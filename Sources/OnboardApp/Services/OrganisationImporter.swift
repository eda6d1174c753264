import Fluent
import Foundation
import OnboardDomain
import SQLKit

/// Imports organisation reference data keyed by ODS code: new codes are created, known codes updated,
/// and a second import of the same file changes nothing. All or nothing: one bad row saves no row.
struct OrganisationImporter {
    struct Outcome: Equatable, Sendable, Encodable {
        var created = 0
        var updated = 0
        var unchanged = 0
    }

    let database: any Database
    let now: Date
    let audit: AuditContext

    func importCSV(_ text: String) async throws -> Outcome {
        let regions = try await RegionDirectory.codes(on: database as! any SQLDatabase)
        let rows: [OrganisationCSV.Row]
        switch OrganisationCSV.read(text, knownRegions: regions) {
        case .success(let read): rows = read
        case .failure(let errors): throw errors
        }
        return try await database.inTransaction { db in
            try await apply(OrganisationCSV.dependencyOrdered(rows), on: db)
        }
    }

    private struct Existing: Decodable {
        let id: UUID
        let odsCode: String
        let name: String
        let type: String
        let postcode: String?
        let region: String?
        let status: String
        let parentID: UUID?
        let administeredByID: UUID?
    }

    private func apply(_ rows: [OrganisationCSV.Row], on sql: any SQLDatabase) async throws -> Outcome {
        var outcome = Outcome()
        let wanted = Set(
            rows.flatMap { [$0.draft.odsCode, $0.draft.parentODS, $0.draft.administeredByODS] }.compactMap { $0 })
        var known: [String: Existing] = [:]
        for chunk in Array(wanted).chunked(500) {
            let found = try await sql.raw(
                """
                SELECT id, ods_code, name, type, postcode, region, status, parent_id, administered_by_id
                FROM organisations WHERE ods_code IN (\(binds: chunk))
                """
            ).rows(Existing.self)
            for row in found { known[row.odsCode] = row }
        }
        var idsByODS = known.mapValues(\.id)
        var errors = ValidationErrors()
        for row in rows {
            guard let ods = row.draft.odsCode else { continue }
            func resolve(_ code: String?, column: String, label: String) -> UUID?? {
                guard let code else { return .some(nil) }
                guard let id = idsByODS[code] else {
                    errors.add(
                        "line \(row.line) \(column)", "Line \(row.line): \(label) \(code) is not a known organisation")
                    return nil
                }
                return .some(id)
            }
            guard let parent = resolve(row.draft.parentODS, column: "parent", label: "parent"),
                let administrator = resolve(
                    row.draft.administeredByODS, column: "administered_by", label: "administering organisation")
            else { continue }
            let draft = row.draft
            if let existing = known[ods] {
                let same =
                    existing.name == draft.name && existing.type == draft.type?.rawValue
                    && existing.postcode == draft.postcode && existing.region == draft.region
                    && (draft.status == nil || existing.status == draft.status?.rawValue)
                    && existing.parentID == parent
                    && (draft.administeredByODS == nil || existing.administeredByID == administrator)
                if same {
                    outcome.unchanged += 1
                    continue
                }
                try await sql.raw(
                    """
                    UPDATE organisations SET name = \(bind: draft.name), type = \(bind: draft.type?.rawValue),
                        postcode = \(bind: draft.postcode), region = \(bind: draft.region),
                        status = \(bind: draft.status?.rawValue ?? existing.status), parent_id = \(bind: parent),
                        administered_by_id = \(bind: administrator ?? existing.administeredByID),
                        updated_at = \(bind: now)
                    WHERE id = \(bind: existing.id)
                    """
                ).run()
                try await AuditLog.record(
                    AuditEntry(
                        "organisation.import.update", target: "organisation", id: existing.id.uuidString,
                        before: ["name": existing.name, "type": existing.type, "status": existing.status],
                        after: [
                            "name": draft.name, "type": draft.type?.rawValue ?? "",
                            "status": draft.status?.rawValue ?? existing.status,
                        ]),
                    context: audit, at: now, on: sql)
                outcome.updated += 1
            } else {
                let id = UUID()
                try await sql.raw(
                    """
                    INSERT INTO organisations (id, ods_code, name, type, country, region, postcode, status, ig_status,
                        delivers_nhs_care, other_public_email, parent_id, administered_by_id, created_at, updated_at)
                    VALUES (\(bind: id), \(bind: ods), \(bind: draft.name), \(bind: draft.type?.rawValue),
                        \(bind: (draft.country ?? .england).rawValue), \(bind: draft.region), \(bind: draft.postcode),
                        \(bind: (draft.status ?? .notJoined).rawValue), \(bind: IGToolkitStatus.notStarted.rawValue),
                        \(bind: true), \(bind: false), \(bind: parent), \(bind: administrator), \(bind: now), \(bind: now))
                    """
                ).run()
                try await AuditLog.record(
                    AuditEntry(
                        "organisation.import.create", target: "organisation", id: id.uuidString,
                        before: String?.none, after: ["ods_code": ods, "name": draft.name]),
                    context: audit, at: now, on: sql)
                idsByODS[ods] = id
                outcome.created += 1
            }
        }
        try errors.throwIfAny()
        return outcome
    }
}

enum RegionDirectory {
    struct Region: Decodable, Encodable, Sendable {
        let code: String
        let name: String
    }

    static func all(on sql: any SQLDatabase) async throws -> [Region] {
        try await sql.raw("SELECT code, name FROM regions ORDER BY name").rows(Region.self)
    }

    static func codes(on sql: any SQLDatabase) async throws -> Set<String> {
        Set(try await all(on: sql).map(\.code))
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
