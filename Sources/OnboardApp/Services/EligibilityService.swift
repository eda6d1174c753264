import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Reads the current version of the eligibility parameters. Versions are only ever added.
enum EligibilityParameterStore {
    static func encode(_ parameters: EligibilityParameters) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(parameters), as: UTF8.self)
    }

    static func current(on sql: any SQLDatabase) async throws -> EligibilityParameters {
        struct Row: Decodable { let body: String }
        guard
            let row = try await sql.raw(
                "SELECT body FROM eligibility_parameter_versions ORDER BY created_at DESC, version DESC LIMIT 1"
            ).firstRow(Row.self)
        else { return .seed }
        return try JSONDecoder().decode(EligibilityParameters.self, from: Data(row.body.utf8))
    }
}

/// Turns what an applicant says into the engine's facts, reading organisation facts from the record.
enum EligibilityFactsLoader {
    static func knownOrganisation(ods: String, on sql: any SQLDatabase, fallbackHelpdesk: String) async throws
        -> KnownOrganisation?
    {
        guard let code = OrganisationRules.normaliseODS(ods), OrganisationRules.isValidODS(code) else { return nil }
        struct Row: Decodable {
            let id: UUID
            let name: String
            let country: String
            let status: String
            let igStatus: String
            let igCompletedByID: UUID?
            let administeredByODS: String?
            let administeredByName: String?
        }
        guard
            let row = try await sql.raw(
                """
                SELECT o.id, o.name, o.country, o.status, o.ig_status, o.ig_completed_by_id,
                    a.ods_code AS administered_by_ods, a.name AS administered_by_name
                FROM organisations o LEFT JOIN organisations a ON a.id = o.administered_by_id
                WHERE o.ods_code = \(bind: code)
                """
            ).firstRow(Row.self)
        else { return nil }
        let helpdesk = try await OrganisationsController.helpdeskContact(
            for: row.id, on: sql, fallback: fallbackHelpdesk)
        return KnownOrganisation(
            name: row.name, odsCode: code, country: Country(rawValue: row.country) ?? .england,
            status: OnboardingStatus(rawValue: row.status) ?? .notJoined,
            igToolkitCompleted: row.igStatus == IGToolkitStatus.completed.rawValue,
            igCompletedByHeadquarters: row.igCompletedByID != nil && row.igCompletedByID != row.id,
            helpdeskContact: helpdesk, administeredBy: row.administeredByODS,
            administratorName: row.administeredByName)
    }
}
