import Fluent
import Foundation
import HTTPTypes
import OnboardDomain
import OpenAPIRuntime
import SQLKit
import Vapor

/// The API operations of `openapi.yaml`. Authentication happened in `BearerAuthenticator`; here every
/// record is filtered by the caller's scope, exactly as the pages are.
struct APIHandler: APIProtocol {
    let app: Application

    func context() throws -> (Request, Principal) {
        guard let req = APIRequest.current, let principal = req.principal else {
            throw APIProblem(status: .unauthorized, detail: "Send a bearer token.")
        }
        return (req, principal)
    }

    func listOrganisations(_ input: Operations.ListOrganisations.Input) async throws
        -> Operations.ListOrganisations.Output
    {
        let (req, principal) = try context()
        let regions = try await RegionDirectory.codes(on: req.sql)
        let query: OrganisationQuery
        switch OrganisationQuery.validate(
            q: input.query.q, type: input.query._type, region: input.query.region, limit: input.query.limit,
            cursor: input.query.cursor, knownRegions: regions)
        {
        case .success(let valid): query = valid
        case .failure(let errors): throw APIProblem(errors)
        }
        let page = try await OrganisationSearch.run(query, scope: principal.scope, on: req.sql)
        return .ok(.init(body: .json(.init(items: page.items.map(Self.organisation), nextCursor: page.next?.encoded))))
    }

    func getOrganisation(_ input: Operations.GetOrganisation.Input) async throws -> Operations.GetOrganisation.Output {
        let (req, principal) = try context()
        guard let ods = OrganisationRules.normaliseODS(input.path.ods), OrganisationRules.isValidODS(ods) else {
            throw APIProblem(status: .notFound, detail: "No organisation with that ODS code is in your scope.")
        }
        // The parent's and administrator's codes are subqueries, not joins, for the reason in
        // `PrincipalLoader.columns`: planning the joins cost more than running them.
        let item = try await req.sql.raw(
            """
            SELECT o.id, o.ods_code, o.name, o.type, o.country, o.region, o.postcode, o.status,
                (SELECT ods_code FROM organisations WHERE id = o.parent_id) AS parent_ods,
                (SELECT ods_code FROM organisations WHERE id = o.administered_by_id) AS administered_by_ods
            FROM organisations o
            WHERE o.ods_code = \(bind: ods) AND \(principal.scope.contains(SQLColumn("id", table: "o"), walk: .up))
            """
        ).firstRow(OrganisationSearch.Item.self)
        guard let item else {
            throw APIProblem(status: .notFound, detail: "No organisation with that ODS code is in your scope.")
        }
        return .ok(.init(body: .json(Self.organisation(item))))
    }

    func createOrganisation(_ input: Operations.CreateOrganisation.Input) async throws
        -> Operations.CreateOrganisation.Output
    {
        let (req, _) = try context()
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        var errors = ValidationErrors()
        let type = OrganisationType(rawValue: body._type)
        if type == nil {
            errors.add(
                "type", "Type must be one of: \(OrganisationType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let country = Country(rawValue: body.country)
        if country == nil {
            errors.add("country", "Country must be one of: \(Country.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let draft = OrganisationDraft(
            odsCode: body.odsCode, name: body.name, type: type, country: country, region: body.region,
            postcode: body.postcode, parentODS: body.parentOds, administeredByODS: body.administeredByOds)
        do {
            do {
                let created = try await OrganisationService(req: req).create(draft, extras: .init())
                try errors.throwIfAny()
                let id = try created.requireID()
                let item = OrganisationSearch.Item(
                    id: id, odsCode: created.odsCode, name: created.name, type: created.type.rawValue,
                    country: created.country.rawValue, region: created.region, postcode: created.postcode,
                    status: created.status.rawValue,
                    parentODS: draft.parentODS.flatMap(OrganisationRules.normaliseODS),
                    administeredByODS: draft.administeredByODS.flatMap(OrganisationRules.normaliseODS))
                return .created(.init(body: .json(Self.organisation(item))))
            } catch let problems as ValidationErrors {
                // Report the API-level field problems together with the domain's.
                let known = Set(errors.errors.map(\.field))
                throw APIProblem(ValidationErrors(errors.errors + problems.errors.filter { !known.contains($0.field) }))
            }
        }
    }

    func checkEligibility(_ input: Operations.CheckEligibility.Input) async throws -> Operations.CheckEligibility.Output
    {
        guard let req = APIRequest.current else { throw APIProblem(status: .internalServerError) }
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        var errors = ValidationErrors()
        var organisation: KnownOrganisation?
        if let ods = body.odsCode, !ods.isEmpty {
            if let code = OrganisationRules.normaliseODS(ods), OrganisationRules.isValidODS(code) {
                organisation = try await EligibilityFactsLoader.knownOrganisation(
                    ods: code, on: req.sql, fallbackHelpdesk: req.settings.nationalHelpdesk)
            } else {
                errors.add("odsCode", "ODS code must be 3 to 10 letters and numbers, like RR8 or FA123")
            }
        }
        let parameters = try await EligibilityParameterStore.current(on: req.sql)
        var programme: String?
        if let written = body.programme, !written.isEmpty {
            if written.count > 40 {
                errors.add("programme", "Programme code must be 40 characters or fewer")
            } else if let problem = parameters.unknownProgrammeProblem(written) {
                errors.add("programme", problem)
            }
            programme = parameters.programme(written)?.code
        }
        var submittedAt = req.now
        if let day = body.appliedOn {
            // A what-if date: noon in London that day, so it is the same date wherever it is read.
            if let noon = EligibilityEngine.londonNoon(of: day) {
                submittedAt = noon
            } else {
                errors.add("appliedOn", "appliedOn must be a real date written as YYYY-MM-DD, like 2017-02-01")
            }
        }
        if !errors.isEmpty { throw APIProblem(errors) }
        let facts = ApplicantFacts(
            applicantType: ApplicantType(rawValue: body.applicantType.rawValue)!,
            country: Country(rawValue: body.country.rawValue)!, odsCode: body.odsCode, organisation: organisation,
            deliversNHSFundedCare: body.deliversNhsFundedCare,
            exchangesPatientInformation: body.exchangesPatientInformation.flatMap {
                InformationExchange(rawValue: $0.rawValue)
            },
            usesOtherPubliclyFundedEmail: body.usesOtherPubliclyFundedEmail,
            igToolkitCompletedBy: body.igToolkitCompletedBy.flatMap { IGCompletedBy(rawValue: $0.rawValue) },
            programme: programme, submittedAt: submittedAt)
        let engine = EligibilityEngine(parameters: parameters)
        switch engine.decide(facts) {
        case .success(let result):
            return .ok(
                .init(
                    body: .json(
                        .init(
                            decision: .init(rawValue: result.decision.rawValue)!, rules: result.rules.map(\.rawValue),
                            reasons: result.reasons, nextStep: result.nextStep,
                            parameterVersion: result.parameterVersion))))
        case .failure(let missing):
            throw APIProblem(
                ValidationErrors(
                    missing.fields.map {
                        FieldError(field: $0, message: "This fact is needed for this kind of applicant")
                    }))
        }
    }

    static func organisation(_ item: OrganisationSearch.Item) -> Components.Schemas.Organisation {
        .init(
            id: item.id.uuidString.lowercased(), odsCode: item.odsCode, name: item.name, _type: item.type,
            country: item.country, region: item.region, postcode: item.postcode, parentOds: item.parentODS,
            administeredByOds: item.administeredByODS, status: item.status)
    }
}
