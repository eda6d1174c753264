import FluentKit
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// What an administrator does to accounts, for the account pages and the API alike: check and create a new
/// account, run an action, confirm an activation code read back on the phone, and accept a joiner. Each change
/// runs in one transaction at the service's moment and under its audit context, and refuses with field errors.
/// Like `SignInService` it takes its context explicitly and renders nothing; the caller has checked that the
/// account is one the person manages (`Request.managedAccount`).
struct AccountAdministration: Sendable {
    let db: any Database
    let settings: Settings
    let secrets: SecretGenerator
    let now: Date
    let context: AuditContext

    private var sql: any SQLDatabase { db as! any SQLDatabase }

    // MARK: Adding an account

    /// The request checked, and the organisation it names, which must be one the person manages.
    func check(_ request: AccountRequest, by principal: Principal) async throws -> (
        AccountRequest, ManagedOrganisation
    ) {
        let checked = try request.validated()
        guard let organisation = try await principal.managedOrganisation(ods: checked.organisationODS, on: sql) else {
            throw ValidationErrors([FieldError(field: "organisation", message: "Choose an organisation you look after")]
            )
        }
        return (checked, organisation)
    }

    /// The address the account would get now, for the check page: nothing is reserved until it is created.
    struct Preview: Sendable {
        let address: String
        /// The name's address was taken, so a number was added.
        let suffixed: Bool
    }

    /// The address a checked request would get now. Refused when the organisation has not met its information
    /// governance requirement, which creating the account would refuse too.
    func preview(_ checked: AccountRequest, organisation: ManagedOrganisation) async throws -> Preview {
        let base =
            checked.localPart
            ?? AccountNaming.localPart(givenName: checked.givenName, familyName: checked.familyName) ?? ""
        let domain = settings.mailDomain
        let taken = try await AccountStore.taken(stems: [AccountNaming.stem(of: base)], on: sql)
        let local = AccountNaming.firstFree(base) { taken.contains("\($0)@\(domain)") }
        guard try await AccountStore.igRequirementMet(organisation.id, on: sql) else {
            throw AccountService.refuse(
                "organisation",
                "\(organisation.name) has not met its information governance requirement: the Data Security and "
                    + "Protection Toolkit must be completed, by the organisation or its headquarters, before accounts are added"
            )
        }
        return Preview(address: "\(local)@\(domain)", suffixed: local != base)
    }

    /// Creates the account; from an approved application's invitation (still pending and the person's to
    /// manage), the account also gets the invited role, in the same transaction.
    func create(_ checked: AccountRequest, organisation: UUID, by principal: Principal, invitation: UUID? = nil)
        async throws -> CreatedAccount
    {
        let invited =
            try await invitation.asyncMap { try await Invitations.pending($0, for: principal, on: sql) } ?? nil
        let (settings, context, now) = (settings, context, now)
        let accountID = principal.accountID
        let actorName = "\(principal.name) (\(principal.topRole.displayName))"
        return try await db.inTransaction { sql in
            let created = try await AccountService.create(
                checked, organisation: organisation, createdBy: accountID, settings: settings, context: context,
                now: now, on: sql)
            if let invited {
                try await Invitations.accept(
                    invited, account: created.id, by: accountID, actorName: actorName, context: context, now: now,
                    on: sql)
            }
            return created
        }
    }

    // MARK: Actions

    /// Runs one of the account's actions (`AccountActions.perform`) in its own transaction.
    func perform(
        _ action: AccountAction, on account: AccountSummary, options: AccountActions.Options = .init(), by actor: UUID
    ) async throws {
        let (context, now) = (context, now)
        try await db.inTransaction { sql in
            try await AccountActions.perform(
                action, on: account, options: options, actor: actor, context: context, now: now, on: sql)
        }
    }

    /// A new name (a new address, the old one kept as an alias) or a new mobile (the old number is told).
    func update(_ account: AccountSummary, firstName: String?, surname: String?, mobile: String?) async throws {
        let (settings, context, now) = (settings, context, now)
        try await db.inTransaction { sql in
            try await AccountService.update(
                account, firstName: firstName, surname: surname, mobile: mobile, settings: settings, context: context,
                now: now, on: sql)
        }
    }

