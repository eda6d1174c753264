import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// A mailbox as people are shown it: whether it receives mail, how full it is and when a mail client last
/// logged in. The account page shows it to administrators; a person's own mailbox page shows it to them.
struct MailboxFacts: Encodable, Sendable {
    /// False when no mail server is connected (development): the page says so instead of guessing.
    let connected: Bool
    let status: String
    let usage: String?
    let lastMailLogin: String

    private struct Row: Decodable {
        let address: String
        let state: String
        let changed: Date?
        let lastMail: Date?
        let erased: Date?
    }

    static func load(_ account: UUID, app: Application, now: Date) async throws -> MailboxFacts? {
        guard
            let row = try await (app.db as! any SQLDatabase).raw(
                """
                SELECT address, state, state_changed_at AS changed, last_mail_login_at AS last_mail,
                    mailbox_erased_at AS erased
                FROM accounts WHERE id = \(bind: account)
                """
            ).firstRow(Row.self),
            let state = AccountState(rawValue: row.state)
        else { return nil }
        let server = app.mailServer
        let status = Self.status(state, changed: row.changed, erased: row.erased)
        var usage: String?
        if server.connected, MailDirectory.receiving.contains(state) || state == .deleted && row.erased == nil {
            usage =
                (try? await server.usage(row.address)).flatMap { $0.map(Self.describe) } ?? "Not available right now"
        }
        return MailboxFacts(
            connected: server.connected, status: status, usage: usage,
            lastMailLogin: row.lastMail.map(LondonTime.receipt) ?? "Never")
    }

    static func status(_ state: AccountState, changed: Date?, erased: Date?) -> String {
        switch state {
        case .pendingActivation, .expired: "Not made yet: it is made when they activate the account"
        case .active, .inactive: "Receiving mail"
        case .locked, .disabled: "Receiving mail, but they cannot log in to read it"
        case .leaver: "Receiving mail and kept for a new organisation; they cannot log in"
        case .deleted:
            if erased != nil {
                "Erased"
            } else {
                "Kept until \(LondonTime.receipt((changed ?? Date()).addingTimeInterval(AccountLifecycle.restoreWindow))), "
                    + "then erased. Restoring the account brings the mail back"
            }
        }
    }

    static func describe(_ usage: MailboxUsage) -> String {
        let used = ByteCountFormatter.string(fromByteCount: usage.usedBytes, countStyle: .binary)
        let messages = usage.messages == 1 ? "1 message" : "\(usage.messages) messages"
        guard let limit = usage.limitBytes, limit > 0 else { return "\(used) (\(messages)), no limit" }
        let percent = Int((Double(usage.usedBytes) / Double(limit) * 100).rounded(.down))
        return
            "\(used) of \(ByteCountFormatter.string(fromByteCount: limit, countStyle: .binary)) (\(percent)%), \(messages)"
    }
}
