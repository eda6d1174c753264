import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

extension OrganisationsController {
    /// The create and edit form, as typed.
    struct Form: Content {
        var odsCode: String?
        var name: String?
        var type: String?
        var country: String?
        var region: String?
        var postcode: String?
        var parentOds: String?
        var administeredByOds: String?
        var deliversNHSCare: String?
        var otherPublicEmail: String?
        var helpdeskContact: String?
        var igStatus: String?
        var igCompletedByOds: String?
        var igDay: String?
        var igMonth: String?
        var igYear: String?

        init() {}

        init(_ o: Organisation, lookupODS: [UUID: String]) {
            odsCode = o.odsCode
            name = o.name
            type = o.type.rawValue
            country = o.country.rawValue
            region = o.region
            postcode = o.postcode
            parentOds = o.$parent.id.flatMap { lookupODS[$0] }
            administeredByOds = o.$administeredBy.id.flatMap { lookupODS[$0] }
            deliversNHSCare = o.deliversNHSCare ? "yes" : "no"
            otherPublicEmail = o.otherPublicEmail ? "yes" : "no"
            helpdeskContact = o.helpdeskContact
            igStatus = o.igStatus.rawValue
            igCompletedByOds = o.$igCompletedBy.id == o.id ? nil : o.$igCompletedBy.id.flatMap { lookupODS[$0] }
            if let date = o.igCompletedOn {
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = TimeZone(identifier: "Europe/London")!
                let parts = calendar.dateComponents([.day, .month, .year], from: date)
                igDay = parts.day.map(String.init)
                igMonth = parts.month.map(String.init)
                igYear = parts.year.map(String.init)
            }
        }

        func parsed() -> (OrganisationDraft, OrganisationService.Extras, ValidationErrors) {
            var errors = ValidationErrors()
            let draft = OrganisationDraft(
                odsCode: odsCode, name: name ?? "", type: type.flatMap(OrganisationType.init(rawValue:)),
                country: country.flatMap(Country.init(rawValue:)), region: region, postcode: postcode,
                parentODS: parentOds, administeredByODS: administeredByOds)
            var extras = OrganisationService.Extras()
            extras.deliversNHSCare = deliversNHSCare != "no"
            extras.otherPublicEmail = otherPublicEmail == "yes"
            extras.helpdeskContact = helpdeskContact
            extras.igStatus = igStatus.flatMap(IGToolkitStatus.init(rawValue:)) ?? .notStarted
            extras.igCompletedByODS = igCompletedByOds
            let typed = [igDay, igMonth, igYear].map { $0?.trimmingCharacters(in: .whitespaces) ?? "" }
            if typed.contains(where: { !$0.isEmpty }) {
                if let day = Int(typed[0]), let month = Int(typed[1]), let year = Int(typed[2]),
                    (1900...2100).contains(year)
                {
                    var calendar = Calendar(identifier: .gregorian)
                    calendar.timeZone = TimeZone(identifier: "Europe/London")!
                    let components = DateComponents(year: year, month: month, day: day, hour: 12)
                    if let date = calendar.date(from: components),
                        calendar.component(.day, from: date) == day && calendar.component(.month, from: date) == month
                    {
                        extras.igCompletedOn = date
                    } else {
                        errors.add("igCompletedOn", "Date the IG toolkit was completed must be a real date")
                    }
                } else {
                    errors.add("igCompletedOn", "Date the IG toolkit was completed must be a real date")
                }
            }
            return (draft, extras, errors)
        }
    }

    struct FormPage: Encodable {
        let form: Form
        let action: String
        let submit: String
        let types: [Option]
        let countries: [Option]
        let regions: [Option]
        let fieldErrors: [String: String]
        let cancelURL: String
    }