    /// The activation code an administrator typed as the person read it back. When it matches, the account
    /// gets a temporary password, returned here once for the administrator to read out.
    func confirmActivationCode(_ normalised: String, account: UUID) async throws -> (SecurityCode.Verdict, String?) {
        let key = settings.sessionSecretForCodes
        let (secrets, context, now) = (secrets, context, now)
        return try await db.inTransaction { sql -> (SecurityCode.Verdict, String?) in
            let (verdict, _) = try await AccountService.checkCodeAudited(
                normalised, account: account, purpose: .activation, by: "administrator", key: key, context: context,
                now: now, on: sql)
            guard verdict == .accepted else { return (verdict, nil) }
            let password = try await AccountService.issueTemporaryPassword(
                account: account, secrets: secrets, key: key, context: context, now: now, on: sql)
            return (verdict, password)
        }
    }

    // MARK: Joiners

    /// The recent leaver with this exact address, if any.
    func recentLeaver(address: String) async throws -> AccountSummary? {
        guard let account = try await SignInService.account(forAddress: address, on: db) else { return nil }
        return try await recentLeaver(try account.requireID(), address: address)
    }

    /// The account with this id, when it is a recent leaver and `address` is theirs. Leavers are outside every
    /// scope, so the exact address the person gives is the only way in: any other id, or a leaver's id without
    /// their address, answers exactly as an id that does not exist.
    func recentLeaver(_ id: UUID, address: String) async throws -> AccountSummary? {
        guard let summary = try await AccountStore.summary(id, on: sql), summary.accountState == .leaver,
            summary.address == address, let left = summary.stateChangedAt,
            now.timeIntervalSince(left) < Double(settings.lifecycle.joinerWindowDays) * 86400
        else { return nil }
        return summary
    }

    /// Another organisation takes on a recent leaver: same address, new organisation.
    func acceptJoiner(_ account: AccountSummary, into organisation: UUID) async throws {
        let (window, context, now) = (settings.lifecycle.joinerWindowDays, context, now)
        try await db.inTransaction { sql in
            try await AccountService.acceptJoiner(
                account, into: organisation, windowDays: window, context: context, now: now, on: sql)
        }
    }
}

extension AccountStore {
    /// An open organisation a person may add accounts to, for a form's list.
    struct OrganisationChoice: Decodable, Sendable {
        let id: UUID
        let odsCode: String?
        let name: String
    }

    /// The open organisations whose accounts the person manages (not those they only help in), by name.
    static func organisations(addableBy principal: Principal, on sql: any SQLDatabase) async throws
        -> [OrganisationChoice]
    {
        let scope = principal.accountScope(includeHelpers: false)
        return try await sql.raw(
            """
            SELECT id, ods_code, name FROM organisations o
            WHERE closed_at IS NULL AND \(scope.contains(SQLColumn("id", table: "o")))
            ORDER BY name LIMIT 500
            """
        ).rows(OrganisationChoice.self)
    }

    /// The account's other addresses (its old names), oldest first.
    static func aliases(of account: UUID, on sql: any SQLDatabase) async throws -> [String] {
        struct Alias: Decodable { let address: String }
        return try await sql.raw(
            "SELECT address FROM address_reservations WHERE account_id = \(bind: account) AND kind = 'alias' ORDER BY reserved_at"
        ).rows(Alias.self).map(\.address)
    }

    /// The activation code still waiting to be used, if any; `issuedAt` is nil until it has been sent.
    struct LiveActivationCode: Decodable, Sendable {
        let issuedAt: Date?
    }

    static func liveActivationCode(of account: UUID, on sql: any SQLDatabase) async throws -> LiveActivationCode? {
        try await sql.raw(
            """
            SELECT issued_at FROM security_codes
            WHERE account_id = \(bind: account) AND purpose = 'activation' AND used_at IS NULL AND superseded_at IS NULL
            ORDER BY created_at DESC LIMIT 1
            """
        ).firstRow(LiveActivationCode.self)
    }
}

extension Request {
    /// The administrator's account changes, in this request's context.
    var accountAdministration: AccountAdministration {
        AccountAdministration(
            db: db, settings: settings, secrets: application.dependencies.secrets, now: now, context: auditContext)
    }
}
