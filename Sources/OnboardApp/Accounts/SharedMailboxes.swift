import Foundation
import OnboardDomain
import SQLKit
import Vapor

struct MailboxRow: Decodable, Sendable {
    let id: UUID
    let address: String
    let displayName: String
    let organisationID: UUID
    let organisationName: String
    let odsCode: String?
    let createdAt: Date
    let hiddenFromDirectory: Bool
}

struct MemberRow: Decodable, Sendable {
    let accountID: UUID
    let address: String
    let givenName: String
    let familyName: String
    let organisationName: String
    let fullAccess: Bool
    let sendAs: Bool
    let owner: Bool
}

/// Shared mailboxes: created through the reservations table like every address, with members who have
/// Full Access and/or Send As, and at least one owner. Owners and the organisation's administrators manage
/// membership.
enum SharedMailboxes {
    static let columns: SQLQueryString = """
        m.id, m.address, m.display_name, m.organisation_id, o.name AS organisation_name, o.ods_code, m.created_at,
        m.hidden_from_directory
        """

    static func load(_ id: UUID, on sql: any SQLDatabase) async throws -> MailboxRow? {
        try await sql.raw(
            """
            SELECT \(columns) FROM shared_mailboxes m JOIN organisations o ON o.id = m.organisation_id
            WHERE m.id = \(bind: id)
            """
        ).firstRow(MailboxRow.self)
    }

    static func members(_ id: UUID, on sql: any SQLDatabase) async throws -> [MemberRow] {
        try await sql.raw(
            """
            SELECT s.account_id, a.address, p.given_name, p.family_name, o.name AS organisation_name,
                s.full_access, s.send_as, s.owner
            FROM shared_mailbox_members s JOIN accounts a ON a.id = s.account_id JOIN people p ON p.id = a.person_id
            JOIN organisations o ON o.id = a.organisation_id
            WHERE s.mailbox_id = \(bind: id) ORDER BY p.family_name, p.given_name, a.id
            """
        ).rows(MemberRow.self)
    }

    /// The mailboxes a person manages: those of organisations they administer, and those they own.
    static func visible(to principal: Principal, on sql: any SQLDatabase) async throws -> [MailboxRow] {
        let scope = principal.accountScope(includeHelpers: false)
        let administered: SQLQueryString =
            scope.national || !scope.treeRoots.isEmpty
            ? scope.contains(SQLColumn("organisation_id", table: "m")) : "1 = 0"
        return try await sql.raw(
            """
            SELECT \(columns) FROM shared_mailboxes m JOIN organisations o ON o.id = m.organisation_id
            WHERE \(administered) OR m.id IN (
                SELECT mailbox_id FROM shared_mailbox_members WHERE account_id = \(bind: principal.accountID) AND owner)
            ORDER BY o.name, m.address LIMIT 200
            """
        ).rows(MailboxRow.self)
    }

    /// A mailbox the caller manages, or 404.
    static func managed(_ id: UUID?, by principal: Principal, on sql: any SQLDatabase) async throws -> MailboxRow {
        guard let id, let mailbox = try await load(id, on: sql) else { throw Abort(.notFound) }
        if try await principal.canManage(organisation: mailbox.organisationID, on: sql) { return mailbox }
        let owner = try await sql.raw(
            """
            SELECT 1 AS ok FROM shared_mailbox_members
            WHERE mailbox_id = \(bind: id) AND account_id = \(bind: principal.accountID) AND owner
            """
        ).first()
        guard owner != nil else { throw Abort(.notFound) }
        return mailbox
    }

    /// The account a member is named by (an address or alias), if it can be a member.
    static func memberAccount(_ address: String, on sql: any SQLDatabase) async throws -> AccountSummary? {
        struct Row: Decodable { let accountID: UUID }
        guard
            let row = try await sql.raw(
                """
                SELECT account_id FROM address_reservations
                WHERE address = \(bind: Identifiers.normaliseEmail(address)) AND account_id IS NOT NULL
                """
            ).firstRow(Row.self),
            let account = try await AccountStore.summary(row.accountID, on: sql),
            ![.leaver, .deleted, .disabled].contains(account.accountState)
        else { return nil }
        return account
    }

