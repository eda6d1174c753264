import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Eligibility rule parameters: national administrators add versions by filling in a copy of the one in use;
/// none is ever edited in place.
struct ParametersController {
    struct Version: Decodable {
        let version: String
        let createdAt: Date
        let createdBy: String?
    }

    struct VersionItem: Encodable {
        let version: String
        let created: String
        let by: String
        let current: Bool
    }

    struct TextItem: Encodable {
        let name: String
        let label: String
        let hint: String?
        let value: String
        let error: String?
    }

    struct DateItem: Encodable {
        let name: String
        let label: String
        let hint: String?
        let day: String
        let month: String
        let year: String
        let error: String?
    }

    struct ProgrammeItem: Encodable {
        let heading: String
        let texts: [TextItem]
        let dates: [DateItem]
    }

    struct Page: Encodable {
        let versions: [VersionItem]
        let version: TextItem
        let contacts: [TextItem]
        /// Those of the version in use, then a blank one to add.
        let programmes: [ProgrammeItem]
    }

    func page(req: Request, principal: Principal) async throws -> Response {
        let current = try await EligibilityParameterStore.current(on: req.sql)
        return try await render(req, current: current, values: ParametersForm.values(of: current), errors: .init())
    }

    private func render(
        _ req: Request, current: EligibilityParameters, values: [String: String], errors: ValidationErrors
    ) async throws -> Response {
        let rows = try await req.sql.raw(
            """
            SELECT v.version, v.created_at, p.given_name || ' ' || p.family_name AS created_by
            FROM eligibility_parameter_versions v
            LEFT JOIN accounts a ON a.id = v.created_by_id LEFT JOIN people p ON p.id = a.person_id
            ORDER BY v.created_at DESC, v.version DESC
            """
        ).rows(Version.self)
        let versions = rows.enumerated().map { index, row in
            VersionItem(
                version: row.version, created: LondonTime.receipt(row.createdAt), by: row.createdBy ?? "Seeded",
                current: index == 0)
        }
        let problems = errors.byField
        func text(_ item: ParametersForm.Text, name: String) -> TextItem {
            TextItem(
                name: name, label: item.label, hint: item.hint, value: values[name] ?? "", error: problems[name])
        }
        func programme(_ code: String?, heading: String) -> ProgrammeItem {
            ProgrammeItem(
                heading: heading,
                texts: (code == nil ? [ParametersForm.newCode] : []).map {
                    text($0, name: ParametersForm.field(nil, $0.key))
                }
                    + ParametersForm.programmeTexts.map { text($0, name: ParametersForm.field(code, $0.key)) },
                dates: ParametersForm.programmeDates.map { item in
                    let name = ParametersForm.field(code, item.key)
                    return DateItem(
                        name: name, label: item.label, hint: item.hint, day: values["\(name)-day"] ?? "",
                        month: values["\(name)-month"] ?? "", year: values["\(name)-year"] ?? "", error: problems[name])
                })
        }
        let versionItem = TextItem(
            name: "version", label: "Name of the new version",
            hint: "For example, 2017-02. Versions are never renamed.",
            value: values["version"] ?? "", error: problems["version"])
        return try await req.render(
            "parameters/page", req.chrome("Eligibility rule parameters", errors: errors, notice: req.notice),
            Page(
                versions: versions, version: versionItem,
                contacts: ParametersForm.contacts.map { text($0, name: $0.key) },
                programmes: current.programmes.map { programme($0.code, heading: $0.name) }
                    + [programme(nil, heading: "Add a programme (optional)")]),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    /// Saves the filled-in form as a new version with a new name. The rules themselves stay in code.
    func create(req: Request, principal: Principal) async throws -> Response {
        let form = try req.content.decode([String: String].self)
        let current = try await EligibilityParameterStore.current(on: req.sql)
        let version = (form["version"] ?? "").tidied
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
        let parameters: EligibilityParameters?
        switch ParametersForm.read(form, version: version, current: current) {
        case .success(let read): parameters = read
        case .failure(let problems):
            parameters = nil
            for problem in problems.errors { errors.add(problem.field, problem.message) }
        }
        guard errors.isEmpty, let parameters else {
            return try await render(req, current: current, values: form, errors: errors)
        }
        let text = try EligibilityParameterStore.encode(parameters)
        let now = req.now
        let context = req.auditContext
        try await req.inTransaction { sql in
            try await sql.insert(
                into: "eligibility_parameter_versions",
                row: [
                    "id": UUID(), "version": version, "body": text, "created_at": now,
                    "created_by_id": principal.accountID,
                ]
            )
            .run()
            try await AuditLog.record(
                AuditEntry(
                    "eligibility_parameters.create", target: "eligibility_parameters", id: version,
                    before: ["version": current.version], after: ["version": version, "body": text]),
                context: context, at: now, on: sql)
        }
        return req.seeOther(.parameters, notice: Notices.parametersSaved)
    }
}
