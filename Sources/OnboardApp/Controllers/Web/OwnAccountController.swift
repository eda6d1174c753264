import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Each role's home page, and a person's own sessions.
struct OwnAccountController {
    struct Task: Encodable {
        let text: String
        let href: String
        let description: String
    }

    struct RoleSection: Encodable {
        let role: String
        let scope: String
        let tasks: [Task]
        let hasTasks: Bool

        init(role: String, scope: String, tasks: [Task]) {
            self.role = role
            self.scope = scope
            self.tasks = tasks
            self.hasTasks = !tasks.isEmpty
        }
    }

    struct HomePage: Encodable {
        /// What waits for this person, oldest first; only queues with something in them.
        let queues: [WorkQueue.Queue]
        let sections: [RoleSection]
        let guidance: [Guidance.Item]
    }

    func home(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        var sections: [RoleSection] = []
        let names = try await organisationNames(principal.grants.compactMap(\.organisationID), on: req.sql)
        let regions = Dictionary(
            try await RegionDirectory.all(on: req.sql).map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        for grant in principal.grants.sorted(by: { $0.role > $1.role }) {
            let scope =
                switch grant.role.scopeKind {
                case .national: "All organisations"
                case .allPharmacies: "All pharmacies"
                case .region: grant.region.flatMap { regions[$0] }.map { "\($0) region" } ?? "Region"
                case .organisation, .administeredTree:
                    grant.organisationID.flatMap { names[$0] } ?? "Your organisation"
                }
            sections.append(RoleSection(role: grant.role.displayName, scope: scope, tasks: tasks(for: grant.role)))
        }
        sections.append(
            RoleSection(
                role: "Your account", scope: principal.organisationName,
                tasks: [
                    Task(
                        text: "Your mailbox", href: SiteURL.ownMailbox.path,
                        description: "How full it is, and how to read your mail in a mail app."),
                    Task(
                        text: "Your directory details", href: SiteURL.ownDirectoryDetails.path,
                        description: "Your job title, department and work phone, as everyone sees them."),
                    Task(
                        text: "Your sessions", href: SiteURL.sessions.path,
                        description: "See where you are signed in and sign out of other devices."),
                    Task(
                        text: "Your authenticator app", href: SiteURL.ownAuthenticator.path,
                        description: "Add a second check at sign-in, or see the one you have."),
                    Task(
                        text: "Change your mobile number", href: SiteURL.ownMobile.path,
                        description: "Security codes and password resets go to this number."),
                    Task(
                        text: "Shared mailboxes you own", href: SiteURL.mailboxes.path,
                        description: "Choose who can read and send from the shared mailboxes you own."),
                    Task(
                        text: "Your API tokens", href: SiteURL.ownTokens.path,
                        description: "Make and revoke tokens that let your own systems use Onboard's API as you."),
                ]))
        let audiences = audiences(for: principal.roles)
        let guidance = try await Guidance.items(for: audiences, on: req.sql)
        return try await req.render(
            "home", req.chrome("Hello, \(principal.name)", notice: req.notice),
            HomePage(
                queues: try await WorkQueue.all(for: principal, now: req.now, on: req.sql).filter { !$0.items.isEmpty },
                sections: sections, guidance: guidance))
    }

    private func audiences(for roles: Set<Role>) -> [String] {
        var list = ["everyone", "users"]
        if roles.contains(.localAdmin) { list += ["local_admins", "organisations", "care_homes"] }
        if roles.contains(.implementationSupportManager) || roles.contains(.nationalAdmin) { list += ["organisations"] }
        if roles.contains(.nationalAdmin) { list += ["non_nhs"] }
        if !roles.isDisjoint(with: [.superUser, .pharmacyAdminTeam, .regionalPharmacyTeam]) { list += ["pharmacies"] }
        return list
    }

    private func tasks(for role: Role) -> [Task] {
        let organisations = Task(
            text: "Organisations", href: SiteURL.organisations.path,
            description: "Find the organisations you look after and see their details.")
        let people = Task(
            text: "People and roles", href: SiteURL.people.path,
            description: "Find people and grant or revoke their roles.")
        let accounts = Task(
            text: "Accounts", href: SiteURL.accounts.path,
            description: "Add accounts, activate them by phone or text, unlock, reset and manage leavers.")
        let mailboxes = Task(
            text: "Shared mailboxes", href: SiteURL.mailboxes.path,
            description: "Add shared mailboxes and choose who can use them.")
        let migration = Task(
            text: "Migration projects", href: SiteURL.migrations.path,
            description: "Plan an organisation's move onto the service, scan its data for malware and confirm go-live.")
        switch role {
        case .nationalAdmin:
            return [
                organisations,
                Task(
                    text: "Add an organisation", href: SiteURL.organisationNew.path,
                    description: "Create an organisation and set who administers it."),
                Task(
                    text: "Import organisations", href: SiteURL.organisationImport.path,
                    description: "Upload organisation reference data as a CSV file."),
                accounts,
                mailboxes,
                people,
                migration,
                Task(
                    text: "Guidance", href: SiteURL.guidance.path,
                    description: "Edit the guidance documents shown to each audience."),
            ]
        case .localAdmin:
            return [accounts, mailboxes, organisations, people, migration]
        case .superUser:
            return [accounts, mailboxes, organisations]
        case .implementationSupportManager:
            return [migration, organisations]
        case .regionalContact, .regionalPharmacyTeam, .pharmacyAdminTeam:
            return [organisations]
        case .organisationAdmin:
            return [
                Task(
                    text: "Accounts", href: SiteURL.accounts.path,
                    description: "Unlock accounts and reset passwords in your organisation.")
            ]
        case .user:
            return []
        }
    }

    private func organisationNames(_ ids: [UUID], on sql: any SQLDatabase) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        struct Row: Decodable {
            let id: UUID
            let name: String
        }
        let rows = try await sql.raw("SELECT id, name FROM organisations WHERE id IN (\(binds: ids))").rows(
            Row.self)
        return Dictionary(rows.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: sessions

    struct SessionRow: Encodable {
        let id: UUID
        let started: String
        let lastSeen: String
        let device: String
        let address: String
        let current: Bool
        let endURL: String
    }

    struct SessionsPage: Encodable {
        let sessions: [SessionRow]
        let endAllURL: String
    }

    func sessions(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let now = req.now
        let policy = SessionPolicy.standard
        let live = try await UserSession.query(on: req.db)
            .filter(\.$account.$id == principal.accountID).filter(\.$endedAt == nil)
            .sort(\.$lastSeenAt, .descending).all()
            .filter { policy.verdict(createdAt: $0.createdAt, lastSeenAt: $0.lastSeenAt, now: now) == .valid }
        let rows = try live.map { session in
            let id = try session.requireID()
            return SessionRow(
                id: id, started: Format.dateTime(session.createdAt), lastSeen: Format.dateTime(session.lastSeenAt),
                device: Format.device(session.userAgent), address: session.clientAddress ?? "Unknown",
                current: id == principal.sessionID, endURL: SiteURL.endSession(id).path)
        }
        return try await req.render(
            "sessions", req.chrome("Your sessions", notice: req.notice),
            SessionsPage(sessions: rows, endAllURL: SiteURL.endAllSessions.path))
    }

    func endSession(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        guard let id = PathParameter.id.value(in: req),
            let session = try await UserSession.query(on: req.db)
                .filter(\.$id == id).filter(\.$account.$id == principal.accountID).first()
        else { throw Abort(.notFound) }
        try await req.db.transaction { db in
            session.endedAt = req.now
            try await session.save(on: db)
            try await req.audit(
                AuditEntry("session.end", target: "session", id: id.uuidString), on: db as! any SQLDatabase)
        }
        if id == principal.sessionID {
            let response = req.seeOther(.signIn, notice: Notices.signedOut)
            response.cookies[SessionCookie.name] = SessionCookie.expired
            return response
        }
        return req.seeOther(.sessions, notice: Notices.sessionEnded)
    }

    /// Ends every one of the person's sessions, this one included: "sign out everywhere".
    func endAllSessions(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await req.db.transaction { db in
            try await SessionStore.endAll(accountID: principal.accountID, now: req.now, on: db)
            try await req.audit(
                AuditEntry("session.end_all", target: "account", id: principal.accountID.uuidString),
                on: db as! any SQLDatabase)
        }
        let response = req.seeOther(.signIn, notice: Notices.sessionsEnded)
        response.cookies[SessionCookie.name] = SessionCookie.expired
        return response
    }
}

enum Format {
    static func dateTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "d MMMM yyyy 'at' h:mma"
        return formatter.string(from: date).replacingOccurrences(of: "AM", with: "am").replacingOccurrences(
            of: "PM", with: "pm")
    }

    /// To the second, for records where the order of events matters (the audit log).
    static func dateTimeSeconds(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "d MMM yyyy, HH:mm:ss"
        return formatter.string(from: date)
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "d MMMM yyyy"
        return formatter.string(from: date)
    }

    /// A readable device description from a user agent, without fingerprinting detail.
    static func device(_ agent: String?) -> String {
        guard let agent else { return "Unknown device" }
        let browser =
            agent.contains("Edg/")
            ? "Edge"
            : agent.contains("Firefox/")
                ? "Firefox"
                : agent.contains("Chrome/") || agent.contains("Chromium/")
                    ? "Chrome"
                    : agent.contains("Safari/") ? "Safari" : "A browser"
        let system =
            agent.contains("Windows")
            ? "Windows"
            : agent.contains("Mac OS")
                ? "macOS"
                : agent.contains("Android")
                    ? "Android"
                    : agent.contains("iPhone")
                        ? "iPhone"
                        : agent.contains("Linux") ? "Linux" : nil
        return system.map { "\(browser) on \($0)" } ?? browser
    }
}