    static func create(
        organisation: UUID, localPart: String, name: String, owner: AccountSummary, createdBy: UUID?,
        settings: Settings, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws -> UUID {
        struct Org: Decodable { let name: String }
        guard
            let org = try await sql.raw("SELECT name FROM organisations WHERE id = \(bind: organisation)").firstRow(
                Org.self)
        else { throw Abort(.notFound) }
        guard try await AccountStore.igRequirementMet(organisation, on: sql) else {
            throw AccountService.refuse(
                "organisation",
                "\(org.name) has not met its information governance requirement, so it cannot have shared mailboxes yet"
            )
        }
        let address = "\(localPart.tidied.lowercased())@\(settings.mailDomain)"
        // A chosen address is never suffixed: taken (now or ever) is an error the person can act on.
        let reserved = try await sql.raw(
            """
            INSERT INTO address_reservations (address, stem, kind, reserved_at)
            VALUES (\(bind: address), \(bind: AccountNaming.stem(of: address)), 'shared', \(bind: now))
            ON CONFLICT (address) DO NOTHING RETURNING address
            """
        ).first()
        guard reserved != nil else {
            throw AccountService.refuse(
                "localPart",
                "\(address) is already taken, or was used before. Addresses are never reused: choose another")
        }
        let id = UUID()
        let display = SharedMailboxRules.displayName(name, organisation: org.name)
        try await sql.insert(
            into: "shared_mailboxes",
            row: [
                "id": id, "organisation_id": organisation, "address": address, "display_name": display,
                "created_by_id": createdBy, "created_at": now,
            ]
        ).run()
        try await sql.raw("UPDATE address_reservations SET mailbox_id = \(bind: id) WHERE address = \(bind: address)")
            .run()
        try await MailSharing.share(id, now: now, on: sql)
        try await AuditLog.record(
            AuditEntry(
                "mailbox.create", target: "mailbox", id: id.uuidString, before: [String: String]?.none,
                after: ["address": address, "displayName": display, "organisation": organisation.uuidString]),
            context: context, at: now, on: sql)
        try await setMember(
            id, account: owner, rights: .init(fullAccess: true, sendAs: true, owner: true), context: context, now: now,
            on: sql)
        return id
    }

    /// Lists the mailbox in the national directory, or hides it (a mailbox for internal routing, say). Its
    /// directory entry follows by trigger in the same transaction; an unchanged answer writes nothing.
    static func setListed(
        _ mailbox: MailboxRow, listed: Bool, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws {
        let hidden = !listed
        guard hidden != mailbox.hiddenFromDirectory else { return }
        try await sql.raw(
            "UPDATE shared_mailboxes SET hidden_from_directory = \(bind: hidden) WHERE id = \(bind: mailbox.id)"
        ).run()
        try await AuditLog.record(
            AuditEntry(
                "mailbox.directory_listing", target: "mailbox", id: mailbox.id.uuidString,
                before: ["listed": String(!listed)], after: ["listed": String(listed)],
                organisation: mailbox.organisationID),
            context: context, at: now, on: sql)
    }

    /// Adds a member, or changes their rights. Refused when it would leave no owner.
    static func setMember(
        _ mailbox: UUID, account: AccountSummary, rights: SharedMailboxRules.Member, context: AuditContext, now: Date,
        on sql: any SQLDatabase
    ) async throws {
        if let problem = SharedMailboxRules.problem(with: rights) { throw AccountService.refuse("rights", problem) }
        let current = try await members(mailbox, on: sql)
        let existing = current.first { $0.accountID == account.id }
        if let existing, existing.owner, !rights.owner,
            let problem = SharedMailboxRules.problemLeaving(
                ownersBefore: current.filter(\.owner).count, removingOwner: true)
        {
            throw AccountService.refuse("rights", problem)
        }
        if existing != nil {
            try await sql.raw(
                """
                UPDATE shared_mailbox_members SET full_access = \(bind: rights.fullAccess), send_as = \(bind: rights.sendAs),
                    owner = \(bind: rights.owner)
                WHERE mailbox_id = \(bind: mailbox) AND account_id = \(bind: account.id)
                """
            ).run()
            // Full Access taken away: the member's open mail sessions still show the mailbox, so they end.
            if existing?.fullAccess == true, !rights.fullAccess {
                try await MailSessions.end(account: account.id, now: now, on: sql)
            }
        } else {
            try await sql.insert(
                into: "shared_mailbox_members",
                row: [
                    "mailbox_id": mailbox, "account_id": account.id, "full_access": rights.fullAccess,
                    "send_as": rights.sendAs, "owner": rights.owner, "added_at": now,
                ]
            ).run()
            try await tellNewMember(account, mailbox: mailbox, rights: rights, now: now, on: sql)
        }
        try await AuditLog.record(
            AuditEntry(
                existing == nil ? "mailbox.member_added" : "mailbox.member_changed", target: "mailbox",
                id: mailbox.uuidString,
                before: existing.map { ["fullAccess": $0.fullAccess, "sendAs": $0.sendAs, "owner": $0.owner] },
                after: [
                    "account": account.id.uuidString, "fullAccess": String(rights.fullAccess),
                    "sendAs": String(rights.sendAs), "owner": String(rights.owner),
                ]),
            context: context, at: now, on: sql)
    }

    /// Anyone with a current account can be added by their exact address, from any organisation (a locum's own
    /// account, say), so the person is always told, by email to that address, which mailbox and who looks after
    /// it: access they did not expect is then reported rather than unnoticed.
    private static func tellNewMember(
        _ account: AccountSummary, mailbox: UUID, rights: SharedMailboxRules.Member, now: Date,
        on sql: any SQLDatabase
    ) async throws {
        guard let row = try await load(mailbox, on: sql) else { return }
        let what = [rights.fullAccess ? "read and manage its mail" : nil, rights.sendAs ? "send as it" : nil]
            .compactMap { $0 }.joined(separator: " and ")
        let body =
            "You can now \(what.isEmpty ? "use it" : what): \(row.displayName) (\(row.address)), looked after by "
            + "\(row.organisationName)\(rights.owner ? ", and you are one of its owners" : ""). If you did not expect "
            + "this, tell your Local Administrator or the helpdesk."
        try await Outbox.enqueue(
            .notice, to: account.address,
            fields: ["subject": "You have been given access to a shared mailbox", "body": body], account: account.id,
            now: now, on: sql)
    }

    static func removeMember(
        _ mailbox: UUID, account: UUID, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws {
        let current = try await members(mailbox, on: sql)
        guard let member = current.first(where: { $0.accountID == account }) else { throw Abort(.notFound) }
        if let problem = SharedMailboxRules.problemLeaving(
            ownersBefore: current.filter(\.owner).count, removingOwner: member.owner)
        {
            throw AccountService.refuse("rights", problem)
        }
        try await sql.raw(
            "DELETE FROM shared_mailbox_members WHERE mailbox_id = \(bind: mailbox) AND account_id = \(bind: account)"
        ).run()
        // An open mail session still shows the mailbox: it ends, and the next login no longer sees it.
        try await MailSessions.end(account: account, now: now, on: sql)
        try await AuditLog.record(
            AuditEntry(
                "mailbox.member_removed", target: "mailbox", id: mailbox.uuidString,
                before: ["account": account.uuidString],
                after: [String: String]?.none),
            context: context, at: now, on: sql)
    }
}
