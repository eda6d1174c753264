import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Accepting a joiner: a recent leaver, found by their exact address, joins another organisation.
extension AccountsController {
    struct JoinerForm: Content {
        var address: String?
        var organisation: String?
    }

    struct JoinerPage: Encodable {
        let address: String
        let fieldErrors: [String: String]
        let found: Found?
        let organisations: [Option]
    }

    struct Found: Encodable {
        let name: String
        let address: String
        let left: String
        let leftOn: String
        let acceptURL: String
    }

    func joinerPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await req.render(
            "accounts/joiner",
            req.chrome("Accept a joiner", breadcrumbs: [.init(text: "Accounts", href: SiteURL.accounts.path)]),
            JoinerPage(address: "", fieldErrors: [:], found: nil, organisations: []))
    }

    /// Finds a recent leaver by their exact address: leavers are outside everyone's scope, so an exact
    /// address (which the person gives) is the only way in, and only their name and old organisation show.
    func findJoiner(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let address = Identifiers.normaliseEmail(try req.content.decode(JoinerForm.self).address ?? "")
        var errors = ValidationErrors()
        var found: Found?
        if address.isEmpty {
            errors.add("address", "Enter the person's email address")
        } else if let summary = try await req.accountAdministration.recentLeaver(address: address),
            let left = summary.stateChangedAt
        {
            found = Found(
                name: "\(summary.givenName) \(summary.familyName)".tidied, address: summary.address,
                left: summary.organisationName, leftOn: Format.date(left), acceptURL: SiteURL.joiner(summary.id).path)
        } else {
            errors.add(
                "address",
                "No recent leaver has this address. Check it with the person: leavers can join within \(req.settings.lifecycle.joinerWindowDays) days of leaving"
            )
        }
        return try await req.render(
            "accounts/joiner",
            req.chrome(
                "Accept a joiner", breadcrumbs: [.init(text: "Accounts", href: SiteURL.accounts.path)], errors: errors),
            JoinerPage(
                address: address, fieldErrors: errors.byField, found: found,
                organisations: found == nil
                    ? [] : try await Self.organisationOptions(req, principal: principal, selected: nil)))
    }

    func acceptJoiner(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let form = try req.content.decode(JoinerForm.self)
        let service = req.accountAdministration
        // Any other id, or a leaver's id without their address, answers exactly as an id that does not exist.
        guard let id = PathParameter.id.value(in: req),
            let account = try await service.recentLeaver(id, address: Identifiers.normaliseEmail(form.address ?? ""))
        else { throw Abort(.notFound) }
        var errors = ValidationErrors()
        guard let organisationID = try await principal.managedOrganisation(ods: form.organisation, on: req.sql)?.id
        else {
            errors.add("organisation", "Choose the organisation they are joining")
            return try await req.render(
                "accounts/joiner",
                req.chrome(
                    "Accept a joiner", breadcrumbs: [.init(text: "Accounts", href: SiteURL.accounts.path)],
                    errors: errors),
                JoinerPage(
                    address: account.address, fieldErrors: errors.byField,
                    found: Found(
                        name: "\(account.givenName) \(account.familyName)".tidied, address: account.address,
                        left: account.organisationName, leftOn: account.stateChangedAt.map(Format.date) ?? "",
                        acceptURL: SiteURL.joiner(account.id).path),
                    organisations: try await Self.organisationOptions(req, principal: principal, selected: nil)))
        }
        do {
            try await service.acceptJoiner(account, into: organisationID)
        } catch let problems as ValidationErrors {
            return try await req.render(
                "accounts/joiner",
                req.chrome(
                    "Accept a joiner", breadcrumbs: [.init(text: "Accounts", href: SiteURL.accounts.path)],
                    errors: problems),
                JoinerPage(address: account.address, fieldErrors: problems.byField, found: nil, organisations: []))
        }
        return req.seeOther(.account(account.id), notice: Notices.joined)
    }
}
