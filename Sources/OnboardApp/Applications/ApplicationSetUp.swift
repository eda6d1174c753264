import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// What an approval sets up, inside the decision's transaction, so that an approved application and what it
/// promised exist together or not at all (DOMAIN.md, "Joining"; docs/decisions.md, "Approval sets up").
enum ApplicationSetUp {
    struct Result: Sendable {
        var organisation: UUID
        var account: CreatedAccount?
        var mailbox: UUID?
    }

    /// A care home: an organisation under its commissioner, administered by the approving Local
    /// Administrator's organisation, with the toolkit status it gave; and the registered manager's account,
    /// once the toolkit is complete (before that, accounts cannot be added, and the home's LA adds them later).
    static func careHome(
        _ row: ApplicationRow, administeredBy: UUID?, activation: ActivationMethod, approver: UUID?,
        settings: Settings, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws -> Result {
        let answers = row.answerMap
        let ig: IGToolkitStatus = answers["igStatus"] == "completed" ? .completed : .notStarted
        let organisation = try await ApplicationService.createOrLinkOrganisation(
            for: row, type: .careHome, parent: row.commissionerID, administeredBy: administeredBy, igStatus: ig,
            now: now, context: context, on: sql)
        guard try await AccountStore.igRequirementMet(organisation, on: sql) else {
            return Result(organisation: organisation)
        }
        let manager = AccountNaming.split(fullName: answers["managerName"] ?? answers["applicantName"] ?? "")
        let account = try await createAccount(
            row, givenName: manager.givenName, familyName: manager.familyName, organisation: organisation,
            activation: activation, approver: approver, settings: settings, context: context, now: now, on: sql)
        return Result(organisation: organisation, account: account)
    }

    /// A community pharmacy: the premises (matched by ODS code, or made), its premises mailbox
    /// `pharmacy.<ods>@…`, and the pharmacist's account, activated by text on the mobile number they gave and
    /// owning that mailbox.
    static func communityPharmacy(
        _ row: ApplicationRow, approver: UUID?, settings: Settings, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws -> Result {
        let answers = row.answerMap
        // Meeting the pharmacy IG terms of service is the premises' toolkit requirement (DOMAIN.md).
        let ig: IGToolkitStatus = answers["meetsIGTerms"] == "yes" ? .completed : .notStarted
        let organisation = try await ApplicationService.createOrLinkOrganisation(
            for: row, type: .communityPharmacy, parent: nil, administeredBy: nil, igStatus: ig, now: now,
            context: context, on: sql)
        let person = AccountNaming.split(fullName: answers["applicantName"] ?? "")
        let account = try await createAccount(
            row, givenName: person.givenName, familyName: person.familyName, organisation: organisation,
            activation: .automated, approver: approver, settings: settings, context: context, now: now, on: sql)
        var mailbox: UUID?
        if let ods = answers["odsCode"], !ods.isEmpty,
            let owner = try await AccountStore.summary(account.id, on: sql)
        {
            mailbox = try await SharedMailboxes.create(
                organisation: organisation, localPart: SharedMailboxRules.premisesLocalPart(ods: ods),
                name: answers["premisesName"] ?? ods, owner: owner, createdBy: approver, settings: settings,
                context: context, now: now, on: sql)
        }
        return Result(organisation: organisation, account: account, mailbox: mailbox)
    }

    /// An optometrist or dentist, completed by the Local Administrator it was passed to: the practice (on
    /// record, or made and administered by that LA's organisation) and the applicant's account in it, from the
    /// answers the application already holds.
    static func practitioner(
        _ row: ApplicationRow, administeredBy: UUID?, activation: ActivationMethod, approver: UUID?,
        settings: Settings, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws -> Result {
        let answers = row.answerMap
        // A practice on record is found by its ODS code; one that is not is made for this LA to administer.
        let organisation = try await ApplicationService.createOrLinkOrganisation(
            for: row, type: row.applicationKind == .dentist ? .dentalPractice : .optometrist, parent: nil,
            administeredBy: row.assignedOrganisationID ?? administeredBy, now: now, context: context, on: sql)
        let person = AccountNaming.split(fullName: answers["applicantName"] ?? "")
        let account = try await createAccount(
            row, givenName: person.givenName, familyName: person.familyName, organisation: organisation,
            activation: activation, approver: approver, settings: settings, context: context, now: now, on: sql)
        return Result(organisation: organisation, account: account)
    }

    private static func createAccount(
        _ row: ApplicationRow, givenName: String, familyName: String, organisation: UUID,
        activation: ActivationMethod, approver: UUID?, settings: Settings, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws -> CreatedAccount {
        let answers = row.answerMap
        let request: AccountRequest
        do {
            request = try AccountRequest(
                givenName: givenName, familyName: familyName, mobile: answers["mobile"] ?? "", organisationODS: "-",
                localPart: nil, method: activation
            ).validated()
        } catch {
            // The form checked these answers; what fails here is a name that cannot become an address.
            throw AccountService.refuse(
                "action",
                "The account cannot be made from this application's name and mobile number. Ask the applicant "
                    + "for them and add the account from the organisation's page.")
        }
        return try await AccountService.create(
            request, organisation: organisation, createdBy: approver, settings: settings, context: context, now: now,
            on: sql)
    }
}

extension ApplicationSetUp {
    /// What the applicant reads on their tracking page once their application is complete: what exists now,
    /// and the next step, in plain words.
    static func summary(of row: ApplicationRow, settings: Settings, on sql: any SQLDatabase) async throws -> [String] {
        guard row.applicationState == .completed, row.createdOrganisationID != nil || row.createdAccountID != nil
        else { return [] }
        struct Names: Decodable {
            let organisation: String?
            let address: String?
            let activationMethod: String?
            let state: String?
        }
        let names = try await sql.raw(
            """
            SELECT o.name AS organisation, a.address, a.activation_method, a.state
            FROM applications p
            LEFT JOIN organisations o ON o.id = p.created_organisation_id
            LEFT JOIN accounts a ON a.id = p.created_account_id
            WHERE p.id = \(bind: row.id)
            """
        ).firstRow(Names.self)
        var lines: [String] = []
        let kind = row.applicationKind
        if let organisation = names?.organisation, kind.approvalSetsUp || kind.approvalCreatesOrganisation {
            lines.append("\(organisation) has joined the service.")
        }
        if let address = names?.address {
            // An organisation's first administrator may be someone other than the applicant.
            let invited = kind.approvalCreatesOrganisation
            let owner = invited ? "The first administrator's account" : "Your account"
            let byCall = names?.activationMethod == ActivationMethod.assisted.rawValue
            let nextStep: String? =
                switch (names?.state == AccountState.pendingActivation.rawValue, byCall, invited) {
                case (false, _, _): nil
                case (true, true, true): "The national team will phone them to activate it."
                case (true, true, false): "Your Local Administrator will phone you to activate it."
                case (true, false, true):
                    "A security code and a temporary password have been sent by text message to their mobile "
                        + "number: use them to activate it."
                case (true, false, false):
                    "A security code and a temporary password have been sent by text message to the mobile number "
                        + "you gave: use them to activate it."
                }
            lines.append("\(owner) is \(address)." + (nextStep.map { " " + $0 } ?? ""))
        } else if row.applicationKind == .careHome {
            lines.append(
                "Accounts are added once the home has completed the Data Security and Protection Toolkit. Your "
                    + "Local Administrator will add them then.")
        }
        if row.createdMailboxID != nil, let ods = row.answerMap["odsCode"] {
            lines.append(
                "The pharmacy's shared mailbox is \(SharedMailboxRules.premisesLocalPart(ods: ods))@\(settings.mailDomain). "
                    + "You own it, and can give your staff and locums access.")
        }
        return lines
    }
}
