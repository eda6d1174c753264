import Foundation
import NIOCore

/// Every setting the service reads, parsed in one place with its default.
///
/// Problems name the setting and never echo its value: values can be secrets.
public struct Settings: Sendable {
    public enum Environment: String, Sendable {
        case development, production
    }

    public enum DatabaseLocation: Sendable, Equatable {
        case sqliteFile(String)
        case sqliteMemory
        case postgres(URL)

        public var kindName: String {
            switch self {
            case .sqliteFile, .sqliteMemory: "sqlite"
            case .postgres: "postgresql"
            }
        }

        /// How it is described to people: never with a password.
        public var description: String {
            switch self {
            case .sqliteFile(let path): "SQLite at \(path)"
            case .sqliteMemory: "SQLite in memory"
            case .postgres(let url): "PostgreSQL at \(url.host ?? "?"):\(url.port ?? 5432)\(url.path)"
            }
        }
    }

    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let setting: String
        public let reason: String
        public var description: String { "Setting \(setting) \(reason)" }
    }

    public var environment: Environment
    public var database: DatabaseLocation
    /// Addresses whose X-Forwarded-For is believed.
    public var trustedProxies: [String]
    /// Key for CSRF tokens: 32 bytes or more. Random per process in development.
    public var sessionSecret: [UInt8]
    public var mailDomain: String
    /// Where people reach the service, for links in messages: tracking links, invitations.
    public var publicURL: String
    public var nationalHelpdesk: String
    public var eligibilityEnquiries: String
    public var scottishContact: String
    /// Whether `serve` also runs background jobs.
    public var runJobsInServe: Bool
    /// Seals TOTP seeds (AES-GCM). Fixed in development so seeds survive restarts; required in production.
    public var mfaKey: [UInt8]
    /// GOV.UK Notify: the API key (`name-serviceid-secret`), its base URL and the template ids by name.
    /// Without a key, development uses its sink; production refuses to start.
    public var notify: NotifySettings?
    public var lockoutThreshold: Int
    /// Account lifecycle periods, in days.
    public var lifecycle: LifecycleSettings
    /// Days before a password expires; nil (the default) means passwords do not expire.
    public var passwordExpiryDays: Int?
    /// Bulk registration: how long uploads and results are kept, rows per committed chunk, and (tests
    /// only, refused in production) a chunk after which the worker stops dead, to prove resumption.
    public var bulk = BulkSettings()
    /// Job loops a serving or worker process runs side by side (`JOB_WORKERS`, default 4).
    public var jobWorkers = 4
    /// The mail server (Dovecot and Postfix) the directory drives; nil when none is connected.
    public var mailServer: MailServerSettings?
    /// The clamd that scans migration transfers (`CLAMD_ADDRESS`, host:port).
    public var clamd = ClamdAddress(host: "127.0.0.1", port: 3310)
    /// Days quarantined transfer content is kept before it is purged (`QUARANTINE_RETENTION_DAYS`).
    public var quarantineRetentionDays = 30
    /// The audit chain's key, checkpoints and retention of security events.
    public var audit = AuditSettings()
    /// How long applications, drafts, messages and sessions are kept.
    public var retention = RetentionSettings()
    /// The client addresses `/metrics` answers (`METRICS_ALLOWED`); everyone else gets 404.
    public var metricsAllowed: Set<String> = ["127.0.0.1", "::1"]
    /// Seconds a connection may send and receive nothing before it is closed (`HTTP_IDLE_TIMEOUT`): a client that
    /// sends part of a request and stops does not hold a connection for ever.
    public var httpIdleTimeoutSeconds = 30
    /// The bearer token GOV.UK Notify sends with its delivery receipts (`NOTIFY_CALLBACK_TOKEN`); without it
    /// the receipts address answers 404.
    public var notifyCallbackToken: String?

    public var isDevelopment: Bool { environment == .development }

    public static let defaultDatabase = "sqlite:var/onboard.sqlite"

    public static func load(from env: [String: String]) throws(Problem) -> Settings {
        func value(_ key: String) -> String? {
            guard let raw = env[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }

        let database = try parseDatabase(value("DATABASE_URL") ?? defaultDatabase)

        let environment: Environment
        if let raw = value("ONBOARD_ENV") {
            guard let parsed = Environment(rawValue: raw) else {
                throw Problem(setting: "ONBOARD_ENV", reason: "must be development or production")
            }
            environment = parsed
        } else if case .postgres = database {
            throw Problem(
                setting: "ONBOARD_ENV", reason: "is required with PostgreSQL: set it to development or production")
        } else {
            environment = .development
        }

        var proxies: [String] = []
        if let raw = value("TRUSTED_PROXIES") {
            proxies = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for proxy in proxies where (try? SocketAddress(ipAddress: proxy, port: 0)) == nil {
                throw Problem(setting: "TRUSTED_PROXIES", reason: "must be a comma-separated list of IP addresses")
            }
        }

        let secret: [UInt8]
        if let raw = value("SESSION_SECRET") {
            guard raw.utf8.count >= 32 else {
                throw Problem(setting: "SESSION_SECRET", reason: "must be at least 32 characters long")
            }
            secret = Array(raw.utf8)
        } else if environment == .production {
            throw Problem(setting: "SESSION_SECRET", reason: "is required in production (32 characters or more)")
        } else {
            secret = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        }

        let mailDomain = value("MAIL_DOMAIN") ?? "nhs.net"
        guard mailDomain.contains("."), !mailDomain.contains("@"), !mailDomain.contains(" ") else {
            throw Problem(setting: "MAIL_DOMAIN", reason: "must be a domain name such as nhs.net")
        }

        let publicURL =
            value("PUBLIC_URL").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            ?? "http://127.0.0.1:8080"
        guard let parsedURL = URL(string: publicURL), ["http", "https"].contains(parsedURL.scheme ?? ""),
            parsedURL.host != nil
        else {
            throw Problem(
                setting: "PUBLIC_URL", reason: "must be an http or https address such as https://onboard.example")
        }

        var runJobs = true
        if let raw = value("ONBOARD_JOBS_IN_SERVE") {
            guard let parsed = Bool(raw.lowercased()) else {
                throw Problem(setting: "ONBOARD_JOBS_IN_SERVE", reason: "must be true or false")
            }
            runJobs = parsed
        }

        let mfaKey: [UInt8]
        if let raw = value("MFA_KEY") {
            guard raw.utf8.count >= 32 else {
                throw Problem(setting: "MFA_KEY", reason: "must be at least 32 characters long")
            }
            mfaKey = Array(raw.utf8)
        } else if environment == .production {
            throw Problem(setting: "MFA_KEY", reason: "is required in production (32 characters or more)")
        } else {
            mfaKey = Array("development-only-mfa-key-not-secret".utf8)
        }

        var notify: NotifySettings?
        if let key = value("NOTIFY_API_KEY") {
            notify = try NotifySettings.parse(
                key: key, baseURL: value("NOTIFY_BASE_URL") ?? NotifySettings.defaultBaseURL,
                templates: value("NOTIFY_TEMPLATES") ?? "")
        } else if environment == .production {
            throw Problem(setting: "NOTIFY_API_KEY", reason: "is required in production")
        }

        func callbackToken() throws(Problem) -> String? {
            guard let token = value("NOTIFY_CALLBACK_TOKEN") else { return nil }
            guard token.count >= 32 else {
                throw Problem(setting: "NOTIFY_CALLBACK_TOKEN", reason: "must be 32 characters or more")
            }
            return token
        }

        func days(_ key: String, default fallback: Int?) throws(Problem) -> Int? {
            guard let raw = value(key) else { return fallback }
            if raw == "off" { return nil }
            guard let parsed = Int(raw), parsed > 0 else {
                throw Problem(setting: key, reason: "must be a whole number of days, or off")
            }
            return parsed
        }
        let lockout = try days("LOCKOUT_THRESHOLD", default: 10) ?? 10
        let lifecycle = LifecycleSettings(
            inactiveAfterDays: try days("INACTIVE_AFTER_DAYS", default: 30),
            deleteAfterDays: try days("DELETE_AFTER_DAYS", default: 30) ?? 30,
            joinerWindowDays: try days("JOINER_WINDOW_DAYS", default: 30) ?? 30,
            deleteInactive: try value("DELETE_INACTIVE").map { raw throws(Problem) in
                guard let flag = Bool(raw.lowercased()) else {
                    throw Problem(setting: "DELETE_INACTIVE", reason: "must be true or false")
                }
                return flag
            } ?? false)

        func bounded(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(Problem) -> Int {
            guard let raw = value(key) else { return fallback }
            guard let number = Int(raw), range.contains(number) else {
                throw Problem(
                    setting: key, reason: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }

        func bulkSettings() throws(Problem) -> BulkSettings {
            var bulk = BulkSettings()
            // Uploads hold personal data: they are always purged, so "off" is not a choice here.
            for key in ["BULK_RETENTION_DAYS", "BULK_CHUNK_SIZE"] where value(key) == "off" {
                throw Problem(setting: key, reason: "must be a whole number")
            }
            bulk.retentionDays = try days("BULK_RETENTION_DAYS", default: 90) ?? 90
            bulk.chunkSize = try days("BULK_CHUNK_SIZE", default: 500) ?? 500
            if let stop = value("BULK_STOP_AFTER_CHUNKS") {
                guard environment != .production else {
                    throw Problem(
                        setting: "BULK_STOP_AFTER_CHUNKS", reason: "is for tests and is refused in production")
                }
                guard let chunks = Int(stop), chunks > 0 else {
                    throw Problem(setting: "BULK_STOP_AFTER_CHUNKS", reason: "must be a whole number")
                }
                bulk.stopAfterChunks = chunks
            }
            return bulk
        }

        var clamd = ClamdAddress(host: "127.0.0.1", port: 3310)
        if let raw = value("CLAMD_ADDRESS") {
            let parts = raw.split(separator: ":")
            guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65535).contains(port) else {
                throw Problem(setting: "CLAMD_ADDRESS", reason: "must look like HOST:PORT, for example 127.0.0.1:3310")
            }
            clamd = ClamdAddress(host: String(parts[0]), port: port)
        }

        // Quarantined content may be malware and personal data: it is always purged.
        if value("QUARANTINE_RETENTION_DAYS") == "off" {
            throw Problem(setting: "QUARANTINE_RETENTION_DAYS", reason: "must be a whole number")
        }
        let quarantineDays = try days("QUARANTINE_RETENTION_DAYS", default: 30) ?? 30

        var audit = AuditSettings()
        if let raw = value("AUDIT_KEY") {
            guard raw.utf8.count >= 32 else {
                throw Problem(setting: "AUDIT_KEY", reason: "must be at least 32 characters long")
            }
            audit.key = Array(raw.utf8)
        } else if environment == .production {
            throw Problem(setting: "AUDIT_KEY", reason: "is required in production (32 characters or more)")
        }
        if let raw = value("AUDIT_CHECKPOINT") {
            if raw.hasPrefix("http://") || raw.hasPrefix("https://") {
                guard URL(string: raw)?.host != nil else {
                    throw Problem(setting: "AUDIT_CHECKPOINT", reason: "must be a file path or an http(s) address")
                }
            }
            audit.checkpoint = raw
        } else if environment == .production {
            throw Problem(
                setting: "AUDIT_CHECKPOINT",
                reason: "is required in production: a file path or an https address outside the database")
        } else {
            audit.checkpoint = AuditSettings.developmentCheckpoint(for: database)
        }
        if value("SECURITY_EVENT_RETENTION_DAYS") == "off" {
            throw Problem(setting: "SECURITY_EVENT_RETENTION_DAYS", reason: "must be a whole number")
        }
        if let raw = value("AUDIT_CHECKPOINT_MINUTES") {
            guard let minutes = Int(raw), (1...1440).contains(minutes) else {
                throw Problem(setting: "AUDIT_CHECKPOINT_MINUTES", reason: "must be a whole number from 1 to 1440")
            }
            audit.checkpointMinutes = minutes
        }
        audit.securityEventRetentionDays = try days("SECURITY_EVENT_RETENTION_DAYS", default: 90) ?? 90

        // Records holding personal data are always purged: "off" is not a choice for any of them.
        var retention = RetentionSettings()
        for key in [
            "APPLICATION_RETENTION_DAYS", "DRAFT_RETENTION_DAYS", "OUTBOX_RETENTION_DAYS", "SESSION_RETENTION_DAYS",
        ]
        where value(key) == "off" {
            throw Problem(setting: key, reason: "must be a whole number")
        }
        retention.applicationDays = try days("APPLICATION_RETENTION_DAYS", default: 730) ?? 730
        retention.draftDays = try days("DRAFT_RETENTION_DAYS", default: 30) ?? 30
        retention.outboxDays = try days("OUTBOX_RETENTION_DAYS", default: 30) ?? 30
        retention.sessionDays = try days("SESSION_RETENTION_DAYS", default: 30) ?? 30

        var metricsAllowed: Set<String> = ["127.0.0.1", "::1"]
        if let raw = value("METRICS_ALLOWED") {
            let addresses = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            for address in addresses where (try? SocketAddress(ipAddress: address, port: 0)) == nil {
                throw Problem(setting: "METRICS_ALLOWED", reason: "must be a comma-separated list of IP addresses")
            }
            metricsAllowed = Set(addresses)
        }

        var settings = Settings(
            environment: environment, database: database, trustedProxies: proxies, sessionSecret: secret,
            mailDomain: mailDomain, publicURL: publicURL,
            nationalHelpdesk: value("NATIONAL_HELPDESK") ?? "helpdesk@nhs.net, 0333 200 1133",
            eligibilityEnquiries: value("ELIGIBILITY_CONTACT") ?? "feedback@nhs.net",
            scottishContact: value("SCOTTISH_CONTACT") ?? "nss.nhsmail@nhs.scot",
            runJobsInServe: runJobs, mfaKey: mfaKey, notify: notify, lockoutThreshold: lockout,
            lifecycle: lifecycle, passwordExpiryDays: try days("PASSWORD_EXPIRY_DAYS", default: nil),
            bulk: try bulkSettings(), clamd: clamd, quarantineRetentionDays: quarantineDays, audit: audit,
            retention: retention, metricsAllowed: metricsAllowed,
            httpIdleTimeoutSeconds: try bounded("HTTP_IDLE_TIMEOUT", default: 30, range: 1...3600),
            notifyCallbackToken: try callbackToken())
        settings.mailServer = try MailServerSettings.parse(value)
        settings.jobWorkers = try bounded("JOB_WORKERS", default: 4, range: 1...64)
        return settings
    }

    static func parseDatabase(_ raw: String) throws(Problem) -> DatabaseLocation {
        if raw == "sqlite::memory:" { return .sqliteMemory }
        if raw.hasPrefix("sqlite:") {
            let path = String(raw.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw Problem(setting: "DATABASE_URL", reason: "needs a file path after sqlite:")
            }
            return .sqliteFile(path)
        }
        if raw.hasPrefix("postgres://") || raw.hasPrefix("postgresql://") {
            guard let url = URL(string: raw), url.host != nil, url.path.count > 1 else {
                throw Problem(
                    setting: "DATABASE_URL", reason: "must look like postgres://USER:PASS@HOST:PORT/DB")
            }
            return .postgres(url)
        }
        throw Problem(setting: "DATABASE_URL", reason: "must start with sqlite: or postgres://")
    }
}

public struct AuditSettings: Sendable, Equatable {
    /// Keys the chain's MACs and the digests of personal details (`AUDIT_KEY`). Fixed in development so
    /// a development database still verifies after a restart; required in production.
    public var key: [UInt8] = Array("development-only-audit-key-not-secret".utf8)
    /// Where checkpoints go (`AUDIT_CHECKPOINT`): a file path, or an http(s) address that is sent each one.
    /// In development it follows the database (`developmentCheckpoint`), so two databases never share one.
    public var checkpoint = "var/audit-checkpoints.jsonl"
    public var checkpointMinutes = 15
    public var securityEventRetentionDays = 90

    /// Development's checkpoint file: beside a SQLite file (`var/onboard.sqlite` →
    /// `var/onboard.audit-checkpoints.jsonl`), or in `var/` named after a PostgreSQL database, so seeding a second
    /// database, a test run or a demo reset never reads another chain's checkpoints as its own.
    static func developmentCheckpoint(for database: Settings.DatabaseLocation) -> String {
        switch database {
        case .sqliteFile(let path):
            let file = URL(fileURLWithPath: path)
            let stem = file.deletingPathExtension().lastPathComponent
            let folder = (path as NSString).deletingLastPathComponent
            return (folder.isEmpty ? "" : folder + "/") + stem + ".audit-checkpoints.jsonl"
        case .sqliteMemory:
            let name = "onboard-memory-\(ProcessInfo.processInfo.processIdentifier).audit-checkpoints.jsonl"
            return FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        case .postgres(let url):
            let name = url.path.split(separator: "/").last.map(String.init) ?? "postgres"
            let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
            return "var/audit-checkpoints-\(url.host ?? "localhost")-\(url.port ?? 5432)-\(safe).jsonl"
        }
    }
}

public struct ClamdAddress: Sendable, Equatable {
    public var host: String
    public var port: Int
}

public struct BulkSettings: Sendable, Equatable {
    public var retentionDays = 90
    public var chunkSize = 500
    public var stopAfterChunks: Int?
}

public struct LifecycleSettings: Sendable, Equatable {
    /// Nil turns the active → inactive step off.
    public var inactiveAfterDays: Int?
    public var deleteAfterDays: Int
    public var joinerWindowDays: Int
    /// Inactive → deleted (`DELETE_INACTIVE`). Safe to turn on once a mail server is connected: mail logins
    /// count as activity (recorded hourly), so nobody who reads mail only in a mail app becomes inactive.
    public var deleteInactive: Bool
}

public struct NotifySettings: Sendable, Equatable {
    public static let defaultBaseURL = "https://api.notifications.service.gov.uk"
    public var serviceID: String
    public var secret: String
    public var baseURL: String
    public var templates: [String: String]

    /// A Notify key ends with the service id and the secret, each a 36-character UUID.
    static func parse(key: String, baseURL: String, templates: String) throws(Settings.Problem) -> NotifySettings {
        guard key.count > 73, UUID(uuidString: String(key.suffix(36))) != nil,
            UUID(uuidString: String(key.dropLast(37).suffix(36))) != nil
        else {
            throw Settings.Problem(
                setting: "NOTIFY_API_KEY", reason: "must be a GOV.UK Notify key: name, service id and secret")
        }
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? "") else {
            throw Settings.Problem(setting: "NOTIFY_BASE_URL", reason: "must be an http or https address")
        }
        var map: [String: String] = [:]
        for pair in templates.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, UUID(uuidString: parts[1]) != nil else {
                throw Settings.Problem(setting: "NOTIFY_TEMPLATES", reason: "must be name=template-id pairs")
            }
            map[parts[0]] = parts[1]
        }
        let missing = MessageTemplate.allCases.map(\.rawValue).filter { map[$0] == nil }
        guard missing.isEmpty else {
            throw Settings.Problem(
                setting: "NOTIFY_TEMPLATES", reason: "has no template id for: \(missing.joined(separator: ", "))")
        }
        return NotifySettings(
            serviceID: String(key.dropLast(37).suffix(36)), secret: String(key.suffix(36)),
            baseURL: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL, templates: map)
    }
}
