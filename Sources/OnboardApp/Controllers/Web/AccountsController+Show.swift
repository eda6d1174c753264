import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// One account's page: its state, activation and actions, each action run from it, and the activation code
/// confirmed with the person on the phone.
extension AccountsController {
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
        let directory: DirectorySection?
    }

    /// What the directory shows of the person, and where an administrator who runs the account changes it.
    struct DirectorySection: Encodable {
        let jobTitle: String
        let department: String
        let workPhone: String
        let changeURL: String?
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

    /// The account page's button for an action it offers (`AccountActions.offered`).
    private static func button(_ action: AccountAction, for account: AccountSummary, hasAdminRights has: Bool)
        -> ActionButton?
    {
        let url = SiteURL.accountAction(account.id, action).path
        func button(_ text: String, _ hint: String, warning: Bool = false) -> ActionButton {
            ActionButton(url: url, text: text, hint: hint, warning: warning)
        }
        switch action {
        case .unlock: return button("Unlock", "Lets them try their password again now.")
        case .reset:
            return button("Reset password", "Sends a new temporary password to their mobile. You will not see it.")
        case .resetAuthenticator:
            return button("Reset authenticator", "For a lost phone: they set up a new one at next sign-in.")
        case .disable: return button("Disable", "For long leave: they cannot sign in until enabled.")
        case .leaver:
            return button(
                "Mark as leaver", "Removes their roles, mailbox access, sessions and API tokens.", warning: true)
        case .reissue: return button("Re-issue", "Starts activation again with a new code and temporary password.")
        case .enable: return button("Enable", "Lets them sign in again.")
        case .restore:
            return button("Restore", "Brings the account back, inactive, with its address. Possible for 30 days.")
        case .adminRights:
            return ActionButton(
                url: url + (has ? "?grant=no" : "?grant=yes"), text: has ? "Remove admin rights" : "Give admin rights",
                hint:
                    "Admin rights let them unlock and reset accounts in \(account.organisationName), and nothing else.",
                warning: false)
        case .sendCode, .confirmCode:
            // Offered by the activation panel, not as buttons.
            return nil
        }
    }

    private func renderShow(_ req: Request, principal: Principal, errors: ValidationErrors) async throws -> Response {
        let managed = try await req.managedAccountInFull(PathParameter.id.value(in: req), for: principal)
        let (account, allowed, roles) = (managed.account, managed.allowed, managed.roles)
        let state = account.accountState
        let aliases = try await AccountStore.aliases(of: account.id, on: req.sql)
        let liveCode = try await AccountStore.liveActivationCode(of: account.id, on: req.sql)
        let now = req.now
        let locked = account.lockedUntil.map { $0 > now } ?? false
        let actions = AccountActions.offered(for: account, allowed: allowed, roles: roles, now: now).compactMap {
            Self.button($0, for: account, hasAdminRights: roles.contains(.organisationAdmin))
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
                mailbox: try await MailboxFacts.load(account.id, app: req.application, now: now),
                directory: directorySection(
                    account, runs: managed.inFullScope && principal.hasAny(.accountAdministrators))))
    }

    private func directorySection(_ account: AccountSummary, runs: Bool) -> DirectorySection {
        let shown = DirectoryDetails(
            stored: account.jobTitle, department: account.department, workPhone: account.workPhone)
        return DirectorySection(
            jobTitle: shown.jobTitle.isEmpty ? "Not given" : shown.jobTitle,
            department: shown.department.isEmpty ? "Not given" : shown.department,
            workPhone: shown.workPhone.isEmpty ? "Not given" : shown.workPhone,
            changeURL: runs ? SiteURL.accountDirectoryDetails(account.id).path : nil)
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
        do {
            try await req.accountAdministration.perform(
                action, on: account, options: .init(automated: form.method == "automated", grant: grant),
                by: principal.accountID)
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
        let normalised = SecurityCode.normalise(typed)
        guard !normalised.isEmpty else {
            return try await renderShow(
                req, principal: principal,
                errors: AccountService.refuse("code", "Enter the security code the person reads back to you"))
        }
        let outcome = try await req.accountAdministration.confirmActivationCode(normalised, account: account.id)
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
}
