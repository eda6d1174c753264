import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// How large each mailbox of an organisation may be: one question, for national administrators. The
/// mail server reads the size at every login and delivery, so a change applies at once.
extension OrganisationsController {
    struct MailboxSizePage: Encodable {
        let name: String
        let size: String
        let serviceDefault: String
        let action: String
        let cancelURL: String
        let fieldErrors: [String: String]
    }

    struct MailboxSizeForm: Content {
        var size: String?
    }

    func mailboxSizeForm(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let organisation = try await req.scopedOrganisation(PathParameter.id.value(in: req), for: principal)
        let typed = organisation.mailQuotaMB.map { $0 % 1024 == 0 ? String($0 / 1024) : "" } ?? ""
        return try await renderMailboxSize(req, organisation, typed: typed, errors: ValidationErrors())
    }

    func setMailboxSize(req: Request, principal: Principal) async throws -> Response {
        let organisation = try await req.scopedOrganisation(PathParameter.id.value(in: req), for: principal)
        let id = try organisation.requireID()
        let typed = try req.content.decode(MailboxSizeForm.self).size ?? ""
        let megabytes: Int?
        switch MailboxSize.parse(typed) {
        case .failure(let problem):
            var errors = ValidationErrors()
            errors.add("size", problem.message)
            return try await renderMailboxSize(req, organisation, typed: typed, errors: errors)
        case .success(.serviceDefault): megabytes = nil
        case .success(.megabytes(let size)): megabytes = size
        }
        let before = organisation.mailQuotaMB
        let context = req.auditContext
        let now = req.now
        try await req.inTransaction { sql in
            try await sql.raw("UPDATE organisations SET mail_quota_mb = \(bind: megabytes) WHERE id = \(bind: id)")
                .run()
            try await AuditLog.record(
                AuditEntry(
                    "organisation.mailbox_size", target: "organisation", id: id.uuidString,
                    before: ["megabytes": before.map(String.init) ?? "default"],
                    after: ["megabytes": megabytes.map(String.init) ?? "default"]),
                context: context, at: now, on: sql)
        }
        return req.seeOther(.organisation(id), notice: Notices.mailboxSizeSaved)
    }

    private func renderMailboxSize(
        _ req: Request, _ organisation: Organisation, typed: String, errors: ValidationErrors
    ) async throws -> Response {
        let id = try organisation.requireID()
        let fallback = req.settings.defaultMailboxMB
        return try await req.render(
            "organisations/mailbox-size",
            req.chrome("How large may each mailbox be?", backLink: SiteURL.organisation(id).path, errors: errors),
            MailboxSizePage(
                name: organisation.name, size: typed, serviceDefault: MailboxSize.describe(megabytes: fallback),
                action: SiteURL.organisationMailboxSize(id).path, cancelURL: SiteURL.organisation(id).path,
                fieldErrors: errors.byField),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    /// The organisation page's line about mailbox size.
    static func mailboxSize(_ organisation: Organisation, settings: Settings, canChange: Bool) throws -> Detail {
        let fallback = settings.defaultMailboxMB
        let value =
            organisation.mailQuotaMB.map { MailboxSize.describe(megabytes: $0) }
            ?? "\(MailboxSize.describe(megabytes: fallback)) (the service default)"
        return Detail(
            key: "Mailbox size", value: value,
            href: canChange ? SiteURL.organisationMailboxSize(try organisation.requireID()).path : nil)
    }
}
