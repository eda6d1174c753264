import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// An administrator's account pages: find, add (with a check-your-answers page), activate by phone or by
/// text, and run the lifecycle. Every account is reached by its opaque id and checked against scope.
struct AccountsController {
    // MARK: list

    struct ListItem: Encodable {
        let href: String
        let name: String
        let address: String
        let organisation: String
        let state: String
        let colour: String
    }

    struct ListPage: Encodable {
        let q: String
        let state: String
        let states: [Option]
        let accounts: [ListItem]
        let hasAccounts: Bool
        let canCreate: Bool
        let newURL: String
        let joinersURL: String
    }

    struct Option: Encodable {
        let value: String
        let text: String
        let selected: Bool
    }

    func list(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let q = ((try? req.query.get(String.self, at: "q")) ?? "").tidied
        let stateFilter = AccountState(rawValue: (try? req.query.get(String.self, at: "state")) ?? "")
        let search = AccountSearch(text: q, state: stateFilter)
        let errors = search.problems()
        let rows = errors.isEmpty ? try await search.run(for: principal, on: req.sql).rows : []
        let items = rows.map { row in
            let state = row.accountState
            return ListItem(
                href: SiteURL.account(row.id).path, name: "\(row.givenName) \(row.familyName)".tidied,
                address: row.address, organisation: row.organisation, state: state.label.capitalizedFirst,
                colour: state.tagColour)
        }
        let states =
            [Option(value: "", text: "Any status", selected: stateFilter == nil)]
            + AccountState.allCases.map {
                Option(value: $0.rawValue, text: $0.label.capitalizedFirst, selected: $0 == stateFilter)
            }
        return try await req.render(
            "accounts/list",
            req.chrome(
                "Accounts", breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)], errors: errors,
                notice: req.notice),
            ListPage(
                q: q, state: stateFilter?.rawValue ?? "", states: states, accounts: items, hasAccounts: !items.isEmpty,
                canCreate: principal.hasAny(.accountAdministrators), newURL: SiteURL.accountNew.path,
                joinersURL: SiteURL.joiners.path))
    }

    // MARK: add

    struct NewForm: Content {
        var firstName: String?
        var surname: String?
        var mobile: String?
        var organisation: String?
        var localPart: String?
        var method: String?
        var confirm: String?
        /// An approved application's invitation: the new account gets its role.
        var invitation: String?
    }

    struct NewPage: Encodable {
        let form: FormValues
        let organisations: [Option]
        let fieldErrors: [String: String]
        let domain: String
    }

    struct FormValues: Encodable {
        let firstName: String
        let surname: String
        let mobile: String
        let localPart: String
        let assisted: Bool
        let automated: Bool
        let invitation: String
    }

    /// The organisations a person may add accounts to, for the form's list.
    static func organisationOptions(_ req: Request, principal: Principal, selected: String?) async throws -> [Option] {
        let rows = try await AccountStore.organisations(addableBy: principal, on: req.sql)
        // One without an ODS code yet, such as a newly approved non-NHS organisation, is chosen by its id.
        return [Option(value: "", text: "Choose an organisation", selected: selected == nil)]
            + rows.map { row in
                let value = row.odsCode ?? row.id.uuidString.lowercased()
                return Option(
                    value: value, text: row.odsCode.map { "\(row.name) (\($0))" } ?? row.name,
                    selected: value == selected?.lowercased() || row.odsCode == selected)
            }
    }

    private func values(_ form: NewForm) -> FormValues {
        FormValues(
            firstName: form.firstName ?? "", surname: form.surname ?? "", mobile: form.mobile ?? "",
            localPart: form.localPart ?? "", assisted: form.method != "automated",
            automated: form.method == "automated",
            invitation: form.invitation ?? "")
    }

    func newPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        var form = NewForm()
        if let raw = try? req.query.get(String.self, at: "invitation"), let id = UUID(uuidString: raw),
            let invitation = try await Invitations.pending(id, for: principal, on: req.sql)
        {
            let parts = (invitation.name ?? "").split(separator: " ").map(String.init)
            form.firstName = parts.dropLast().joined(separator: " ")
            form.surname = parts.last
            form.organisation = invitation.odsCode ?? invitation.organisationID.uuidString.lowercased()
            form.mobile = invitation.mobile
            form.invitation = id.uuidString.lowercased()
        }
        return try await renderNew(req, principal: principal, form: form, errors: ValidationErrors())
    }

    private func renderNew(_ req: Request, principal: Principal, form: NewForm, errors: ValidationErrors) async throws
        -> Response
    {
        try await req.render(
            "accounts/new",
            req.chrome(
                "Add an account", breadcrumbs: [.init(text: "Accounts", href: SiteURL.accounts.path)], errors: errors),
            NewPage(
                form: values(form),
                organisations: try await Self.organisationOptions(
                    req, principal: principal, selected: form.organisation),
                fieldErrors: errors.byField, domain: req.settings.mailDomain))
    }

    static func request(from form: NewForm) -> AccountRequest {
        AccountRequest(
            givenName: form.firstName ?? "", familyName: form.surname ?? "", mobile: form.mobile ?? "",
            organisationODS: form.organisation ?? "", localPart: form.localPart,
            method: form.method == "automated" ? .automated : .assisted)
    }

    struct CheckPage: Encodable {
        let form: NewForm
        let name: String
        let address: String
        let displayName: String
        let mobile: String
        let organisation: String
        let method: String
        let suffixed: Bool
        let changeURL: String
    }

    /// Checks the answers: the first post shows the check page, the confirmed post creates the account.
    func create(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let form = try req.content.decode(NewForm.self)
        if form.confirm == "change" {
            return try await renderNew(req, principal: principal, form: form, errors: ValidationErrors())
        }
        let service = req.accountAdministration
        let checked: AccountRequest
        let organisation: ManagedOrganisation
        do {
            (checked, organisation) = try await service.check(Self.request(from: form), by: principal)
        } catch let errors as ValidationErrors {
            return try await renderNew(req, principal: principal, form: form, errors: errors)
        }
        if form.confirm != "yes" {
            // Shows the address this person would get now; the real reservation happens on confirming.
            let preview: AccountAdministration.Preview
            do {
                preview = try await service.preview(checked, organisation: organisation)
            } catch let errors as ValidationErrors {
                return try await renderNew(req, principal: principal, form: form, errors: errors)
            }
            return try await req.render(
                "accounts/check",
                req.chrome(
                    "Check the account details", breadcrumbs: [.init(text: "Accounts", href: SiteURL.accounts.path)]),
                CheckPage(
                    form: form, name: "\(checked.givenName) \(checked.familyName)".tidied,
                    address: preview.address,
                    displayName: AccountNaming.displayName(
                        givenName: checked.givenName, familyName: checked.familyName, organisation: organisation.name),
                    mobile: Identifiers.displayUKMobile(checked.mobile), organisation: organisation.name,
                    method: checked.method == .automated
                        ? "By text: the code and the temporary password go straight to their phone"
                        : "By phone call: you send the code and read out the temporary password",
                    suffixed: preview.suffixed, changeURL: SiteURL.accountNew.path))
        }
        do {
            let created = try await service.create(
                checked, organisation: organisation.id, by: principal,
                invitation: form.invitation.flatMap(UUID.init(uuidString:)))
            return req.seeOther(
                .account(created.id),
                notice: checked.method == .automated ? Notices.accountAddedAutomated : Notices.accountAddedAssisted)
        } catch let errors as ValidationErrors {
            return try await renderNew(req, principal: principal, form: form, errors: errors)
        }
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
