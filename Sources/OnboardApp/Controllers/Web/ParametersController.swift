// swift-format-ignore-file: AlwaysUseLowerCamelCase
// Row types here mirror their SQL column names, so they decode without a key mapping.

import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Eligibility rule parameters: national administrators add versions; none is ever edited in place.
struct ParametersController {
    struct Version: Decodable {
        let version: String
        let created_at: Date
        let created_by: String?
    }

    struct VersionItem: Encodable {
        let version: String
        let created: String
        let by: String
        let current: Bool
    }

    struct Page: Encodable {
        let versions: [VersionItem]
        let body: String
        let version: String
    }

    func page(req: Request, principal: Principal) async throws -> Response {
        let current = try await EligibilityParameterStore.current(on: req.sql)
        return try await render(req, body: try Self.pretty(current), version: "", errors: .init())
    }

    static func pretty(_ parameters: EligibilityParameters) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(parameters), as: UTF8.self)
    }

    private func render(_ req: Request, body: String, version: String, errors: ValidationErrors, notice: String? = nil)
        async throws -> Response
    {
        let rows = try await req.sql.raw(
            """
            SELECT v.version, v.created_at, p.given_name || ' ' || p.family_name AS created_by
            FROM eligibility_parameter_versions v
            LEFT JOIN accounts a ON a.id = v.created_by_id LEFT JOIN people p ON p.id = a.person_id
            ORDER BY v.created_at DESC, v.version DESC
            """
        ).all(decoding: Version.self)
        let versions = rows.enumerated().map { index, row in
            VersionItem(
                version: row.version, created: LondonTime.receipt(row.created_at), by: row.created_by ?? "Seeded",
                current: index == 0)
        }
        return try await req.render(
            "parameters/page", req.chrome("Eligibility rule parameters", errors: errors, notice: notice),
            Page(versions: versions, body: body, version: version),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    /// Saves the edited parameters as a new version with a new name. The rules themselves stay in code.
    func create(req: Request, principal: Principal) async throws -> Response {
        struct Form: Decodable {
            let version: String?
            let body: String?
        }
        let form = try req.content.decode(Form.self)
        let version = (form.version ?? "").tidied
        let body = form.body ?? ""
        var errors = ValidationErrors()
        if version.isEmpty || version.count > 40
            || version.contains(where: { !$0.isLetter && !$0.isNumber && $0 != "-" && $0 != "." })
        {
            errors.add("version", "Enter a version name of up to 40 letters, numbers, dots and hyphens, like 2017-02")
        } else if try await req.sql.raw(
            "SELECT 1 AS one FROM eligibility_parameter_versions WHERE version = \(bind: version)"
        ).first() != nil {
            errors.add("version", "Version \(version) already exists: versions are never changed, so choose a new name")
        }
        var parsed: EligibilityParameters?
        do {
            parsed = try JSONDecoder().decode(EligibilityParameters.self, from: Data(body.utf8))
        } catch {
            errors.add("body", "The parameters are not valid: check the JSON against the current version")
        }
        if var candidate = parsed {
            candidate.version = version
            for (name, value) in [
                ("nationalHelpdesk", candidate.nationalHelpdesk), ("aupVersion", candidate.aupVersion),
                ("eligibilityContact", candidate.eligibilityContact),
            ] where value.tidied.isEmpty {
                errors.add("body", "\(name) cannot be empty")
            }
            let dates = /[0-9]{4}-[0-9]{2}-[0-9]{2}/
            for programme in candidate.programmes {
                let days = [programme.opensOn] + [programme.evidenceCutoff, programme.closesOn].compactMap { $0 }
                if programme.code.isEmpty || days.contains(where: { $0.wholeMatch(of: dates) == nil }) {
                    errors.add("body", "Programme \(programme.code): dates must be written YYYY-MM-DD")
                }
            }
            parsed = candidate
        }
        guard errors.isEmpty, let parameters = parsed else {
            return try await render(req, body: body, version: version, errors: errors)
        }
        let text = try EligibilityParameterStore.encode(parameters)
        let now = req.now
        let context = req.auditContext
        let previous = try await EligibilityParameterStore.current(on: req.sql).version
        try await req.inTransaction { sql in
            try await sql.insert(into: "eligibility_parameter_versions")
                .columns("id", "version", "body", "created_at", "created_by_id")
                .values(SQLBind(UUID()), SQLBind(version), SQLBind(text), SQLBind(now), SQLBind(principal.accountID))
                .run()
            try await AuditLog.record(
                AuditEntry(
                    "eligibility_parameters.create", target: "eligibility_parameters", id: version,
                    before: ["version": previous], after: ["version": version, "body": text]),
                context: context, at: now, on: sql)
        }
        return try await render(
            req, body: try Self.pretty(parameters), version: "", errors: .init(),
            notice: "Version \(version) is now in use")
    }
}
