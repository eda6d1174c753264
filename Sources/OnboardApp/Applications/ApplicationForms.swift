import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The application form as the applicant's pages and the reviewer's page meet it: its steps for a kind, the
/// commissioners a care home chooses from, the answers carried from the guided start or filled from an
/// organisation's record, and the first page still to answer. The questions themselves and their checks are
/// the domain's (`ApplicationForm`); this adds what is on record. It only reads, and takes its database and
/// moment explicitly.
struct ApplicationForms: Sendable {
    let sql: any SQLDatabase
    let now: Date

    /// The version of the Acceptable Use Policy an applicant accepts now.
    func aupVersion() async throws -> String {
        let parameters = try await EligibilityParameterStore.current(on: sql)
        return try await SignInService.aupVersion(on: sql, fallback: parameters.aupVersion)
    }

    /// The steps an applicant answers: only the programmes open now are offered.
    func steps(for kind: ApplicationKind) async throws -> [FormStep] {
        let parameters = try await EligibilityParameterStore.current(on: sql)
        return ApplicationForm.steps(
            for: kind, aupVersion: try await SignInService.aupVersion(on: sql, fallback: parameters.aupVersion),
            programmes: ApplicationService.programmes(parameters, openOn: now))
    }

    /// The steps as a reviewer reads them: every programme, so that an answer names one that has since closed.
    func reviewSteps(for kind: ApplicationKind) async throws -> [FormStep] {
        let parameters = try await EligibilityParameterStore.current(on: sql)
        return ApplicationForm.steps(
            for: kind, aupVersion: try await SignInService.aupVersion(on: sql, fallback: parameters.aupVersion),
            programmes: ApplicationService.programmes(parameters))
    }

    /// The first page of the draft still to answer, or nil when every page is answered.
    func firstIncomplete(_ row: ApplicationRow) async throws -> FormStep? {
        let regions = try await RegionDirectory.codes(on: sql)
        return ApplicationForm.firstIncomplete(
            try await steps(for: row.applicationKind), answers: row.answerMap, regions: regions)
    }

    /// The commissioners on record, by name, for care homes to choose from rather than type an ODS code.
    func commissioners() async throws -> [FormOption] {
        struct Row: Decodable {
            let ods: String
            let name: String
        }
        return try await sql.raw(
            """
            SELECT ods_code AS ods, name FROM organisations
            WHERE type = \(bind: OrganisationType.commissioner.rawValue) AND closed_at IS NULL AND ods_code IS NOT NULL
            ORDER BY name
            """
        ).rows(Row.self).map { FormOption($0.ods, $0.name) }
    }

    /// The guided start's answers this kind's form accepts, from the start page's address or its form.
    func carried(_ given: [String: String], kind: ApplicationKind) async throws -> [String: String] {
        ApplicationForm.carried(
            given, into: try await steps(for: kind), regions: try await RegionDirectory.codes(on: sql))
    }

    /// A practice or premises on record by its ODS code also gives its name, postcode and region: the page
    /// that asks them is then not shown.
    func filledFromRecord(_ answers: [String: String], kind: ApplicationKind) async throws -> [String: String] {
        guard let ods = answers["odsCode"], !ods.isEmpty,
            let step = try await steps(for: kind).first(where: { $0.fields.contains { $0.name == "odsCode" } })
        else { return answers }
        struct Record: Decodable {
            let name: String
            let postcode: String?
            let region: String?
        }
        guard
            let record = try await sql.raw(
                "SELECT name, postcode, region FROM organisations WHERE ods_code = \(bind: ods) AND closed_at IS NULL"
            ).firstRow(Record.self)
        else { return answers }
        var filled = answers
        for field in step.fields {
            switch field.name {
            case "postcode": filled[field.name] = record.postcode
            case "region": filled[field.name] = record.region
            case let name where name.hasSuffix("Name"): filled[name] = record.name
            default: break
            }
        }
        return filled
    }
}

extension Request {
    /// The application form with what is on record, as of this request.
    var applicationForms: ApplicationForms { ApplicationForms(sql: sql, now: now) }
}
