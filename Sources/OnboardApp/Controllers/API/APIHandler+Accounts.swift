import Foundation
import OnboardDomain
import OpenAPIRuntime
import SQLKit
import Vapor

/// The account operations, scoped and audited exactly as the pages are.
extension APIHandler {
    func createAccount(_ input: Operations.CreateAccount.Input) async throws -> Operations.CreateAccount.Output {
        let (req, principal) = try context()
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        let request: AccountRequest
        do {
            request = try AccountRequest(
                givenName: body.firstName, familyName: body.surname, mobile: body.mobile,
                organisationODS: body.organisation, localPart: body.localPart,
                method: body.activation == .automated ? .automated : .assisted
            ).validated()
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        }
        guard let organisation = try await principal.managedOrganisation(ods: request.organisationODS, on: req.sql)?.id
        else {
            throw APIProblem(
                ValidationErrors([
                    FieldError(field: "organisation", message: "No organisation you administer has that ODS code")
                ]))
        }
        let settings = req.settings
        let context = req.auditContext
        let now = req.now
        let actor = principal.accountID
        do {
            let created = try await req.inTransaction { sql in
                try await AccountService.create(
                    request, organisation: organisation, createdBy: actor, settings: settings, context: context,
                    now: now, on: sql)
            }
            return .created(.init(body: .json(try await Self.account(created.id, on: req.sql))))
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        }
    }

    func getAccount(_ input: Operations.GetAccount.Input) async throws -> Operations.GetAccount.Output {
        let (req, principal) = try context()
        let account = try await Self.managed(input.path.id, req: req, principal: principal).0
        try await req.audit(AuditEntry("account.view", target: "account", id: account.id.uuidString), on: req.sql)
        return .ok(.init(body: .json(try await Self.account(account.id, on: req.sql))))
    }

    func updateAccount(_ input: Operations.UpdateAccount.Input) async throws -> Operations.UpdateAccount.Output {
        let (req, principal) = try context()
        let (account, allowed) = try await Self.managed(input.path.id, req: req, principal: principal)
        guard allowed.contains(.leaver) else {
            throw APIProblem(status: .forbidden, detail: "Your role does not allow changing this account.")
        }
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        let settings = req.settings
        let context = req.auditContext
        let now = req.now
        do {
            try await req.inTransaction { sql in
                try await AccountService.update(
                    account, firstName: body.firstName, surname: body.surname, mobile: body.mobile, settings: settings,
                    context: context, now: now, on: sql)
            }
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        }
        return .ok(.init(body: .json(try await Self.account(account.id, on: req.sql))))
    }

    func accountAction(_ input: Operations.AccountAction.Input) async throws -> Operations.AccountAction.Output {
        let (req, principal) = try context()
        let (account, allowed) = try await Self.managed(input.path.id, req: req, principal: principal)
        guard let action = AccountAction(rawValue: input.path.action.rawValue) else {
            throw APIProblem(status: .notFound, detail: "No such action.")
        }
        guard allowed.contains(action) else {
            throw APIProblem(status: .forbidden, detail: "Your role does not allow this for this account.")
        }
        let context = req.auditContext
        let now = req.now
        let actor = principal.accountID
        do {
            guard AccountActions.overAPI.contains(action) else {
                throw AccountService.refuse("action", "Not an API action")
            }
            try await req.inTransaction { sql in
                try await AccountActions.perform(
                    action, on: account, options: .init(), actor: actor, context: context, now: now, on: sql)
            }
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        }
        return .ok(.init(body: .json(try await Self.account(account.id, on: req.sql))))
    }

    func acceptJoiner(_ input: Operations.AcceptJoiner.Input) async throws -> Operations.AcceptJoiner.Output {
        let (req, principal) = try context()
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        // Leavers are outside every scope: only a recent leaver is found, and only to be accepted.
        guard let id = UUID(uuidString: input.path.id), let account = try await AccountStore.summary(id, on: req.sql),
            account.accountState == .leaver
        else { throw APIProblem(status: .notFound, detail: "No recent leaver has that id.") }
        guard let organisation = try await principal.managedOrganisation(ods: body.organisation, on: req.sql)?.id
        else {
            throw APIProblem(
                ValidationErrors([
                    FieldError(field: "organisation", message: "No organisation you administer has that ODS code")
                ]))
        }
        let context = req.auditContext
        let now = req.now
        let window = req.settings.lifecycle.joinerWindowDays
        do {
            try await req.inTransaction { sql in
                try await AccountService.acceptJoiner(
                    account, into: organisation, windowDays: window, context: context, now: now, on: sql)
            }
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        }
        return .ok(.init(body: .json(try await Self.account(account.id, on: req.sql))))
    }

