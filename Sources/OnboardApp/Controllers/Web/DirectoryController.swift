import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The national directory for every signed-in person: search, one entry, and directory details.
struct DirectoryController {
    struct SearchPage: Encodable {
        let q: String
        let kinds: [KindOption]
        let kindLabel: String
        let organisation: Scoped?
        let searched: Bool
        let entries: [DirectorySearch.Entry]
        let summary: String?
        let overflow: String?
        let previous: String?
        let next: String?
        let pageLabel: String?
    }

    struct KindOption: Encodable {
        let value: String
        let label: String
        let checked: Bool
    }

    struct Scoped: Encodable {
        let id: UUID
        let name: String
        let href: String
    }

    func search(req: Request, principal: Principal) async throws -> Response {
        let q = ((try? req.query.get(String.self, at: "q")) ?? "").tidied
        let kind = ((try? req.query.get(String.self, at: "kind")).flatMap(DirectoryKind.init(rawValue:))) ?? .people
        let page = (try? req.query.get(Int.self, at: "page")) ?? 1
        let organisationID = (try? req.query.get(String.self, at: "organisation")).flatMap(UUID.init(uuidString:))
        var scoped: Scoped?
        if let organisationID,
            let entry = try await DirectorySearch.entry(organisationID, kind: .organisations, on: req.sql)
        {
            scoped = Scoped(
                id: organisationID, name: entry.name, href: SiteURL.directoryOrganisation(organisationID).path)
        }
        let search = DirectorySearch(text: q, kind: kind, organisation: scoped?.id, page: page)
        let started = !q.isEmpty || scoped != nil
        let errors = started ? search.problems() : ValidationErrors()
        var found: DirectorySearch.Page?
        if started && errors.isEmpty {
            switch try await search.run(on: req.sql) {
            case .entry(let kind, let id): return req.redirect(to: Self.entryURL(kind, id).path, redirectType: .normal)
            case .results(let results): found = results
            }
        }
        let results = found
        func link(_ n: Int) -> String {
            var items = [
                URLQueryItem(name: "kind", value: kind.rawValue), URLQueryItem(name: "page", value: String(n)),
            ]
            if !q.isEmpty { items.insert(URLQueryItem(name: "q", value: q), at: 0) }
            if let scoped { items.append(URLQueryItem(name: "organisation", value: scoped.id.uuidString)) }
            var components = URLComponents()
            components.path = SiteURL.directory.path
            components.queryItems = items
            return components.string ?? SiteURL.directory.path
        }
        let title = scoped.map { "\(kind.label) at \($0.name)" } ?? "Directory"
        return try await req.render(
            "directory/search",
            req.chrome(
                title, breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)], errors: errors),
            SearchPage(
                q: q,
                kinds: DirectoryKind.allCases.map {
                    KindOption(value: $0.rawValue, label: $0.label, checked: $0 == kind)
                }, kindLabel: kind.label.lowercased(), organisation: scoped, searched: results != nil,
                entries: results?.entries ?? [],
                summary: results.map { Self.summary($0, kind: kind) },
                overflow: results.flatMap {
                    $0.overflow
                        ? "More than \(DirectorySearch.bound) match. Only the first \(DirectorySearch.bound) are shown: add more of the name, or another word, to narrow the search."
                        : nil
                },
                previous: results.flatMap { $0.page > 1 ? link($0.page - 1) : nil },
                next: results.flatMap { $0.page < $0.pages ? link($0.page + 1) : nil },
                pageLabel: results.flatMap { $0.pages > 1 ? "Page \($0.page) of \($0.pages)" : nil }))
    }

    static func summary(_ page: DirectorySearch.Page, kind: DirectoryKind) -> String {
        let noun: (String, String) =
            switch kind {
            case .people: ("person", "people")
            case .organisations: ("organisation", "organisations")
            case .shared: ("shared mailbox", "shared mailboxes")
            }
        if page.matched == 0 { return "No \(noun.1) match your search." }
        if page.overflow { return "More than \(DirectorySearch.bound) \(noun.1) match." }
        return page.matched == 1 ? "1 \(noun.0) matches." : "\(page.matched) \(noun.1) match."
    }

    static func entryURL(_ kind: DirectoryKind, _ id: UUID) -> SiteURL {
        switch kind {
        case .people: .directoryPerson(id)
        case .organisations: .directoryOrganisation(id)
        case .shared: .directorySharedMailbox(id)
        }
    }

    // MARK: - Entries

    struct EntryPage: Encodable {
        let entry: DirectorySearch.Entry
        let organisationHref: String?
        let contacts: [Contact]
        let hasContacts: Bool
        let contactsFrom: String?
        let helpdesk: String?
        let peopleHref: String?
        let sharedHref: String?
        let exportHref: String?
        let editHref: String?
    }

    struct Contact: Encodable {
        let name: String
        let address: String
        let workPhone: String?
    }

    func person(req: Request, principal: Principal) async throws -> Response {
        try await entry(req, principal, kind: .people)
    }

    func organisation(req: Request, principal: Principal) async throws -> Response {
        try await entry(req, principal, kind: .organisations)
    }

    func sharedMailbox(req: Request, principal: Principal) async throws -> Response {
        try await entry(req, principal, kind: .shared)
    }

    private func entry(_ req: Request, _ principal: Principal, kind: DirectoryKind) async throws -> Response {
        guard let id = try? PathParameter.id.value(in: req),
            let entry = try await DirectorySearch.entry(id, kind: kind, on: req.sql)
        else { throw Abort(.notFound) }
        var contacts: [DirectoryEntries.Contact] = []
        var helpdesk: String?
        var exportHref: String?
        var editHref: String?
        if kind == .organisations {
            contacts = try await DirectoryEntries.localAdministrators(of: id, on: req.sql)
            helpdesk = try await OrganisationsController.helpdeskContact(
                for: id, on: req.sql, fallback: req.settings.nationalHelpdesk)
            if principal.hasAny(.accountAdministrators),
                try await principal.reaches(organisation: id, .manages, on: req.sql)
            {
                exportHref = SiteURL.directoryExport(id).path
            }
        }
        if kind == .people {
            if id == principal.accountID {
                editHref = SiteURL.ownDirectoryDetails.path
            } else if principal.hasAny(.accountAdministrators), let organisation = entry.organisationID,
                try await principal.reaches(organisation: organisation, .manages, on: req.sql)
            {
                editHref = SiteURL.accountDirectoryDetails(id).path
            }
        }
        let organisationHref =
            kind == .organisations ? nil : entry.organisationID.map { SiteURL.directoryOrganisation($0).path }
        return try await req.render(
            "directory/entry",
            req.chrome(
                entry.name,
                breadcrumbs: [
                    .init(text: "Home", href: SiteURL.home.path),
                    .init(text: "Directory", href: SiteURL.directory.path),
                ]),
            EntryPage(
                entry: entry, organisationHref: organisationHref,
                contacts: contacts.map {
                    Contact(name: "\($0.givenName) \($0.familyName)", address: $0.address, workPhone: $0.workPhone)
                }, hasContacts: !contacts.isEmpty,
                contactsFrom: contacts.first.flatMap { $0.depth > 0 ? $0.organisation : nil },
                helpdesk: helpdesk,
                peopleHref: kind == .organisations
                    ? "\(SiteURL.directory.path)?kind=people&organisation=\(id.uuidString)" : nil,
                sharedHref: kind == .organisations
                    ? "\(SiteURL.directory.path)?kind=shared&organisation=\(id.uuidString)" : nil,
                exportHref: exportHref, editHref: editHref))
    }

    func export(req: Request, principal: Principal) async throws -> Response {
        guard let id = try? PathParameter.id.value(in: req),
            try await principal.reaches(organisation: id, .manages, on: req.sql),
            let entry = try await DirectorySearch.entry(id, kind: .organisations, on: req.sql)
        else { throw Abort(.notFound) }
        let csv = try await DirectoryEntries.csv(of: id, on: req.sql)
        try await req.audit(
            AuditEntry("directory.exported", target: "organisation", id: id.uuidString, organisation: id), on: req.sql)
        let response = Response(status: .ok, body: .init(string: csv))
        response.headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        let file = (entry.ods ?? "organisation").lowercased()
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"directory-\(file).csv\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // MARK: - Directory details

    struct DetailsPage: Encodable {
        let name: String?
        let jobTitle: String
        let department: String
        let workPhone: String
        let action: String
        let cancelURL: String
        let fieldErrors: [String: String]
    }

    struct DetailsForm: Content {
        var jobTitle: String?
        var department: String?
        var workPhone: String?
    }

    func ownDetailsPage(req: Request, principal: Principal) async throws -> Response {
        guard let current = try await DirectoryEntries.details(of: principal.accountID, on: req.sql) else {
            throw Abort(.notFound)
        }
        return try await renderDetails(
            req, current.domain, name: nil, own: true, id: principal.accountID, errors: .init())
    }

    func saveOwnDetails(req: Request, principal: Principal) async throws -> Response {
        try await saveDetails(req, account: principal.accountID, name: nil, own: true)
    }

    func accountDetailsPage(req: Request, principal: Principal) async throws -> Response {
        let (id, name) = try await managedAccount(req, principal)
        guard let current = try await DirectoryEntries.details(of: id, on: req.sql) else { throw Abort(.notFound) }
        return try await renderDetails(req, current.domain, name: name, own: false, id: id, errors: .init())
    }

    func saveAccountDetails(req: Request, principal: Principal) async throws -> Response {
        let (id, name) = try await managedAccount(req, principal)
        return try await saveDetails(req, account: id, name: name, own: false)
    }

    /// An account of an organisation the caller runs, with the person's name; anything else is not found.
    private func managedAccount(_ req: Request, _ principal: Principal) async throws -> (UUID, String) {
        let account = try await req.scopedAccount(try? PathParameter.id.value(in: req), for: principal)
        let id = try account.requireID()
        guard try await principal.reaches(organisation: account.$organisation.id, .manages, on: req.sql),
            let person = try await Person.find(account.$person.id, on: req.db)
        else { throw Abort(.notFound) }
        return (id, "\(person.givenName) \(person.familyName)")
    }

    private func saveDetails(_ req: Request, account: UUID, name: String?, own: Bool) async throws -> Response {
        let form = try req.content.decode(DetailsForm.self)
        let details = DirectoryDetails(
            jobTitle: form.jobTitle ?? "", department: form.department ?? "", workPhone: form.workPhone ?? "")
        let errors = details.problems()
        guard errors.isEmpty else {
            return try await renderDetails(req, details, name: name, own: own, id: account, errors: errors)
        }
        try await DirectoryEntries.save(details, of: account, context: req.auditContext, at: req.now, on: req.db)
        return req.seeOther(own ? .directoryPerson(account) : .account(account), notice: Notices.directoryDetailsSaved)
    }

    private func renderDetails(
        _ req: Request, _ details: DirectoryDetails, name: String?, own: Bool, id: UUID, errors: ValidationErrors
    ) async throws -> Response {
        let back = own ? SiteURL.directoryPerson(id).path : SiteURL.account(id).path
        let action = own ? SiteURL.ownDirectoryDetails.path : SiteURL.accountDirectoryDetails(id).path
        return try await req.render(
            "directory/details",
            req.chrome(own ? "Your directory details" : "Directory details", backLink: back, errors: errors),
            DetailsPage(
                name: name, jobTitle: details.jobTitle, department: details.department, workPhone: details.workPhone,
                action: action, cancelURL: back, fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }
}
