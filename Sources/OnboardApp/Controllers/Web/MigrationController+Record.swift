import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The project's record: the migration option, the initiation record and the go-live date.
extension MigrationController {
    // MARK: Option

    struct OptionChoice: Encodable {
        let value: String
        let text: String
        let hint: String
        let checked: Bool
    }

    struct OptionPage: Encodable {
        let action: String
        let organisation: String
        let options: [OptionChoice]
        let reason: String
        let fieldErrors: [String: String]
    }

    struct OptionForm: Content {
        var option: String?
        var reason: String?
    }

    static func hint(_ option: MigrationOption) -> String {
        switch option {
        case .selfService: "The organisation moves its own mailboxes, following the self-migration guide and plan"
        case .partialManaged:
            "The organisation moves its mailboxes with tooling and support from the national migration team"
        case .managed: "The national migration team moves the mailboxes for the organisation"
        }
    }

    func optionPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        return try await renderOption(
            req, project: project, form: OptionForm(option: project.option, reason: project.optionReason),
            errors: .init())
    }

    private func renderOption(
        _ req: Request, project: MigrationProjectRow, form: OptionForm, errors: ValidationErrors
    ) async throws -> Response {
        try await req.render(
            "migration/option",
            req.chrome(
                "How will the organisation migrate?", backLink: SiteURL.migration(project.id).path, errors: errors),
            OptionPage(
                action: SiteURL.migrationOption(project.id).path, organisation: project.organisationName,
                options: MigrationOption.allCases.map {
                    OptionChoice(
                        value: $0.rawValue, text: $0.title, hint: Self.hint($0), checked: form.option == $0.rawValue)
                }, reason: form.reason ?? "", fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func chooseOption(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let form = try req.content.decode(OptionForm.self)
        return try await save(
            req, { try await $0.chooseOption(project, option: form.option, reason: form.reason) },
            then: .migration(project.id), notice: Notices.optionSaved,
            orShow: { try await renderOption(req, project: project, form: form, errors: $0) })
    }

    // MARK: Initiation

    struct InitiationForm: Content {
        var scope: String?
        var mailboxCount: String?
        var dataVolumeGB: String?
        var currentSystem: String?
        var keyContacts: String?
        var risks: String?
    }

    struct InitiationPage: Encodable {
        let action: String
        let organisation: String
        let form: InitiationForm
        let goLive: String
        let goLiveHref: String
        let fieldErrors: [String: String]
    }

    func initiationPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let form = InitiationForm(
            scope: project.scope, mailboxCount: project.mailboxCount.map(String.init),
            dataVolumeGB: project.dataVolumeGB.map(String.init), currentSystem: project.currentSystem,
            keyContacts: project.keyContacts, risks: project.risks)
        return try await renderInitiation(req, project: project, form: form, errors: .init())
    }

    private func renderInitiation(
        _ req: Request, project: MigrationProjectRow, form: InitiationForm, errors: ValidationErrors
    ) async throws -> Response {
        try await req.render(
            "migration/initiation",
            req.chrome("Project initiation", backLink: SiteURL.migration(project.id).path, errors: errors),
            InitiationPage(
                action: SiteURL.migrationInitiation(project.id).path, organisation: project.organisationName,
                form: form,
                goLive: project.goLive?.long ?? "Not set", goLiveHref: SiteURL.migrationGoLive(project.id).path,
                fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func saveInitiation(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let form = try req.content.decode(InitiationForm.self)
        return try await save(
            req,
            {
                try await $0.saveInitiation(
                    project, scope: form.scope, mailboxCount: form.mailboxCount, dataVolumeGB: form.dataVolumeGB,
                    currentSystem: form.currentSystem, keyContacts: form.keyContacts, risks: form.risks)
            }, then: .migration(project.id), notice: Notices.initiationSaved,
            orShow: { try await renderInitiation(req, project: project, form: form, errors: $0) })
    }

    // MARK: Go-live date

    struct DateForm: Content {
        var day: String?
        var month: String?
        var year: String?

        var iso: String? {
            guard let d = Int(day?.trimmed ?? ""), let m = Int(month?.trimmed ?? ""), let y = Int(year?.trimmed ?? "")
            else {
                return [day, month, year].allSatisfy { ($0?.trimmed ?? "").isEmpty } ? nil : "invalid"
            }
            return String(format: "%04d-%02d-%02d", y, m, d)
        }
    }

    struct GoLivePage: Encodable {
        let action: String
        let organisation: String
        let form: DateForm
        let current: String?
        let hasPlan: Bool
        let fieldErrors: [String: String]
    }

    func goLivePage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let parts = project.goLive?.civil
        return try await renderGoLive(
            req, project: project,
            form: DateForm(
                day: parts.map { "\($0.day)" }, month: parts.map { "\($0.month)" }, year: parts.map { "\($0.year)" }),
            errors: .init())
    }

    private func renderGoLive(_ req: Request, project: MigrationProjectRow, form: DateForm, errors: ValidationErrors)
        async throws -> Response
    {
        try await req.render(
            "migration/go-live",
            req.chrome(
                project.goLive == nil ? "When will the organisation go live?" : "Move the go-live date",
                backLink: SiteURL.migration(project.id).path, errors: errors),
            GoLivePage(
                action: SiteURL.migrationGoLive(project.id).path, organisation: project.organisationName, form: form,
                current: project.goLive?.long, hasPlan: project.migrationOption != nil, fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func setGoLive(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let project = try await openProject(req, principal)
        let form = try req.content.decode(DateForm.self)
        // Without an option there is no plan to show yet: back to the overview.
        let target: SiteURL = project.migrationOption == nil ? .migration(project.id) : .migrationPlan(project.id)
        return try await save(
            req, { try await $0.setGoLive(project, date: form.iso) }, then: target, notice: Notices.goLiveSaved,
            orShow: { try await renderGoLive(req, project: project, form: form, errors: $0) })
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