    static func managed(_ raw: String, req: Request, principal: Principal) async throws
        -> (AccountSummary, Set<AccountAction>)
    {
        do {
            return try await req.managedAccount(UUID(uuidString: raw), for: principal)
        } catch let abort as Abort where abort.status == .notFound {
            throw APIProblem(status: .notFound, detail: "No account with that id is in your scope.")
        }
    }

    static func account(_ id: UUID, on sql: any SQLDatabase) async throws -> Components.Schemas.Account {
        guard let row = try await AccountStore.summary(id, on: sql) else {
            throw APIProblem(status: .notFound, detail: "No account with that id.")
        }
        struct Alias: Decodable { let address: String }
        let aliases = try await sql.raw(
            "SELECT address FROM address_reservations WHERE account_id = \(bind: id) AND kind = 'alias' ORDER BY reserved_at"
        ).rows(Alias.self).map(\.address)
        return .init(
            id: row.id.uuidString.lowercased(), address: row.address, displayName: row.displayName ?? "",
            status: .init(rawValue: row.state) ?? .disabled, organisation: row.odsCode ?? "",
            firstName: row.givenName, surname: row.familyName, mobile: row.mobile, aliases: aliases,
            secondFactor: row.totpEnrolledAt != nil, activation: row.activationMethod)
    }
}

extension AccountService {
    /// A name change (a new address, the old kept as an alias) and a mobile change (the old number is told,
    /// and resets by text wait a day).
    static func update(
        _ account: AccountSummary, firstName: String?, surname: String?, mobile: String?, settings: Settings,
        context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws {
        var errors = ValidationErrors()
        for problem in AccountNaming.nameProblems(
            givenName: firstName ?? account.givenName, familyName: surname ?? account.familyName)
        {
            errors.add(problem.field, problem.message)
        }
        let given = (firstName ?? account.givenName).tidied
        let family = (surname ?? account.familyName).tidied
        var newMobile: String?
        if let mobile {
            if let normalised = Identifiers.normaliseUKMobile(mobile) {
                newMobile = normalised
            } else {
                errors.add("mobile", "Enter a UK mobile number, like 07700 900123")
            }
        }
        let renamed = given != account.givenName || family != account.familyName
        var base: String?
        if renamed {
            base = AccountNaming.localPart(givenName: given, familyName: family)
            if base == nil { errors.add("firstName", "This name cannot be made into an address") }
        }
        try errors.throwIfAny()
        struct Person: Decodable {
            let personID: UUID
            let organisationName: String
        }
        guard
            let person = try await sql.raw(
                """
                SELECT a.person_id, o.name AS organisation_name FROM accounts a
                JOIN organisations o ON o.id = a.organisation_id WHERE a.id = \(bind: account.id)
                """
            ).firstRow(Person.self)
        else { throw Abort(.notFound) }
        if renamed, let base {
            let address = try await AccountStore.reserve(
                base: base, domain: settings.mailDomain, kind: "primary", now: now, on: sql)
            try await sql.raw(
                "UPDATE address_reservations SET kind = 'alias' WHERE address = \(bind: account.address)"
            ).run()
            try await sql.raw(
                "UPDATE address_reservations SET account_id = \(bind: account.id) WHERE address = \(bind: address)"
            ).run()
            try await sql.raw(
                """
                UPDATE people SET given_name = \(bind: given), family_name = \(bind: family) WHERE id = \(bind: person.personID)
                """
            ).run()
            try await sql.raw(
                """
                UPDATE accounts SET address = \(bind: address), updated_at = \(bind: now),
                    display_name = \(bind: AccountNaming.displayName(givenName: given, familyName: family, organisation: person.organisationName))
                WHERE id = \(bind: account.id)
                """
            ).run()
            try await AuditLog.record(
                AuditEntry(
                    "account.rename", target: "account", id: account.id.uuidString,
                    before: ["address": account.address], after: ["address": address]),
                context: context, at: now, on: sql)
        }
        if let newMobile, newMobile != account.mobile {
            try await sql.raw("UPDATE people SET mobile = \(bind: newMobile) WHERE id = \(bind: person.personID)")
                .run()
            try await sql.raw(
                "UPDATE accounts SET mobile_changed_at = \(bind: now) WHERE id = \(bind: account.id)"
            ).run()
            if let old = account.mobile {
                try await Outbox.enqueue(
                    .mobileChanged, to: old, fields: ["name": given], account: account.id, now: now, on: sql)
            }
            try await AuditLog.record(
                AuditEntry(
                    "account.mobile_changed", target: "account", id: account.id.uuidString,
                    before: ["mobile": account.mobile.map(masked) ?? ""], after: ["mobile": masked(newMobile)]),
                context: context, at: now, on: sql)
        }
    }
}
