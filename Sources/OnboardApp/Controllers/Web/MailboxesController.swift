import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Shared mailbox pages: a list, a form to add one, and each mailbox's members.
struct MailboxesController {
    struct ListItem: Encodable {
        let href: String
        let address: String
        let name: String
        let organisation: String
    }

    struct ListPage: Encodable {
        let mailboxes: [ListItem]
        let hasMailboxes: Bool
        let canCreate: Bool
    }

    func list(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let rows = try await SharedMailboxes.visible(to: principal, on: req.sql)
        return try await req.render(
            "mailboxes/list",
            req.chrome(
                "Shared mailboxes", breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)], notice: req.notice),
            ListPage(
                mailboxes: rows.map {
                    ListItem(
                        href: SiteURL.mailbox($0.id).path, address: $0.address, name: $0.displayName,
                        organisation: $0.organisationName)
                }, hasMailboxes: !rows.isEmpty, canCreate: principal.hasAny(.accountAdministrators)))
    }

    struct NewForm: Content {
        var organisation: String?
        var localPart: String?
        var name: String?
        var owner: String?
    }

    struct NewPage: Encodable {
        let organisation: String
        let localPart: String
        let name: String
        let owner: String
        let organisations: [AccountsController.Option]
        let domain: String
        let fieldErrors: [String: String]
    }

    func newPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await renderNew(req, principal: principal, form: NewForm(), errors: ValidationErrors())
    }

    private func renderNew(_ req: Request, principal: Principal, form: NewForm, errors: ValidationErrors) async throws
        -> Response
    {
        try await req.render(
            "mailboxes/new",
            req.chrome(
                "Add a shared mailbox", breadcrumbs: [.init(text: "Shared mailboxes", href: SiteURL.mailboxes.path)],
                errors: errors),
            NewPage(
                organisation: form.organisation ?? "", localPart: form.localPart ?? "", name: form.name ?? "",
                owner: form.owner ?? "",
                organisations: try await AccountsController.organisationOptions(
                    req, principal: principal, selected: form.organisation),
                domain: req.settings.mailDomain, fieldErrors: errors.byField))
    }

    func create(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let form = try req.content.decode(NewForm.self)
        do {
            let id = try await Self.create(
                req, principal: principal, organisationODS: form.organisation ?? "", localPart: form.localPart ?? "",
                name: form.name ?? "", owner: form.owner ?? "")
            return req.seeOther(.mailbox(id), notice: Notices.mailboxAdded)
        } catch let errors as ValidationErrors {
            return try await renderNew(req, principal: principal, form: form, errors: errors)
        }
    }

    /// Shared by the page and the API: every problem at once, by field.
    static func create(
        _ req: Request, principal: Principal, organisationODS: String, localPart: String, name: String, owner: String
    ) async throws -> UUID {
        var errors = SharedMailboxRules.validate(localPart: localPart, name: name)
        let organisation = try await principal.managedOrganisation(ods: organisationODS, on: req.sql)?.id
        if organisation == nil { errors.add("organisation", "Choose an organisation you look after") }
        let ownerAccount =
            owner.tidied.isEmpty ? nil : try await SharedMailboxes.memberAccount(owner, on: req.sql)
        if ownerAccount == nil {
            errors.add(
                "owner",
                owner.tidied.isEmpty
                    ? "Enter the address of the person who will own the mailbox"
                    : "No current account has this address")
        }
        try errors.throwIfAny()
        guard let organisation, let ownerAccount else { throw errors }
        let settings = req.settings
        let context = req.auditContext
        let now = req.now
        let actor = principal.accountID
        return try await req.inTransaction { sql in
            try await SharedMailboxes.create(
                organisation: organisation, localPart: localPart, name: name, owner: ownerAccount, createdBy: actor,
                settings: settings, context: context, now: now, on: sql)
        }
    }

    struct MemberItem: Encodable {
        let name: String
        let address: String
        let organisation: String
        let rights: String
        let removeURL: String
    }

    struct ShowPage: Encodable {
        let address: String
        let name: String
        let organisation: String
        let listed: Bool
        let listingURL: String
        let members: [MemberItem]
        let addURL: String
        let form: MemberForm
        let fieldErrors: [String: String]
    }

    struct MemberForm: Content, Encodable {
        var address: String?
        var fullAccess: String?
        var sendAs: String?
        var owner: String?
    }

    func show(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await renderShow(req, principal: principal, form: MemberForm(), errors: ValidationErrors())
    }

    private func renderShow(_ req: Request, principal: Principal, form: MemberForm, errors: ValidationErrors)
        async throws -> Response
    {
        let mailbox = try await SharedMailboxes.managed(PathParameter.id.value(in: req), by: principal, on: req.sql)
        let members = try await SharedMailboxes.members(mailbox.id, on: req.sql).map { member in
            let rights = [
                member.owner ? "Owner" : nil, member.fullAccess ? "Full Access" : nil,
                member.sendAs ? "Send As" : nil,
            ].compactMap { $0 }.joined(separator: ", ")
            return MemberItem(
                name: "\(member.givenName) \(member.familyName)".tidied, address: member.address,
                organisation: member.organisationName, rights: rights,
                removeURL: SiteURL.mailboxMemberRemove(mailbox.id, member.accountID).path)
        }
        return try await req.render(
            "mailboxes/show",
            req.chrome(
                mailbox.displayName, breadcrumbs: [.init(text: "Shared mailboxes", href: SiteURL.mailboxes.path)],
                errors: errors, notice: req.notice),
            ShowPage(
                address: mailbox.address, name: mailbox.displayName, organisation: mailbox.organisationName,
                listed: !mailbox.hiddenFromDirectory, listingURL: SiteURL.mailboxListing(mailbox.id).path,
                members: members, addURL: SiteURL.mailboxMembers(mailbox.id).path, form: form,
                fieldErrors: errors.byField))
    }

    func addMember(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let mailbox = try await SharedMailboxes.managed(PathParameter.id.value(in: req), by: principal, on: req.sql)
        let form = try req.content.decode(MemberForm.self)
        let rights = SharedMailboxRules.Member(
            fullAccess: form.fullAccess == "yes", sendAs: form.sendAs == "yes", owner: form.owner == "yes")
        do {
            try await Self.setMember(req, mailbox: mailbox.id, address: form.address ?? "", rights: rights)
        } catch let errors as ValidationErrors {
            return try await renderShow(req, principal: principal, form: form, errors: errors)
        }
        return req.seeOther(.mailbox(mailbox.id), notice: Notices.memberSaved)
    }

    static func setMember(_ req: Request, mailbox: UUID, address: String, rights: SharedMailboxRules.Member)
        async throws
    {
        var errors = ValidationErrors()
        let account = address.tidied.isEmpty ? nil : try await SharedMailboxes.memberAccount(address, on: req.sql)
        if account == nil {
            errors.add(
                "address",
                address.tidied.isEmpty ? "Enter the member's email address" : "No current account has this address")
        }
        if let problem = SharedMailboxRules.problem(with: rights) { errors.add("rights", problem) }
        try errors.throwIfAny()
        guard let account else { return }
        let context = req.auditContext
        let now = req.now
        try await req.inTransaction { sql in
            try await SharedMailboxes.setMember(
                mailbox, account: account, rights: rights, context: context, now: now, on: sql)
        }
    }

    func removeMember(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let mailbox = try await SharedMailboxes.managed(PathParameter.id.value(in: req), by: principal, on: req.sql)
        guard let account = PathParameter.member.value(in: req) else { throw Abort(.notFound) }
        let context = req.auditContext
        let now = req.now
        do {
            try await req.inTransaction { sql in
                try await SharedMailboxes.removeMember(
                    mailbox.id, account: account, context: context, now: now, on: sql)
            }
        } catch let errors as ValidationErrors {
            return try await renderShow(req, principal: principal, form: MemberForm(), errors: errors)
        }
        return req.seeOther(.mailbox(mailbox.id), notice: Notices.memberRemoved)
    }

    struct ListingForm: Content {
        var listed: String?
    }

    struct ListingPage: Encodable {
        let name: String
        let address: String
        let listed: String
        let action: String
        let fieldErrors: [String: String]
    }

    func listingForm(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let mailbox = try await SharedMailboxes.managed(PathParameter.id.value(in: req), by: principal, on: req.sql)
        return try await renderListing(
            req, mailbox, answer: mailbox.hiddenFromDirectory ? "no" : "yes", errors: ValidationErrors())
    }

    func setListing(req: Request, principal: Principal) async throws -> Response {
        let mailbox = try await SharedMailboxes.managed(PathParameter.id.value(in: req), by: principal, on: req.sql)
        let answer = try req.content.decode(ListingForm.self).listed ?? ""
        guard answer == "yes" || answer == "no" else {
            var errors = ValidationErrors()
            errors.add("listed", "Select yes if people should find this mailbox in the directory")
            return try await renderListing(req, mailbox, answer: "", errors: errors)
        }
        let listed = answer == "yes"
        try await Self.setListed(req, mailbox: mailbox, listed: listed)
        return req.seeOther(.mailbox(mailbox.id), notice: listed ? Notices.mailboxListed : Notices.mailboxHidden)
    }

    /// Shared by the page and the API.
    static func setListed(_ req: Request, mailbox: MailboxRow, listed: Bool) async throws {
        let context = req.auditContext
        let now = req.now
        try await req.inTransaction { sql in
            try await SharedMailboxes.setListed(mailbox, listed: listed, context: context, now: now, on: sql)
        }
    }

    private func renderListing(_ req: Request, _ mailbox: MailboxRow, answer: String, errors: ValidationErrors)
        async throws -> Response
    {
        try await req.render(
            "mailboxes/listing",
            req.chrome(
                "Show this mailbox in the directory?",
                breadcrumbs: [
                    .init(text: "Shared mailboxes", href: SiteURL.mailboxes.path),
                    .init(text: mailbox.displayName, href: SiteURL.mailbox(mailbox.id).path),
                ], errors: errors),
            ListingPage(
                name: mailbox.displayName, address: mailbox.address, listed: answer,
                action: SiteURL.mailboxListing(mailbox.id).path, fieldErrors: errors.byField))
    }
}
