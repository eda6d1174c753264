import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Tells the applicant about each step of their application. Runs as a job so a decision commits even
/// when sending is slow, and is retried when sending fails. Secrets are never in the payload: the tracking
/// link is rebuilt from the application id.
enum ApplicationMessageJob {
    static let kind = "applications.message"

    static func payload(event: UUID) -> String { ApplicationEventJob.payload(event: event) }

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        guard let (event, row) = try await ApplicationEventJob.load(job, on: app.db as! any SQLDatabase) else { return }
        let link =
            app.settings.publicURL
            + SiteURL.track(ApplicationStore.trackingToken(for: row.id, key: app.settings.sessionSecret)).path
        let state = ApplicationState(rawValue: event.toState) ?? .submitted
        let subject: String
        var lines: [String] = []
        if event.action == ApplicationAction.submit.rawValue {
            subject = "We have your application \(row.reference)"
            lines.append("We received your application \(row.reference) on \(LondonTime.receipt(event.occurredAt)).")
        } else {
            subject = "Your application \(row.reference): \(state.displayName.lowercased())"
            lines.append("Your application \(row.reference) is now: \(state.displayName.lowercased()).")
        }
        if let reason = event.reason { lines.append("Reason: \(reason)") }
        if state == .moreInformationNeeded { lines.append("Reply using the link below.") }
        lines.append("See its progress: \(link)")
        lines.append("Open the link and press the button to see the status. Do not forward this email.")
        try await app.dependencies.messages.send(
            OutboundMessage(
                to: row.applicantEmail, subject: subject, body: lines.joined(separator: "\n"), sentAt: app.clock.now())
        )
    }
}

/// The jobs that follow an application's event carry only the event's id, and read the event and the
/// application when they run: nothing in a payload goes stale or holds personal data.
enum ApplicationEventJob {
    struct Payload: Codable { let event: UUID }

    static func payload(event: UUID) -> String {
        String(data: (try? JSONEncoder().encode(Payload(event: event))) ?? Data("{}".utf8), encoding: .utf8) ?? "{}"
    }

    /// The event and its application, or nil when either is gone (retention may have removed them).
    static func load(_ job: ClaimedJob, on sql: any SQLDatabase) async throws -> (ApplicationEventRow, ApplicationRow)?
    {
        let payload = try JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8))
        guard
            let event = try await sql.raw(
                """
                SELECT id, application_id, occurred_at, action, from_state, to_state, reason, actor
                FROM application_events WHERE id = \(bind: payload.event)
                """
            ).firstRow(ApplicationEventRow.self),
            let row = try await ApplicationStore.load(id: event.applicationID, on: sql)
        else { return nil }
        return (event, row)
    }
}

/// Tells an invited person, by email, how to start.
enum InvitationMessageJob {
    static let kind = "invitations.message"

    struct Payload: Codable { let invitation: UUID }

    static func payload(invitation: UUID) -> String {
        String(data: (try? JSONEncoder().encode(Payload(invitation: invitation))) ?? Data("{}".utf8), encoding: .utf8)
            ?? "{}"
    }

    static func token(for id: UUID, key: [UInt8]) -> String {
        SecretHash.hmac("invitation:\(id.uuidString.lowercased())", key: key)
    }

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        let payload = try JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8))
        let sql = app.db as! any SQLDatabase
        struct Row: Decodable {
            let kind: String
            let email: String
            let name: String?
            let organisationName: String?
            let programme: String?
            let expiresAt: Date
        }
        guard
            let row = try await sql.raw(
                """
                SELECT i.kind, i.email, i.name, o.name AS organisation_name, i.programme, i.expires_at
                FROM invitations i LEFT JOIN organisations o ON o.id = i.organisation_id
                WHERE i.id = \(bind: payload.invitation) AND i.used_at IS NULL
                """
            ).firstRow(Row.self)
        else { return }
        let message: OutboundMessage
        switch row.kind {
        case "registration":
            let parameters = try await EligibilityParameterStore.current(on: sql)
            let programme = row.programme.flatMap(parameters.programme)?.name ?? "the programme"
            let link =
                app.settings.publicURL
                + SiteURL.register(token(for: payload.invitation, key: app.settings.sessionSecret)).path
            message = OutboundMessage(
                to: row.email, subject: "Register \(row.organisationName ?? "your pharmacy") for secure email",
                body: """
                    Your regional pharmacy team invites \(row.organisationName ?? "your pharmacy") to join secure email \
                    through \(programme).
                    Open this link and press the button to start your registration: \(link)
                    The link works once and lasts until \(LondonTime.receipt(row.expiresAt)). Do not forward it.
                    """,
                sentAt: app.clock.now())
        case "super_user":
            message = OutboundMessage(
                to: row.email, subject: "You are invited to be your pharmacy group's super user",
                body: """
                    \(row.name.map { "Dear \($0)," } ?? "Hello,")
                    The national team has accepted \(row.organisationName ?? "your group")'s intent to provide the service, \
                    and invites you to be its super user. You will send one registration spreadsheet for every store and \
                    user, with the data sharing agreement. The national team will phone you to set up your account. \
                    This invitation lasts until \(LondonTime.receipt(row.expiresAt)).
                    """,
                sentAt: app.clock.now())
        default:
            message = OutboundMessage(
                to: row.email, subject: "You are invited to be a Local Administrator",
                body: """
                    \(row.name.map { "Dear \($0)," } ?? "Hello,")
                    \(row.organisationName ?? "Your organisation") has been approved to join the secure email service, and you \
                    are named as its first Local Administrator.
                    The national team will phone you to set up your account: they text a security code to your mobile and ask \
                    you to read it back. This invitation lasts until \(LondonTime.receipt(row.expiresAt)).
                    """,
                sentAt: app.clock.now())
        }
        try await app.dependencies.messages.send(message)
    }
}

/// Dates as people in England read them.
enum LondonTime {
    static func receipt(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "d MMMM yyyy 'at' h:mma"
        formatter.amSymbol = "am"
        formatter.pmSymbol = "pm"
        return formatter.string(from: date) + " (UK time)"
    }
}
