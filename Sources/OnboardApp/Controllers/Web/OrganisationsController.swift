import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Organisations as a product: find, see, create, edit, close, merge and import.
struct OrganisationsController {
    struct Option: Encodable {
        let value: String
        let text: String
        var selected = false
    }

    // MARK: list

    struct ListPage: Encodable {
        let q: String
        let types: [Option]
        let regions: [Option]
        let items: [Row]
        let nextURL: String?
        let canCreate: Bool
        let searched: Bool
        let hasItems: Bool
        let fieldErrors: [String: String]
    }

    struct Row: Encodable {
        let href: String
        let name: String
        let ods: String
        let type: String
        let status: String
        let statusColour: String
    }

    func list(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let q = try? req.query.get(String.self, at: "q")
        let type = try? req.query.get(String.self, at: "type")
        let region = try? req.query.get(String.self, at: "region")
        let cursor = try? req.query.get(String.self, at: "cursor")
        let regions = try await RegionDirectory.all(on: req.sql)
        let query: OrganisationQuery
        var errors = ValidationErrors()
        switch OrganisationQuery.validate(
            q: q, type: type, region: region, limit: 50, cursor: cursor, knownRegions: Set(regions.map(\.code)))
        {
        case .success(let valid): query = valid
        case .failure(let problems):
            errors = problems
            query = OrganisationQuery(text: nil, type: nil, region: nil, limit: 50, after: nil)
        }
        let page = try await OrganisationSearch.run(query, scope: principal.scope, on: req.sql)
        var nextURL: String?
        if let next = page.next {
            var components = URLComponents()
            components.path = SiteURL.organisations.path
            components.queryItems = [
                URLQueryItem(name: "q", value: q ?? ""), URLQueryItem(name: "type", value: type ?? ""),
                URLQueryItem(name: "region", value: region ?? ""), URLQueryItem(name: "cursor", value: next.encoded),
            ]
            nextURL = components.string
        }
        let content = ListPage(
            q: q ?? "",
            types: [Option(value: "", text: "Any type")]
                + OrganisationType.allCases.map {
                    Option(value: $0.rawValue, text: $0.displayName, selected: $0.rawValue == type)
                },
            regions: [Option(value: "", text: "Any region")]
                + regions.map { Option(value: $0.code, text: $0.name, selected: $0.code == region) },
            items: page.items.map(Self.row), nextURL: nextURL, canCreate: principal.has(.nationalAdmin),
            searched: q != nil || type != nil || region != nil, hasItems: !page.items.isEmpty,
            fieldErrors: errors.byField)
        return try await req.render(
            "organisations/list",
            req.chrome(
                "Organisations", breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)], errors: errors,
                notice: req.notice),
            content)
    }

    static func row(_ item: OrganisationSearch.Item) -> Row {
        let status = OnboardingStatus(rawValue: item.status) ?? .notJoined
        return Row(
            href: SiteURL.organisation(item.id).path, name: item.name, ods: item.odsCode ?? "None yet",
            type: OrganisationType(rawValue: item.type)?.displayName ?? item.type, status: status.displayName,
            statusColour: Self.colour(status))
    }

    static func colour(_ status: OnboardingStatus) -> String {
        switch status {
        case .live: "green"
        case .onboarding: "blue"
        case .applying: "yellow"
        case .notJoined: "grey"
        case .closed: "red"
        }
    }

    // MARK: show

    struct Detail: Encodable {
        let key: String
        let value: String
        var href: String? = nil
    }

    struct ShowPage: Encodable {
        let name: String
        let status: String
        let statusColour: String
        let details: [Detail]
        let sites: [Row]
        let administered: [Row]
        let hasSites: Bool
        let hasAdministered: Bool
        let accounts: Int
        let canManage: Bool
        let isClosed: Bool
        let editURL: String
        let closeURL: String
        let mergeURL: String
    }

    func show(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let organisation = try await req.scopedOrganisation(PathParameter.id.value(in: req), for: principal)
        let id = try organisation.requireID()
        let scopePredicate = principal.scope.contains(SQLColumn("id", table: "o"))
        func related(_ column: String) async throws -> [Row] {
            try await req.sql.raw(
                """
                SELECT o.id, o.ods_code, o.name, o.type, o.country, o.region, o.postcode, o.status,
                    NULL AS parent_ods, NULL AS administered_by_ods
                FROM organisations o WHERE o.\(ident: column) = \(bind: id) AND \(scopePredicate)
                ORDER BY o.name LIMIT 100
                """
            ).rows(OrganisationSearch.Item.self).map(Self.row)
        }
        let sites = try await related("parent_id")
        let administered = try await related("administered_by_id")
        let names = try await linkedNames(organisation, principal: principal, req: req)
        let accounts = try await Account.query(on: req.db).filter(\.$organisation.$id == id).count()
        let helpdesk = try await Self.helpdeskContact(
            for: id, on: req.sql, fallback: req.settings.nationalHelpdesk)
        let region = try await RegionDirectory.all(on: req.sql).first { $0.code == organisation.region }?.name
        var details = [
            Detail(key: "ODS code", value: organisation.odsCode ?? "None yet"),
            Detail(key: "Type", value: organisation.type.displayName),
            Detail(key: "Country", value: organisation.country.displayName),
            Detail(key: "NHS England region", value: region ?? "Not applicable"),
            Detail(key: "Postcode", value: organisation.postcode ?? "Not recorded"),
            names.parent ?? Detail(key: "Parent organisation", value: "None"),
            names.administrator ?? Detail(key: "Administered by", value: "Not set"),
            Detail(
                key: "IG toolkit",
                value: organisation.igStatus == .completed
                    ? "Completed\(organisation.igCompletedOn.map { " on " + Format.date($0) } ?? "")\(names.igBy.map { " by " + $0 } ?? "")"
                    : "Not completed"),
            Detail(key: "Delivers NHS-funded care", value: organisation.deliversNHSCare ? "Yes" : "No"),
            Detail(
                key: "Uses another publicly funded email service", value: organisation.otherPublicEmail ? "Yes" : "No"),
            Detail(key: "Helpdesk contact", value: helpdesk),
        ]
        if let successor = names.successor { details.append(successor) }
        details.append(
            try Self.mailboxSize(
                organisation, settings: req.settings,
                canChange: principal.has(.nationalAdmin) && organisation.status != .closed))
        return try await req.render(
            "organisations/show",
            req.chrome(
                organisation.name,
                breadcrumbs: [
                    .init(text: "Home", href: SiteURL.home.path),
                    .init(text: "Organisations", href: SiteURL.organisations.path),
                ], notice: req.notice),
            ShowPage(
                name: organisation.name, status: organisation.status.displayName,
                statusColour: Self.colour(organisation.status), details: details, sites: sites,
                administered: administered, hasSites: !sites.isEmpty, hasAdministered: !administered.isEmpty,
                accounts: accounts,
                canManage: principal.has(.nationalAdmin), isClosed: organisation.status == .closed,
                editURL: SiteURL.organisationEdit(id).path, closeURL: SiteURL.organisationClose(id).path,
                mergeURL: SiteURL.organisationMerge(id).path))
    }

    /// Names of linked organisations, as links only where the caller may see them.
    private func linkedNames(_ organisation: Organisation, principal: Principal, req: Request) async throws -> (
        parent: Detail?, administrator: Detail?, successor: Detail?, igBy: String?
    ) {
        func detail(_ id: UUID?, key: String) async throws -> Detail? {
            guard let id, let other = try await Organisation.find(id, on: req.db) else { return nil }
            let visible = try await principal.canSee(organisation: id, on: req.sql)
            let label = other.name + (other.odsCode.map { " (\($0))" } ?? "")
            return Detail(key: key, value: label, href: visible ? SiteURL.organisation(id).path : nil)
        }
        let igBy = try await detail(organisation.$igCompletedBy.id, key: "")
        return (
            try await detail(organisation.$parent.id, key: "Parent organisation"),
            try await detail(organisation.$administeredBy.id, key: "Administered by"),
            try await detail(organisation.$successor.id, key: "Successor"),
            organisation.$igCompletedBy.id == organisation.id ? nil : igBy?.value
        )
    }

    /// The helpdesk to show: the organisation's own, else the nearest parent's, else the administrator's,
    /// else the national helpdesk.
    static func helpdeskContact(for id: UUID, on sql: any SQLDatabase, fallback: String) async throws -> String {
        struct Row: Decodable { let helpdeskContact: String }
        let row = try await sql.raw(
            """
            WITH RECURSIVE up(id, parent_id, administered_by_id, helpdesk_contact, depth) AS (
                SELECT id, parent_id, administered_by_id, helpdesk_contact, 0 FROM organisations WHERE id = \(bind: id)
                UNION ALL
                SELECT o.id, o.parent_id, o.administered_by_id, o.helpdesk_contact, up.depth + 1
                FROM organisations o JOIN up ON o.id = COALESCE(up.parent_id, up.administered_by_id)
                WHERE up.depth < 20
            )
            SELECT helpdesk_contact FROM up WHERE helpdesk_contact IS NOT NULL ORDER BY depth LIMIT 1
            """
        ).firstRow(Row.self)
        return row?.helpdeskContact ?? fallback
    }
}