    private func formPage(
        req: Request, title: String, form: Form, action: String, submit: String, cancel: String,
        errors: ValidationErrors = .init(), status: HTTPStatus = .ok
    ) async throws -> Response {
        let regions = try await RegionDirectory.all(on: req.sql)
        return try await req.render(
            "organisations/form",
            req.chrome(
                title,
                breadcrumbs: [
                    .init(text: "Home", href: SiteURL.home.path),
                    .init(text: "Organisations", href: SiteURL.organisations.path),
                ], errors: errors),
            FormPage(
                form: form, action: action, submit: submit,
                types: [Option(value: "", text: "Choose a type")]
                    + OrganisationType.allCases.map {
                        Option(value: $0.rawValue, text: $0.displayName, selected: $0.rawValue == form.type)
                    },
                countries: Country.allCases.map {
                    Option(
                        value: $0.rawValue, text: $0.displayName, selected: $0.rawValue == (form.country ?? "england"))
                },
                regions: [Option(value: "", text: "Not applicable")]
                    + regions.map { Option(value: $0.code, text: $0.name, selected: $0.code == form.region) },
                fieldErrors: errors.byField, cancelURL: cancel),
            status: status)
    }

    func newForm(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        var form = Form()
        form.country = "england"
        form.deliversNHSCare = "yes"
        form.otherPublicEmail = "no"
        form.igStatus = IGToolkitStatus.notStarted.rawValue
        return try await formPage(
            req: req, title: "Add an organisation", form: form, action: SiteURL.organisationNew.path,
            submit: "Add organisation", cancel: SiteURL.organisations.path)
    }

    func create(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let form = try req.content.decode(Form.self)
        let (draft, extras, formErrors) = form.parsed()
        do {
            try formErrors.throwIfAny()
            let organisation = try await OrganisationService(req: req).create(draft, extras: extras)
            return req.seeOther(.organisation(try organisation.requireID()), notice: Notices.organisationCreated)
        } catch let errors as ValidationErrors {
            return try await formPage(
                req: req, title: "Add an organisation", form: form, action: SiteURL.organisationNew.path,
                submit: "Add organisation", cancel: SiteURL.organisations.path,
                errors: ValidationErrors(
                    formErrors.errors + errors.errors.filter { e in formErrors.message(for: e.field) == nil }),
                status: .unprocessableEntity)
        }
    }

    private func odsLookup(_ organisation: Organisation, req: Request) async throws -> [UUID: String] {
        let ids = [organisation.$parent.id, organisation.$administeredBy.id, organisation.$igCompletedBy.id].compactMap
        { $0 }
        guard !ids.isEmpty else { return [:] }
        let rows = try await Organisation.query(on: req.db).filter(\.$id ~~ ids).all()
        return Dictionary(
            rows.compactMap { o in o.id.flatMap { id in o.odsCode.map { (id, $0) } } }, uniquingKeysWith: { a, _ in a })
    }

    func editForm(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let organisation = try await req.scopedOrganisation(PathParameter.id.value(in: req), for: principal)
        let id = try organisation.requireID()
        return try await formPage(
            req: req, title: "Edit \(organisation.name)",
            form: Form(organisation, lookupODS: try await odsLookup(organisation, req: req)),
            action: SiteURL.organisationEdit(id).path, submit: "Save changes", cancel: SiteURL.organisation(id).path)
    }

    func update(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let organisation = try await req.scopedOrganisation(PathParameter.id.value(in: req), for: principal)
        let id = try organisation.requireID()
        let title = "Edit \(organisation.name)"
        let form = try req.content.decode(Form.self)
        let (draft, extras, formErrors) = form.parsed()
        do {
            try formErrors.throwIfAny()
            try await OrganisationService(req: req).update(organisation, draft: draft, extras: extras)
            return req.seeOther(.organisation(id), notice: Notices.organisationSaved)
        } catch let errors as ValidationErrors {
            return try await formPage(
                req: req, title: title, form: form, action: SiteURL.organisationEdit(id).path, submit: "Save changes",
                cancel: SiteURL.organisation(id).path,
                errors: ValidationErrors(
                    formErrors.errors + errors.errors.filter { e in formErrors.message(for: e.field) == nil }),
                status: .unprocessableEntity)
        }
    }

    // MARK: close and merge

    struct ClosePage: Encodable {
        let name: String
        let action: String
        let cancelURL: String
        let successorOds: String
        let accounts: Int
        let merge: Bool
        let fieldErrors: [String: String]
    }

    struct CloseForm: Content {
        var successorOds: String?
    }

