import Foundation

/// How Onboard reaches the mail server (docs/mail.md). `scripts/mail-start` prints these settings; without
/// them (the development default) no mail server is connected and pages say so.
public struct MailServerSettings: Sendable, Equatable {
    /// Where people's mail clients connect: shown on their own page, never connected to by Onboard.
    public var imap: ServerAddress
    public var submission: ServerAddress
    /// Inbound SMTP, where other services deliver mail for Onboard's addresses.
    public var smtp: ServerAddress
    /// Dovecot's LMTP, where Onboard delivers its own messages (the welcome email).
    public var lmtp: ServerAddress
    /// The doveadm HTTP API, for ending sessions, usage and erasing mailboxes.
    public var doveadmURL: String
    public var doveadmKey: String
    /// Dovecot sends it with every login and lookup it asks Onboard about.
    public var authSecret: String
    /// Where Onboard answers Postfix's socketmap lookups.
    public var socketmap: ServerAddress
    /// A mailbox's size limit when its organisation sets none (`MAIL_QUOTA_MB`, default 4096: 4 GB).
    public var quotaBytes: Int64

    static let defaultQuotaMB = 4096

    static let names = [
        "MAIL_IMAP_ADDRESS", "MAIL_SUBMISSION_ADDRESS", "MAIL_SMTP_ADDRESS", "MAIL_LMTP_ADDRESS", "MAIL_DOVEADM_URL",
        "MAIL_DOVEADM_KEY", "MAIL_AUTH_SECRET", "MAIL_SOCKETMAP_ADDRESS",
    ]

    /// All of the settings or none: a half-connected mail server would accept logins it cannot serve.
    static func parse(_ value: (String) -> String?) throws(Settings.Problem) -> MailServerSettings? {
        let given = names.filter { value($0) != nil }
        guard !given.isEmpty else { return nil }
        if let missing = names.first(where: { value($0) == nil }) {
            throw Settings.Problem(
                setting: missing, reason: "is needed with the other MAIL_ settings (see docs/mail.md)")
        }
        func address(_ name: String) throws(Settings.Problem) -> ServerAddress {
            guard let parsed = ServerAddress(value(name) ?? "") else {
                throw Settings.Problem(setting: name, reason: "must look like HOST:PORT, for example 127.0.0.1:14301")
            }
            return parsed
        }
        let doveadm = value("MAIL_DOVEADM_URL") ?? ""
        guard let url = URL(string: doveadm), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw Settings.Problem(setting: "MAIL_DOVEADM_URL", reason: "must be an http URL of doveadm's HTTP API")
        }
        let secret = value("MAIL_AUTH_SECRET") ?? ""
        guard secret.count >= 16 else {
            throw Settings.Problem(setting: "MAIL_AUTH_SECRET", reason: "must be at least 16 characters")
        }
        var quotaMB = Int64(defaultQuotaMB)
        if let raw = value("MAIL_QUOTA_MB") {
            guard let parsed = Int64(raw), parsed >= 0, parsed <= 10_000_000 else {
                throw Settings.Problem(
                    setting: "MAIL_QUOTA_MB", reason: "must be a whole number of megabytes, 0 for none")
            }
            quotaMB = parsed
        }
        return MailServerSettings(
            imap: try address("MAIL_IMAP_ADDRESS"), submission: try address("MAIL_SUBMISSION_ADDRESS"),
            smtp: try address("MAIL_SMTP_ADDRESS"), lmtp: try address("MAIL_LMTP_ADDRESS"),
            doveadmURL: doveadm.hasSuffix("/") ? String(doveadm.dropLast()) : doveadm,
            doveadmKey: value("MAIL_DOVEADM_KEY") ?? "", authSecret: secret,
            socketmap: try address("MAIL_SOCKETMAP_ADDRESS"), quotaBytes: quotaMB * 1024 * 1024)
    }
}

/// A `HOST:PORT` setting.
public struct ServerAddress: Sendable, Equatable, Encodable, CustomStringConvertible {
    public var host: String
    public var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init?(_ raw: String) {
        guard let colon = raw.lastIndex(of: ":"), let port = Int(raw[raw.index(after: colon)...]),
            (1...65535).contains(port), colon > raw.startIndex
        else { return nil }
        self.init(host: String(raw[..<colon]), port: port)
    }

    public var description: String { "\(host):\(port)" }
}

extension Settings {
    /// A mailbox's size where its organisation sets none, in megabytes, as pages describe it.
    var defaultMailboxMB: Int {
        mailServer.map { Int($0.quotaBytes / (1024 * 1024)) } ?? MailServerSettings.defaultQuotaMB
    }
}
