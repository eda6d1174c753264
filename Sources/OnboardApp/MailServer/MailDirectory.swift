import Foundation
import OnboardDomain
import SQLKit

/// The directory as the mail server reads it: which addresses receive mail, where aliases lead, who may send
/// as an address, and a mailbox's quota and shared mailboxes. Every answer is one indexed lookup, since
/// every login and every message asks.
struct MailDirectory: Sendable {
    let sql: any SQLDatabase
    /// The size limit when an organisation sets none.
    let defaultQuotaBytes: Int64

    /// Account states whose mailbox receives mail. Pending accounts have no mailbox yet; a deleted account's
    /// mailbox is kept for a restore but takes no new mail.
    static let receiving: [AccountState] = [.active, .inactive, .locked, .disabled, .leaver]

    struct Mailbox: Sendable, Equatable {
        enum Kind: Sendable {
            case account(UUID)
            case shared(UUID)
        }
        let address: String
        let kind: Kind
        let quotaBytes: Int64

        static func == (lhs: Mailbox, rhs: Mailbox) -> Bool { lhs.address == rhs.address }
    }

    private struct Row: Decodable {
        let address: String
        let account: UUID?
        let shared: UUID?
        let state: String?
        let quota: Int?
    }

    /// The mailbox an address (or an alias of it) delivers to, when it takes mail.
    func mailbox(for typed: String) async throws -> Mailbox? {
        let address = typed.lowercased()
        guard
            let row = try await sql.raw(
                """
                SELECT COALESCE(a.address, m.address) AS address, a.id AS account, m.id AS shared, a.state AS state,
                    o.mail_quota_mb AS quota
                FROM address_reservations r
                LEFT JOIN accounts a ON a.id = r.account_id
                LEFT JOIN shared_mailboxes m ON m.id = r.mailbox_id
                LEFT JOIN organisations o ON o.id = COALESCE(a.organisation_id, m.organisation_id)
                WHERE r.address = \(bind: address)
                """
            ).firstRow(Row.self)
        else { return nil }
        let quota = row.quota.map { Int64($0) * 1024 * 1024 } ?? defaultQuotaBytes
        if let account = row.account {
            guard let state = row.state.flatMap(AccountState.init(rawValue:)), Self.receiving.contains(state) else {
                return nil
            }
            return Mailbox(address: row.address, kind: .account(account), quotaBytes: quota)
        }
        if let shared = row.shared { return Mailbox(address: row.address, kind: .shared(shared), quotaBytes: quota) }
        return nil
    }

    /// The shared mailboxes an account opens with its own login: those it has Full Access to.
    func sharedMailboxes(of account: UUID) async throws -> [String] {
        struct Shared: Decodable { let address: String }
        return try await sql.raw(
            """
            SELECT m.address AS address FROM shared_mailbox_members s
            JOIN shared_mailboxes m ON m.id = s.mailbox_id
            WHERE s.account_id = \(bind: account) AND s.full_access = \(bind: true)
            ORDER BY m.address
            """
        ).rows(Shared.self).map(\.address)
    }

    /// The logins that may use `address` as the sender: its owner, or a shared mailbox's Send As members.
    /// Only accounts that may log in are listed; a removed member is gone from the next message on.
    func senders(of typed: String) async throws -> [String] {
        guard let mailbox = try await mailbox(for: typed) else { return [] }
        switch mailbox.kind {
        case .account: return [mailbox.address]
        case .shared(let id):
            struct Sender: Decodable { let address: String }
            return try await sql.raw(
                """
                SELECT a.address AS address FROM shared_mailbox_members s
                JOIN accounts a ON a.id = s.account_id
                WHERE s.mailbox_id = \(bind: id) AND s.send_as = \(bind: true)
                    AND a.state IN (\(binds: [AccountState.active, .inactive].map(\.rawValue)))
                ORDER BY a.address
                """
            ).rows(Sender.self).map(\.address)
        }
    }

    /// Where an old address now delivers, when it is an alias of an account's current address.
    func aliasTarget(of typed: String) async throws -> String? {
        guard let mailbox = try await mailbox(for: typed), mailbox.address != typed.lowercased() else { return nil }
        return mailbox.address
    }

    /// Whether Onboard hands out addresses at this domain.
    func isDomain(_ domain: String, mailDomain: String) -> Bool { domain.lowercased() == mailDomain.lowercased() }
}
