import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Changes the mail server must hear about, queued in the same transaction as the change itself, so a crash
/// between the two loses nothing: the job runs (and retries) after the commit. Each job names a row by id and
/// reads its address when it runs, so it acts on the address as it is then.
enum MailServerJob {
    struct Payload: Codable { let id: UUID }

    static func enqueue(_ kind: String, id: UUID, now: Date, on sql: any SQLDatabase) async throws {
        let payload = String(decoding: try JSONEncoder().encode(Payload(id: id)), as: UTF8.self)
        try await JobRunner.enqueue(kind, payload: payload, runAt: now, on: sql)
    }

    /// The address of the row a job names in `table`, when a mail server is connected to act on it.
    static func address(of job: ClaimedJob, in table: String, app: Application) async throws -> String? {
        struct Row: Decodable { let address: String }
        let payload = try JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8))
        guard app.mailServer.connected else { return nil }
        return try await (app.db as! any SQLDatabase).raw(
            "SELECT address FROM \(ident: table) WHERE id = \(bind: payload.id)"
        ).firstRow(Row.self)?.address
    }
}

/// Ending an account's open mail sessions.
enum MailSessions {
    static let jobKind = "mail.end_sessions"
    /// States that may not use mail: entering one ends the sessions already open.
    static let endedBy: Set<AccountState> = [.locked, .disabled, .leaver, .deleted, .expired]

    /// After a lock, a disable, leaving, deletion, a new password or a lost shared mailbox.
    static func end(account: UUID, now: Date, on sql: any SQLDatabase) async throws {
        try await MailServerJob.enqueue(jobKind, id: account, now: now, on: sql)
    }

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        guard let address = try await MailServerJob.address(of: job, in: "accounts", app: app) else { return }
        try await app.mailServer.endSessions(address)
    }
}

/// A new shared mailbox's rights on the mail server: its Full Access members open it with their own login.
enum MailSharing {
    static let jobKind = "mail.share_mailbox"

    static func share(_ mailbox: UUID, now: Date, on sql: any SQLDatabase) async throws {
        try await MailServerJob.enqueue(jobKind, id: mailbox, now: now, on: sql)
    }

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        guard let address = try await MailServerJob.address(of: job, in: "shared_mailboxes", app: app) else { return }
        try await app.mailServer.share(address)
    }
}

/// The welcome email the joining page promises: "once you have activated your account and logged in you will
/// find a welcome email". Delivered into the new mailbox over LMTP, exactly once.
enum WelcomeEmail {
    /// From the service's own domain (`MAIL_DOMAIN`), so a copy run for another domain never sends as nhs.net.
    static func sender(domain: String) -> String { "no-reply@\(domain)" }

    static func message(id: UUID, to address: String, name: String, domain: String, now: Date) -> MailMessage {
        MailMessage(
            messageID: "<welcome-\(id.uuidString.lowercased())@onboard>", from: sender(domain: domain), to: address,
            subject: "Welcome to NHSmail",
            body: """
                Dear \(name),

                Welcome to NHSmail. Your account is active and this mailbox is ready: your address is \(address).

                You can read your mail on the web, or in any mail client using your address and the password you \
                have just chosen. Your own page in NHSmail Onboard shows the settings for a mail client.

                Keep your password to yourself. NHSmail will never ask for it by email.

                If you need help, contact your Local Administrator.
                """,
            date: now)
    }

    /// Delivers the welcome email for one outbox row. A retry (the job ran before and may have delivered
    /// before a crash) first asks the mailbox whether the message is already there.
    static func deliver(outbox id: UUID, to address: String, name: String, retry: Bool, app: Application)
        async throws
    {
        let message = message(
            id: id, to: address, name: name, domain: app.settings.mailDomain, now: app.clock.now())
        if retry, try await app.mailServer.holds(message.messageID, address) { return }
        try await app.mailServer.deliver(message)
    }
}
