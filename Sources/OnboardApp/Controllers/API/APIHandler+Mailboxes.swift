import Foundation
import OnboardDomain
import OpenAPIRuntime
import SQLKit
import Vapor

/// Shared mailbox operations: the same rules and scope as the pages.
extension APIHandler {
    func createMailbox(_ input: Operations.CreateMailbox.Input) async throws -> Operations.CreateMailbox.Output {
        let (req, principal) = try context()
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        do {
            let id = try await MailboxesController.create(
                req, principal: principal, organisationODS: body.organisation, localPart: body.localPart,
                name: body.name, owner: body.owner)
            return .created(.init(body: .json(try await Self.mailbox(id, on: req.sql))))
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        }
    }

    func getMailbox(_ input: Operations.GetMailbox.Input) async throws -> Operations.GetMailbox.Output {
        let (req, principal) = try context()
        let mailbox = try await Self.managedMailbox(input.path.id, req: req, principal: principal)
        return .ok(.init(body: .json(try await Self.mailbox(mailbox.id, on: req.sql))))
    }

    func updateMailbox(_ input: Operations.UpdateMailbox.Input) async throws -> Operations.UpdateMailbox.Output {
        let (req, principal) = try context()
        let mailbox = try await Self.managedMailbox(input.path.id, req: req, principal: principal)
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        try await MailboxesController.setListed(req, mailbox: mailbox, listed: body.listedInDirectory)
        return .ok(.init(body: .json(try await Self.mailbox(mailbox.id, on: req.sql))))
    }

    func setMailboxMember(_ input: Operations.SetMailboxMember.Input) async throws
        -> Operations.SetMailboxMember.Output
    {
        let (req, principal) = try context()
        let mailbox = try await Self.managedMailbox(input.path.id, req: req, principal: principal)
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        do {
            try await MailboxesController.setMember(
                req, mailbox: mailbox.id, address: body.address,
                rights: .init(
                    fullAccess: body.fullAccess ?? true, sendAs: body.sendAs ?? false, owner: body.owner ?? false))
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        }
        return .ok(.init(body: .json(try await Self.mailbox(mailbox.id, on: req.sql))))
    }

    func removeMailboxMember(_ input: Operations.RemoveMailboxMember.Input) async throws
        -> Operations.RemoveMailboxMember.Output
    {
        let (req, principal) = try context()
        let mailbox = try await Self.managedMailbox(input.path.id, req: req, principal: principal)
        guard let account = UUID(uuidString: input.path.account) else {
            throw APIProblem(status: .notFound, detail: "That account is not a member.")
        }
        let context = req.auditContext
        let now = req.now
        do {
            try await req.inTransaction { sql in
                try await SharedMailboxes.removeMember(
                    mailbox.id, account: account, context: context, now: now, on: sql)
            }
        } catch let errors as ValidationErrors {
            throw APIProblem(errors)
        } catch let abort as Abort where abort.status == .notFound {
            throw APIProblem(status: .notFound, detail: "That account is not a member.")
        }
        return .ok(.init(body: .json(try await Self.mailbox(mailbox.id, on: req.sql))))
    }

    static func managedMailbox(_ raw: String, req: Request, principal: Principal) async throws -> MailboxRow {
        do {
            return try await SharedMailboxes.managed(UUID(uuidString: raw), by: principal, on: req.sql)
        } catch let abort as Abort where abort.status == .notFound {
            throw APIProblem(status: .notFound, detail: "No shared mailbox with that id is yours to manage.")
        }
    }

    static func mailbox(_ id: UUID, on sql: any SQLDatabase) async throws -> Components.Schemas.Mailbox {
        guard let row = try await SharedMailboxes.load(id, on: sql) else {
            throw APIProblem(status: .notFound, detail: "No shared mailbox with that id.")
        }
        let members = try await SharedMailboxes.members(id, on: sql).map {
            Components.Schemas.Mailbox.MembersPayloadPayload(
                account: $0.accountID.uuidString.lowercased(), address: $0.address,
                name: "\($0.givenName) \($0.familyName)".tidied, fullAccess: $0.fullAccess, sendAs: $0.sendAs,
                owner: $0.owner)
        }
        return .init(
            id: row.id.uuidString.lowercased(), address: row.address, displayName: row.displayName,
            organisation: row.odsCode ?? "", listedInDirectory: !row.hiddenFromDirectory, members: members)
    }
}
