import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// People and their roles: find someone in scope, see their grants, grant and revoke.
struct PeopleController {
    struct Row: Decodable, Encodable {
        let id: UUID
        let givenName: String
        let familyName: String
        let address: String
        let organisation: String
        let state: String
    }

    struct ListPage: Encodable {
        let q: String
        let people: [Item]
        let searched: Bool
        let hasPeople: Bool
    }

    struct Item: Encodable {
        let href: String
        let name: String
        let address: String
        let organisation: String
    }

    func list(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let q = ((try? req.query.get(String.self, at: "q")) ?? "").tidied
        var search = AccountSearch(text: q, page: 1, pageSize: 100, reach: .sees)
        var errors = search.problems()
        if !errors.isEmpty {
            // The page still lists the first people in scope beneath the message.
            search.text = ""
            errors = ValidationErrors(errors.errors.filter { $0.field == "q" })
        }
        let rows = try await search.run(for: principal, on: req.sql).rows
        return try await req.render(
            "people/list",
            req.chrome("People and roles", breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)], errors: errors),
            ListPage(
                q: q,
                people: rows.map {
                    Item(
                        href: SiteURL.person($0.id).path, name: "\($0.givenName) \($0.familyName)",
                        address: $0.address, organisation: $0.organisation)
                }, searched: !q.isEmpty, hasPeople: !rows.isEmpty))
    }

    struct GrantRow: Encodable {
        let role: String
        let scope: String
        let granted: String
        let revokeURL: String?
    }

    struct Option: Encodable {
        let value: String
        let text: String
        var selected = false
    }

    struct ShowPage: Encodable {
        let name: String
        let address: String
        let organisation: String
        let state: String
        let grants: [GrantRow]
        let hasGrants: Bool
        let offersRegions: Bool
        let canGrant: Bool
        let cannotGrantReason: String?
        let roles: [Option]
        let regions: [Option]
        let grantURL: String
        let form: GrantForm
        let fieldErrors: [String: String]
    }

    struct GrantForm: Content {
        var role: String?
        var organisationOds: String?
        var region: String?
    }

    func show(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let page = try await showPage(req: req, principal: principal, form: GrantForm(), errors: .init())
        if let id = PathParameter.id.value(in: req) {
            try await req.audit(AuditEntry("account.view", target: "account", id: id.uuidString), on: req.sql)
        }
        return page
    }

    private func showPage(
        req: Request, principal: Principal, form: GrantForm, errors: ValidationErrors
    ) async throws -> Response {
        let account = try await req.scopedAccount(PathParameter.id.value(in: req), for: principal)
        let accountID = try account.requireID()
        let person = try await account.$person.get(on: req.db)
        let organisation = try await account.$organisation.get(on: req.db)
        let grants = try await RoleGrant.query(on: req.db).filter(\.$account.$id == accountID)
            .filter(\.$revokedAt == nil).with(\.$organisation).sort(\.$grantedAt).all()
        let regions = try await RegionDirectory.all(on: req.sql)
        let regionNames = Dictionary(regions.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let targetRoles = Set(grants.map(\.role))
        let isSelf = accountID == principal.accountID
        let grantable = RoleGrantPolicy.grantable(by: principal.roles).filter { $0 != .user }
        let refusal: RoleGrantPolicy.Refusal? =
            isSelf
            ? .ownAccount
            : (targetRoles.max().map { $0 > principal.topRole } ?? false) ? .targetOutranksYou : nil
        let rows = try grants.map { grant in
            let scope: String =
                switch grant.role.scopeKind {
                case .national: "All organisations"
                case .allPharmacies: "All pharmacies"
                case .region: grant.region.flatMap { regionNames[$0] } ?? "Region"
                case .organisation, .administeredTree:
                    grant.organisation.map { $0.name + ($0.odsCode.map { " (\($0))" } ?? "") } ?? "None"
                }
            let canRevoke =
                RoleGrantPolicy.check(
                    actorRoles: principal.roles, actorIsTarget: isSelf, targetRoles: targetRoles, role: grant.role)
                == nil
            return GrantRow(
                role: grant.role.displayName, scope: scope, granted: Format.date(grant.grantedAt),
                revokeURL: canRevoke ? SiteURL.revokeRole(account: accountID, grant: try grant.requireID()).path : nil)
        }
        return try await req.render(
            "people/show",
            req.chrome(
                person.fullName,
                breadcrumbs: [
                    .init(text: "Home", href: SiteURL.home.path), .init(text: "People", href: SiteURL.people.path),
                ], errors: errors, notice: req.notice),
            ShowPage(
                name: person.fullName, address: account.address,
                organisation: organisation.name + (organisation.odsCode.map { " (\($0))" } ?? ""),
                state: account.state.rawValue.replacingOccurrences(of: "_", with: " ").capitalized, grants: rows,
                hasGrants: !rows.isEmpty, offersRegions: grantable.contains { $0.needsRegion },
                canGrant: refusal == nil && !grantable.isEmpty, cannotGrantReason: refusal?.message,
                roles: [Option(value: "", text: "Choose a role")]
                    + grantable.map {
                        Option(value: $0.rawValue, text: $0.displayName, selected: $0.rawValue == form.role)
                    },
                regions: [Option(value: "", text: "Choose a region")]
                    + regions.map { Option(value: $0.code, text: $0.name, selected: $0.code == form.region) },
                grantURL: SiteURL.grantRole(accountID).path, form: form,
                fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func grant(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let account = try await req.scopedAccount(PathParameter.id.value(in: req), for: principal)
        let accountID = try account.requireID()
        let form = try req.content.decode(GrantForm.self)
        var errors = ValidationErrors()
        let role = form.role.flatMap(Role.init(rawValue:))
        if role == nil { errors.add("role", "Select a role to grant") }
        var organisationID: UUID?
        var region: String?
        if let role {
            let current = try await RoleGrant.query(on: req.db).filter(\.$account.$id == accountID)
                .filter(\.$revokedAt == nil).all()
            if let refusal = RoleGrantPolicy.check(
                actorRoles: principal.roles, actorIsTarget: accountID == principal.accountID,
                targetRoles: Set(current.map(\.role)), role: role)
            {
                // Refusals about who may act are authorisation, not form mistakes.
                throw Abort(.forbidden, reason: refusal.message)
            }
            if role.needsOrganisation {
                if let code = OrganisationRules.normaliseODS(form.organisationOds) {
                    if let organisation = try await Organisation.query(on: req.db).filter(\.$odsCode == code).first(),
                        try await principal.canSee(organisation: organisation.requireID(), on: req.sql)
                    {
                        organisationID = organisation.id
                    } else {
                        errors.add("organisationOds", "Enter the ODS code of an organisation you look after")
                    }
                } else {
                    organisationID = account.$organisation.id
                }
            }
            if role.needsRegion {
                region = try await RegionDirectory.codes(on: req.sql).contains(form.region ?? "") ? form.region : nil
                if region == nil { errors.add("region", "Select the region this role covers") }
            }
            if errors.isEmpty,
                current.contains(where: {
                    $0.role == role && $0.$organisation.id == organisationID && $0.region == region
                })
            {
                errors.add("role", "They already have this role for this organisation or region")
            }
        }
        guard errors.isEmpty, let role else {
            return try await showPage(req: req, principal: principal, form: form, errors: errors)
        }
        let (grantOrganisation, grantRegion) = (organisationID, region)
        let grant = RoleGrant(
            accountID: accountID, role: role, organisationID: grantOrganisation, region: grantRegion,
            grantedBy: principal.accountID, now: req.now)
        try await req.db.transaction { db in
            try await grant.save(on: db)
            try await req.audit(
                AuditEntry(
                    "role.grant", target: "account", id: accountID.uuidString, before: String?.none,
                    after: [
                        "grant": grant.id?.uuidString ?? "", "role": role.rawValue,
                        "organisation": grantOrganisation?.uuidString ?? "", "region": grantRegion ?? "",
                    ]), on: db as! any SQLDatabase)
        }
        return req.seeOther(.person(accountID), notice: Notices.roleGranted)
    }

    func revoke(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let account = try await req.scopedAccount(PathParameter.id.value(in: req), for: principal)
        let accountID = try account.requireID()
        guard let grantID = PathParameter.grant.value(in: req),
            let grant = try await RoleGrant.query(on: req.db).filter(\.$id == grantID)
                .filter(\.$account.$id == accountID).filter(\.$revokedAt == nil).first()
        else { throw Abort(.notFound) }
        let current = try await RoleGrant.query(on: req.db).filter(\.$account.$id == accountID)
            .filter(\.$revokedAt == nil).all()
        if let refusal = RoleGrantPolicy.check(
            actorRoles: principal.roles, actorIsTarget: accountID == principal.accountID,
            targetRoles: Set(current.map(\.role)), role: grant.role)
        {
            throw Abort(.forbidden, reason: refusal.message)
        }
        if let organisationID = grant.$organisation.id,
            try await !principal.canSee(organisation: organisationID, on: req.sql)
        {
            throw Abort(.notFound)
        }
        try await req.db.transaction { db in
            grant.revokedAt = req.now
            grant.$revokedBy.id = principal.accountID
            try await grant.save(on: db)
            // A token answers to its holder's current roles; one made under the revoked role stops at once.
            try await APITokens.revokeAll(of: accountID, now: req.now, on: db as! any SQLDatabase)
            try await req.audit(
                AuditEntry(
                    "role.revoke", target: "account", id: accountID.uuidString,
                    before: ["grant": grantID.uuidString, "role": grant.role.rawValue], after: String?.none),
                on: db as! any SQLDatabase)
        }
        return req.seeOther(.person(accountID), notice: Notices.roleRevoked)
    }
}
