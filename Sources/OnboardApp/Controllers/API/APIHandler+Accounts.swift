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
        do {
            let created = try await req.accountAdministration.create(request, organisation: organisation, by: principal)
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
        do {
            try await req.accountAdministration.update(
                account, firstName: body.firstName, surname: body.surname, mobile: body.mobile)
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
        do {
            guard AccountActions.overAPI.contains(action) else {
                throw AccountService.refuse("action", "Not an API action")
            }
            try await req.accountAdministration.perform(action, on: account, by: principal.accountID)
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
        do {
            try await req.accountAdministration.acceptJoiner(account, into: organisation)
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
        let aliases = try await AccountStore.aliases(of: id, on: sql)
        return .init(
            id: row.id.uuidString.lowercased(), address: row.address, displayName: row.displayName ?? "",
            status: .init(rawValue: row.state) ?? .disabled, organisation: row.odsCode ?? "",
            firstName: row.givenName, surname: row.familyName, mobile: row.mobile, aliases: aliases,
            secondFactor: row.totpEnrolledAt != nil, activation: row.activationMethod)
    }
}
