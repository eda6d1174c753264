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
        struct Row: Decodable {
            let id: UUID
            let odsCode: String?
            let name: String
        }
        let scope = principal.accountScope(includeHelpers: false)
        let rows = try await req.sql.raw(
            """
            SELECT id, ods_code, name FROM organisations o
            WHERE closed_at IS NULL AND \(scope.contains(SQLColumn("id", table: "o")))
            ORDER BY name LIMIT 500
            """
        ).rows(Row.self)
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
        let checked: AccountRequest
        let organisation: ManagedOrganisation
        do {
            checked = try Self.request(from: form).validated()
            guard let found = try await principal.managedOrganisation(ods: checked.organisationODS, on: req.sql)
            else {
                throw ValidationErrors([
                    FieldError(field: "organisation", message: "Choose an organisation you look after")
                ])
            }
            organisation = found
        } catch let errors as ValidationErrors {
            return try await renderNew(req, principal: principal, form: form, errors: errors)
        }
        let organisationID = organisation.id
        if form.confirm != "yes" {
            // Shows the address this person would get now; the real reservation happens on confirming.
            let base =
                checked.localPart
                ?? AccountNaming.localPart(givenName: checked.givenName, familyName: checked.familyName) ?? ""
            let domain = req.settings.mailDomain
            let taken = try await AccountStore.taken(stems: [AccountNaming.stem(of: base)], on: req.sql)
            let local = AccountNaming.firstFree(base) { taken.contains("\($0)@\(domain)") }
            var igProblem = ValidationErrors()
            if !(try await AccountStore.igRequirementMet(organisationID, on: req.sql)) {
                igProblem.add(
                    "organisation",
                    "\(organisation.name) has not met its information governance requirement: the Data Security and "
                        + "Protection Toolkit must be completed, by the organisation or its headquarters, before accounts are added"
                )
                return try await renderNew(req, principal: principal, form: form, errors: igProblem)
            }
            return try await req.render(
                "accounts/check",
                req.chrome(
                    "Check the account details", breadcrumbs: [.init(text: "Accounts", href: SiteURL.accounts.path)]),
                CheckPage(
                    form: form, name: "\(checked.givenName) \(checked.familyName)".tidied,
                    address: "\(local)@\(domain)",
                    displayName: AccountNaming.displayName(
                        givenName: checked.givenName, familyName: checked.familyName, organisation: organisation.name),
                    mobile: Identifiers.displayUKMobile(checked.mobile), organisation: organisation.name,
                    method: checked.method == .automated
                        ? "By text: the code and the temporary password go straight to their phone"
                        : "By phone call: you send the code and read out the temporary password",
                    suffixed: local != base, changeURL: SiteURL.accountNew.path))
        }
        let settings = req.settings
        let context = req.auditContext
        let now = req.now
        let accountID = principal.accountID
        let actorName = "\(principal.name) (\(principal.topRole.displayName))"
        var invitation: Invitations.Pending?
        if let raw = form.invitation, let id = UUID(uuidString: raw) {
            invitation = try await Invitations.pending(id, for: principal, on: req.sql)
        }
        let invited = invitation
        do {
            let created = try await req.inTransaction { sql in
                let created = try await AccountService.create(
                    checked, organisation: organisationID, createdBy: accountID, settings: settings, context: context,
                    now: now, on: sql)
                if let invited {
                    try await Invitations.accept(
                        invited, account: created.id, by: accountID, actorName: actorName, context: context, now: now,
                        on: sql)
                }
                return created
            }
            return req.seeOther(
                .account(created.id),
                notice: checked.method == .automated ? Notices.accountAddedAutomated : Notices.accountAddedAssisted)
        } catch let errors as ValidationErrors {
            return try await renderNew(req, principal: principal, form: form, errors: errors)
        }
    }

    // MARK: one account

    struct ShowPage: Encodable {
        let id: UUID
        let name: String
        let address: String
        let displayName: String
        let organisation: String
        let mobile: String
        let state: String
        let colour: String
        let activation: String
        let secondFactor: String
        let lastSignIn: String
        let lockedUntil: String?
        let aliases: [String]
        let hasAliases: Bool
        let actions: [ActionButton]
        let codeSent: Bool
        /// Activated by text: the person uses the texted code and temporary password themselves.
        let texted: Bool
        let confirmURL: String
        let rolesURL: String
        let fieldErrors: [String: String]
        let isPending: Bool
        let canSendCode: Bool
        let sendCodeURL: String
        /// The application the account was set up from, when the viewer may see it.
        let application: Link?
        /// Texts and emails sent to the person, and whether each was delivered.
        let messages: [MessageHistory.Item]
        let mailbox: MailboxFacts?
    }

    struct Link: Encodable {
        let text: String
        let url: String
    }

    struct ActionButton: Encodable {
        let url: String
        let text: String
        let hint: String
        let warning: Bool
    }

    func show(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let page = try await renderShow(req, principal: principal, errors: ValidationErrors())
        // Reached only after the scope check inside: a refused id is never recorded as viewed.
        if let id = PathParameter.id.value(in: req) {
            try await req.audit(AuditEntry("account.view", target: "account", id: id.uuidString), on: req.sql)
        }
        return page
    }

    /// The application an approval or a completion made this account from, if the viewer's scope holds it.
    private func joinedThrough(_ account: UUID, req: Request, principal: Principal) async throws -> Link? {
        guard
            let row = try? await ApplicationStore.scoped(
                "a.created_account_id = \(bind: account)", for: principal, on: req.sql)
        else { return nil }
        return Link(text: row.reference, url: SiteURL.application(row.id).path)
    }

    private func renderShow(_ req: Request, principal: Principal, errors: ValidationErrors) async throws -> Response {
        let (account, allowed) = try await req.managedAccount(PathParameter.id.value(in: req), for: principal)
        let state = account.accountState
        struct Alias: Decodable { let address: String }
        let aliases = try await req.sql.raw(
            "SELECT address FROM address_reservations WHERE account_id = \(bind: account.id) AND kind = 'alias' ORDER BY reserved_at"
        ).rows(Alias.self).map(\.address)
        struct Live: Decodable { let issuedAt: Date? }
        let liveCode = try await req.sql.raw(
            """
            SELECT issued_at FROM security_codes
            WHERE account_id = \(bind: account.id) AND purpose = 'activation' AND used_at IS NULL AND superseded_at IS NULL
            ORDER BY created_at DESC LIMIT 1
            """
        ).firstRow(Live.self)
        let now = req.now
        let locked = account.lockedUntil.map { $0 > now } ?? false
        var actions: [ActionButton] = []
        func add(_ action: AccountAction, _ text: String, _ hint: String, warning: Bool = false) {
            if allowed.contains(action) {
                actions.append(
                    ActionButton(
                        url: SiteURL.accountAction(account.id, action).path, text: text, hint: hint, warning: warning))
            }
        }
        switch state {
        case .active, .locked, .inactive:
            if locked || state == .locked { add(.unlock, "Unlock", "Lets them try their password again now.") }
            add(.reset, "Reset password", "Sends a new temporary password to their mobile. You will not see it.")
            if account.totpEnrolledAt != nil {
                add(
                    .resetAuthenticator, "Reset authenticator",
                    "For a lost phone: they set up a new one at next sign-in.")
            }
            add(.disable, "Disable", "For long leave: they cannot sign in until enabled.")
            add(
                .leaver, "Mark as leaver", "Removes their roles, mailbox access, sessions and API tokens.",
                warning: true)
        case .expired:
            add(.reissue, "Re-issue", "Starts activation again with a new code and temporary password.")
        case .disabled:
            add(.enable, "Enable", "Lets them sign in again.")
            add(
                .leaver, "Mark as leaver", "Removes their roles, mailbox access, sessions and API tokens.",
                warning: true)
        case .deleted:
            if let deleted = account.stateChangedAt, now.timeIntervalSince(deleted) < AccountLifecycle.restoreWindow {
                add(.restore, "Restore", "Brings the account back, inactive, with its address. Possible for 30 days.")
            }
        case .pendingActivation, .leaver:
            break
        }
        let roles = try await PrincipalLoader.roles(of: account.id, on: req.sql)
        if allowed.contains(.adminRights), state == .active || state == .inactive,
            roles.max() ?? .user <= .organisationAdmin
        {
            let has = roles.contains(.organisationAdmin)
            actions.append(
                ActionButton(
                    url: SiteURL.accountAction(account.id, .adminRights).path + (has ? "?grant=no" : "?grant=yes"),
                    text: has ? "Remove admin rights" : "Give admin rights",
                    hint:
                        "Admin rights let them unlock and reset accounts in \(account.organisationName), and nothing else.",
                    warning: false))
        }
        let activation: String
        // Automated activation texts the code and the temporary password at once; nobody phones.
        let texted = account.activationMethod == ActivationMethod.automated.rawValue
        switch state {
        case .pendingActivation:
            if account.tempPasswordExpiresAt != nil {
                activation =
                    "Temporary password issued; it expires on \(Format.dateTime(account.tempPasswordExpiresAt!))"
            } else if liveCode?.issuedAt != nil {
                activation = "Security code sent \(Format.dateTime(liveCode!.issuedAt!))"
            } else if liveCode != nil, texted {
                activation = "Being texted to them: a security code and a temporary password"
            } else if liveCode != nil {
                activation = "Security code waiting to be sent"
            } else {
                activation = "Not started"
            }
        case .expired: activation = "The temporary password expired before first sign-in"
        default: activation = "Activated"
        }
        return try await req.render(
            "accounts/show",
            req.chrome(
                "\(account.givenName) \(account.familyName)".tidied,
                breadcrumbs: [.init(text: "Accounts", href: SiteURL.accounts.path)], errors: errors, notice: req.notice),
            ShowPage(
                id: account.id, name: "\(account.givenName) \(account.familyName)".tidied, address: account.address,
                displayName: account.displayName ?? "", organisation: account.organisationName,
                mobile: account.mobile.map(Identifiers.displayUKMobile) ?? "Not given",
                state: state.label.capitalizedFirst, colour: state.tagColour, activation: activation,
                secondFactor: account.totpEnrolledAt != nil ? "Authenticator app added" : "None",
                lastSignIn: account.lastSignInAt.map(Format.dateTime) ?? "Never",
                lockedUntil: locked ? account.lockedUntil.map(Format.dateTime) : nil,
                aliases: aliases, hasAliases: !aliases.isEmpty, actions: actions,
                codeSent: state == .pendingActivation && liveCode != nil && account.tempPasswordExpiresAt == nil
                    && !texted,
                texted: state == .pendingActivation && texted && liveCode != nil,
                confirmURL: SiteURL.accountAction(account.id, .confirmCode).path,
                rolesURL: SiteURL.person(account.id).path, fieldErrors: errors.byField,
                isPending: state == .pendingActivation,
                canSendCode: state == .pendingActivation && allowed.contains(.sendCode),
                sendCodeURL: SiteURL.accountAction(account.id, .sendCode).path,
                application: try await joinedThrough(account.id, req: req, principal: principal),
                messages: try await MessageHistory.recent(for: account.id, on: req.sql),
                mailbox: try await MailboxFacts.load(account.id, app: req.application, now: now)))
    }

    struct ActionForm: Content {
        var method: String?
        var code: String?
        var confirm: String?
    }

    struct ConfirmPage: Encodable {
        let name: String
        let address: String
        let organisation: String
        let actionURL: String
        let accountURL: String
    }

    /// One action from the account page. Each answers with the account page and a notice, or its errors.
    func act(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        guard let action = PathParameter.action.value(in: req).flatMap(AccountAction.init(rawValue:)) else {
            throw Abort(.notFound)
        }
        let (account, allowed) = try await req.managedAccount(PathParameter.id.value(in: req), for: principal)
        guard allowed.contains(action) else {
            throw Abort(.forbidden, reason: "Your role does not allow this for this account.")
        }
        let form = try req.content.decode(ActionForm.self)
        let context = req.auditContext
        let now = req.now
        if action == .confirmCode {
            return try await confirmCode(req, principal: principal, account: account, typed: form.code ?? "")
        }
        if action == .leaver, form.confirm != "yes" {
            // Leaving takes away everything at once: a page to confirm it, with what it does.
            return try await req.render(
                "accounts/confirm-leaver",
                req.chrome(
                    "Mark \(account.givenName) \(account.familyName) as a leaver".replacingOccurrences(
                        of: "  ", with: " "),
                    backLink: SiteURL.account(account.id).path),
                ConfirmPage(
                    name: "\(account.givenName) \(account.familyName)".tidied, address: account.address,
                    organisation: account.organisationName, actionURL: SiteURL.accountAction(account.id, .leaver).path,
                    accountURL: SiteURL.account(account.id).path))
        }
        let grant = (try? req.query.get(String.self, at: "grant")) == "yes"
        let actor = principal.accountID
        do {
            try await req.inTransaction { sql in
                try await AccountActions.perform(
                    action, on: account, options: .init(automated: form.method == "automated", grant: grant),
                    actor: actor, context: context, now: now, on: sql)
            }
        } catch let errors as ValidationErrors {
            return try await renderShow(req, principal: principal, errors: errors)
        }
        let notice: String =
            switch action {
            case .sendCode: form.method == "automated" ? Notices.codesByText : Notices.codeSent
            case .unlock: Notices.unlocked
            case .reset: Notices.passwordReset
            case .leaver: Notices.leaver
            case .disable: Notices.disabled
            case .enable: Notices.enabled
            case .reissue: Notices.reissued
            case .resetAuthenticator: Notices.authenticatorReset
            case .adminRights: grant ? Notices.adminRightsGiven : Notices.adminRightsRemoved
            case .restore: Notices.restored
            case .confirmCode: ""
            }
        return req.seeOther(.account(account.id), notice: notice)
    }

    struct RevealPage: Encodable {
        let name: String
        let address: String
        let password: String
        let accountURL: String
    }

    /// The code matched: the username and a temporary password, on this response only.
    private func confirmCode(_ req: Request, principal: Principal, account: AccountSummary, typed: String) async throws
        -> Response
    {
        let key = req.settings.sessionSecretForCodes
        let secrets = req.application.dependencies.secrets
        let context = req.auditContext
        let now = req.now
        let normalised = SecurityCode.normalise(typed)
        guard !normalised.isEmpty else {
            return try await renderShow(
                req, principal: principal,
                errors: AccountService.refuse("code", "Enter the security code the person reads back to you"))
        }
        let outcome = try await req.inTransaction { sql -> (SecurityCode.Verdict, String?) in
            let (verdict, _) = try await AccountService.checkCodeAudited(
                normalised, account: account.id, purpose: .activation, by: "administrator", key: key, context: context,
                now: now, on: sql)
            guard verdict == .accepted else { return (verdict, nil) }
            let password = try await AccountService.issueTemporaryPassword(
                account: account.id, secrets: secrets, key: key, context: context, now: now, on: sql)
            return (verdict, password)
        }
        guard let password = outcome.1 else {
            return try await renderShow(
                req, principal: principal, errors: AccountService.refuse("code", AccountService.message(for: outcome.0))
            )
        }
        let response = try await req.render(
            "accounts/reveal",
            req.chrome(
                "Read out the sign-in details", breadcrumbs: [.init(text: "Accounts", href: SiteURL.accounts.path)]),
            RevealPage(
                name: account.givenName, address: account.address, password: password,
                accountURL: SiteURL.account(account.id).path))
        // Never kept by a browser or proxy: the page cannot be shown twice.
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // MARK: joiners

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
        } else if let account = try await SignInService.account(forAddress: address, on: req.db),
            let summary = try await recentLeaver(try account.requireID(), address: address, req: req),
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

    /// The account with this id, when it is a recent leaver and `address` is theirs. Leavers are outside every
    /// scope, so the exact address the person gives is the only way in: any other id, or a leaver's id without
    /// their address, answers exactly as an id that does not exist.
    private func recentLeaver(_ id: UUID, address: String, req: Request) async throws -> AccountSummary? {
        guard let summary = try await AccountStore.summary(id, on: req.sql), summary.accountState == .leaver,
            summary.address == address, let left = summary.stateChangedAt,
            req.now.timeIntervalSince(left) < Double(req.settings.lifecycle.joinerWindowDays) * 86400
        else { return nil }
        return summary
    }

    func acceptJoiner(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let form = try req.content.decode(JoinerForm.self)
        guard let id = PathParameter.id.value(in: req),
            let account = try await recentLeaver(
                id, address: Identifiers.normaliseEmail(form.address ?? ""), req: req)
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
        let context = req.auditContext
        let now = req.now
        let window = req.settings.lifecycle.joinerWindowDays
        do {
            try await req.inTransaction { sql in
                try await AccountService.acceptJoiner(
                    account, into: organisationID, windowDays: window, context: context, now: now, on: sql)
            }
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

struct ManagedOrganisation: Decodable, Sendable {
    let id: UUID
    let name: String
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
