import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Vapor

/// The mail server, as Onboard drives it: Dovecot's LMTP for Onboard's own messages and its doveadm HTTP
/// API for sessions, usage and erasing (docs/mail.md). A seam with a recording fake, like the scanner and
/// the notifier, so tests say what the mail server was asked without one running.
struct MailServer: Sendable {
    /// Whether a real mail server is connected: without one, pages say that mail is not set up here.
    var connected: Bool
    /// Delivers one message into a mailbox. `messageID` identifies it so a retry can ask first.
    var deliver: @Sendable (_ message: MailMessage) async throws -> Void
    /// Whether a mailbox already holds the message with this Message-ID (a delivery retried after a crash).
    var holds: @Sendable (_ messageID: String, _ address: String) async throws -> Bool
    /// Ends every open mail session of an address. Nothing cached needs forgetting: Dovecot's auth cache is
    /// off, and Onboard reads the account's state afresh on every login (its own cache only skips the hash).
    var endSessions: @Sendable (_ address: String) async throws -> Void
    /// How much of its quota a mailbox uses, when the server can say.
    var usage: @Sendable (_ address: String) async throws -> MailboxUsage?
    /// Erases every message in a mailbox (after the restore window).
    var erase: @Sendable (_ address: String) async throws -> Void
    /// Lets a shared mailbox's Full Access members (the group named by its address) open all its folders.
    var share: @Sendable (_ address: String) async throws -> Void

    /// The development default: nothing is connected, and nothing is pretended.
    static let none = MailServer(
        connected: false, deliver: { _ in }, holds: { _, _ in false }, endSessions: { _ in }, usage: { _ in nil },
        erase: { _ in }, share: { _ in })

    /// Records every request, for tests.
    static func recording(_ log: MailServerLog) -> MailServer {
        MailServer(
            connected: true,
            deliver: { message in log.append(.delivered(message)) },
            holds: { id, address in
                log.append(.asked(id))
                return log.delivered(to: address).contains { $0.messageID == id }
            },
            endSessions: { address in log.append(.endedSessions(address)) },
            usage: { _ in MailboxUsage(usedBytes: 1_048_576, limitBytes: nil, messages: 1) },
            erase: { address in log.append(.erased(address)) },
            share: { address in log.append(.shared(address)) })
    }

    static func dovecot(_ settings: MailServerSettings, client: HTTPClient, group: any EventLoopGroup) -> MailServer {
        let doveadm = Doveadm(url: settings.doveadmURL, key: settings.doveadmKey, client: client)
        return MailServer(
            connected: true,
            deliver: { message in try await LMTP.deliver(message, to: settings.lmtp, group: group) },
            holds: { id, address in
                try await doveadm.found(
                    user: address, query: ["mailbox", "INBOX", "header", "message-id", id])
            },
            endSessions: { address in
                // The cache first, so the login a kicked client makes at once is checked afresh.
                try await doveadm.run("authCacheFlush", ["user": .array([address])])
                try await doveadm.run("kick", ["mask": .array([address])])
            },
            usage: { address in try await doveadm.usage(of: address) },
            erase: { address in
                try await doveadm.run("expunge", ["user": .string(address), "query": .array(["mailbox", "*", "all"])])
            },
            share: { address in
                // On INBOX only: acl_defaults_from_inbox gives every folder of the mailbox the same rights.
                try await doveadm.run(
                    "aclSet",
                    [
                        "user": .string(address), "mailbox": "INBOX", "id": .string("group=\(address)"),
                        "right": .array(Doveadm.fullAccessRights),
                    ])
            })
    }
}

/// A message Onboard writes into a mailbox itself.
struct MailMessage: Sendable, Equatable {
    var messageID: String
    var from: String
    var to: String
    var subject: String
    var body: String
    var date: Date

    /// RFC 5322 text with CRLF line ends.
    var rendered: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let headers = [
            "From: NHSmail <\(from)>", "To: <\(to)>", "Subject: \(subject)", "Date: \(formatter.string(from: date))",
            "Message-ID: \(messageID)", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        let text = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + text + "\r\n"
    }
}

struct MailboxUsage: Sendable, Equatable, Encodable {
    var usedBytes: Int64
    var limitBytes: Int64?
    var messages: Int
}

/// What the recording fake was asked.
final class MailServerLog: @unchecked Sendable {
    enum Entry: Equatable {
        case delivered(MailMessage)
        case endedSessions(String)
        case erased(String)
        case shared(String)
        case asked(String)
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    var entries: [Entry] { lock.withLock { stored } }

    func append(_ entry: Entry) { lock.withLock { stored.append(entry) } }

    func delivered(to address: String) -> [MailMessage] {
        entries.compactMap {
            if case .delivered(let message) = $0, message.to == address { message } else { nil }
        }
    }

    func endedSessions(of address: String) -> Int {
        entries.filter { $0 == .endedSessions(address) }.count
    }
}

struct MailServerUnavailable: Error, CustomStringConvertible {
    let reason: String
    var description: String { "mail server: \(reason)" }
}

extension Application {
    private struct MailServerKey: StorageKey { typealias Value = MailServer }

    /// The mail server the directory drives: Dovecot when `MAIL_*` settings are given, else none.
    var mailServer: MailServer {
        get { storage[MailServerKey.self] ?? .none }
        set { storage[MailServerKey.self] = newValue }
    }
}