    private func closePage(
        req: Request, organisation: Organisation, merge: Bool, successorOds: String = "",
        errors: ValidationErrors = .init()
    ) async throws -> Response {
        let id = try organisation.requireID()
        let accounts = try await Account.query(on: req.db).filter(\.$organisation.$id == id).count()
        let title = merge ? "Merge \(organisation.name) into another organisation" : "Close \(organisation.name)"
        return try await req.render(
            "organisations/close",
            req.chrome(title, backLink: SiteURL.organisation(id).path, errors: errors),
            ClosePage(
                name: organisation.name,
                action: merge ? SiteURL.organisationMerge(id).path : SiteURL.organisationClose(id).path,
                cancelURL: SiteURL.organisation(id).path, successorOds: successorOds, accounts: accounts, merge: merge,
                fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func closeForm(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let organisation = try await req.scopedOrganisation(PathParameter.id.value(in: req), for: principal)
        return try await closePage(req: req, organisation: organisation, merge: false)
    }

    func mergeForm(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let organisation = try await req.scopedOrganisation(PathParameter.id.value(in: req), for: principal)
        return try await closePage(req: req, organisation: organisation, merge: true)
    }

    func close(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await closeOrMerge(req: req, principal: principal, merge: false)
    }

    func merge(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await closeOrMerge(req: req, principal: principal, merge: true)
    }

    private func closeOrMerge(req: Request, principal: Principal, merge: Bool) async throws -> Response {
        let organisation = try await req.scopedOrganisation(PathParameter.id.value(in: req), for: principal)
        let form = try req.content.decode(CloseForm.self)
        let successor = form.successorOds?.trimmingCharacters(in: .whitespaces) ?? ""
        do {
            if merge && successor.isEmpty {
                throw ValidationErrors([
                    FieldError(field: "successorOds", message: "Enter the ODS code of the organisation to merge into")
                ])
            }
            try await OrganisationService(req: req).close(
                organisation, successorODS: successor, action: merge ? "organisation.merge" : "organisation.close")
            return req.seeOther(
                .organisation(try organisation.requireID()),
                notice: merge ? Notices.organisationMerged : Notices.organisationClosed)
        } catch let errors as ValidationErrors {
            return try await closePage(
                req: req, organisation: organisation, merge: merge, successorOds: successor, errors: errors)
        }
    }

    // MARK: import

    struct ImportPage: Encodable {
        let action: String
        let columns: String
        let outcome: OrganisationImporter.Outcome?
        let fieldErrors: [String: String]
        let problems: [String]
        let hasProblems: Bool
    }

    struct ImportForm: Content {
        var file: File?
    }

    func importForm(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await importPage(req: req)
    }

    private func importPage(
        req: Request, outcome: OrganisationImporter.Outcome? = nil, errors: ValidationErrors = .init()
    ) async throws -> Response {
        let summary = errors.fileSummary
        return try await req.render(
            "organisations/import",
            req.chrome(
                "Import organisations",
                breadcrumbs: [
                    .init(text: "Home", href: SiteURL.home.path),
                    .init(text: "Organisations", href: SiteURL.organisations.path),
                ], errors: summary),
            ImportPage(
                action: SiteURL.organisationImport.path,
                columns: OrganisationCSV.columns.joined(separator: ", ")
                    + ", administered_by (optional), country (optional)",
                outcome: outcome, fieldErrors: summary.byField,
                problems: errors.errors.count > 1 ? errors.errors.prefix(50).map(\.message) : [],
                hasProblems: errors.errors.count > 1),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func importCSV(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let form = try req.content.decode(ImportForm.self)
        guard let file = form.file, file.data.readableBytes > 0 else {
            return try await importPage(
                req: req, errors: ValidationErrors([FieldError(field: "file", message: "Select a CSV file to import")]))
        }
        guard let text = file.data.getString(at: file.data.readerIndex, length: file.data.readableBytes) else {
            return try await importPage(
                req: req,
                errors: ValidationErrors([FieldError(field: "file", message: "The file must be a CSV saved as UTF-8")]))
        }
        do {
            let outcome = try await OrganisationImporter(database: req.db, now: req.now, audit: req.auditContext)
                .importCSV(text)
            return try await importPage(req: req, outcome: outcome)
        } catch let errors as ValidationErrors {
            return try await importPage(req: req, errors: errors)
        }
    }
}
