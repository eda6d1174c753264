import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// "Your API tokens": people make, name, list and revoke their own. Making one needs the second factor
/// checked in the last five minutes; the token is shown once, on the response that made it.
struct TokensController {
    struct TokenRow: Encodable {
        let name: String
        let created: String
        let expires: String
        let lastUsed: String
        let access: String
        let status: String
        let statusColour: String
        let revokeAction: String?
    }

    struct ListPage: Encodable {
        let tokens: [TokenRow]
        let hasTokens: Bool
    }

    func list(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let now = req.now
        let rows = try await APITokens.list(for: principal.accountID, on: req.sql)
        return try await req.render(
            "account/tokens",
            req.chrome(
                "Your API tokens", breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)], notice: req.notice),
            ListPage(
                tokens: rows.map { row in
                    let expired = row.expiresAt.map { $0 <= now } ?? true
                    let status =
                        row.revokedAt != nil
                        ? ("Revoked", "grey") : expired ? ("Expired", "grey") : ("Active", "green")
                    var access = row.readOnly ? "Read only" : "Read and change"
                    if let name = row.organisationName { access += ", \(name) only" }
                    return TokenRow(
                        name: row.name, created: Format.date(row.createdAt),
                        expires: row.expiresAt.map(Format.date) ?? "Never set",
                        lastUsed: row.lastUsedAt.map(Format.dateTime) ?? "Not used", access: access,
                        status: status.0, statusColour: status.1,
                        revokeAction: status.0 == "Active"
                            ? SiteURL.ownTokenRevoke(row.id).path : nil)
                }, hasTokens: !rows.isEmpty))
    }

    struct NewForm: Content {
        var name: String?
        var days: String?
        var access: String?
        var organisation: String?
        var code: String?
    }

    struct NewPage: Encodable {
        let name: String
        let days: String
        let readOnly: Bool
        let change: Bool
        let organisation: String
        let narrowable: Bool
        let needsCode: Bool
        let hasAuthenticator: Bool
        let maximumDays: Int
        let fieldErrors: [String: String]
    }

    func newPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await render(req, principal, NewForm(days: String(APITokens.defaultDays), access: "read"), .init())
    }

    private func render(_ req: Request, _ principal: Principal, _ form: NewForm, _ errors: ValidationErrors)
        async throws -> Response
    {
        let enrolled = try await hasAuthenticator(req, principal)
        return try await req.render(
            "account/token-new",
            req.chrome(
                "Make an API token",
                breadcrumbs: [
                    .init(text: "Home", href: SiteURL.home.path),
                    .init(text: "Your API tokens", href: SiteURL.ownTokens.path),
                ], errors: errors),
            NewPage(
                name: form.name ?? "", days: form.days ?? "", readOnly: form.access == "read",
                change: form.access == "change", organisation: form.organisation ?? "",
                narrowable: APITokens.narrowable(principal), needsCode: try await !factorIsRecent(req),
                hasAuthenticator: enrolled, maximumDays: APITokens.maximumDays, fieldErrors: errors.byField)
        ).encodeResponse(for: req)
    }

    private func hasAuthenticator(_ req: Request, _ principal: Principal) async throws -> Bool {
        try await Account.find(principal.accountID, on: req.db)?.totpEnrolledAt != nil
    }

    /// Whether this session's second factor was checked in the last five minutes.
    private func factorIsRecent(_ req: Request) async throws -> Bool {
        guard let session = req.principal?.sessionID else { return false }
        struct Row: Decodable { let factorAt: Date? }
        let row = try await req.sql.raw("SELECT factor_at FROM sessions WHERE id = \(bind: session)")
            .firstRow(Row.self)
        guard let at = row?.factorAt else { return false }
        return req.now.timeIntervalSince(at) <= APITokens.factorWindow
    }

    struct CreatedPage: Encodable {
        let name: String
        let token: String
        let expires: String
    }

    func create(req: Request, principal: Principal) async throws -> Response {
        let form = try req.content.decode(NewForm.self)
        let (request, validation) = try await APITokens.validate(
            name: form.name, days: form.days, access: form.access, organisation: form.organisation,
            principal: principal, on: req.sql)
        var errors = validation
        let now = req.now
        if try await !factorIsRecent(req) {
            guard let account = try await Account.find(principal.accountID, on: req.db), account.totpEnrolledAt != nil
            else {
                errors.add("code", "Set up an authenticator app before you make a token")
                return try await render(req, principal, form, errors)
            }
            let typed = (form.code ?? "").trimmingCharacters(in: .whitespaces)
            if typed.isEmpty {
                errors.add("code", "Enter the 6-digit code from your authenticator app")
            } else if errors.errors.isEmpty {
                if try await SecondFactor.verify(
                    typed, account: account, settings: req.settings, now: now, on: req.sql),
                    let session = principal.sessionID
                {
                    try await req.sql.raw("UPDATE sessions SET factor_at = \(bind: now) WHERE id = \(bind: session)")
                        .run()
                } else {
                    await SecurityEvents.record(.secondFactorRefused, detail: "api token", on: req)
                    errors.add("code", "The code is not right, or has been used already. Enter the newest code")
                }
            }
        }
        guard errors.errors.isEmpty else {
            var again = form
            again.code = nil
            return try await render(req, principal, again, errors)
        }
        let secrets = req.application.dependencies.secrets
        let context = req.auditContext
        let made = try await req.inTransaction { sql in
            try await APITokens.create(
                request, principal: principal, secrets: secrets, context: context, now: now, on: sql)
        }
        let response = try await req.render(
            "account/token-created", req.chrome("Your new API token"),
            CreatedPage(
                name: request.name, token: made.token,
                expires: Format.date(now.addingTimeInterval(Double(request.days) * 86_400)))
        ).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    func revoke(req: Request, principal: Principal) async throws -> Response {
        guard let id = PathParameter.id.value(in: req) else { throw Abort(.notFound) }
        let context = req.auditContext
        let now = req.now
        let revoked = try await req.inTransaction { sql in
            try await APITokens.revoke(id, of: principal.accountID, context: context, now: now, on: sql)
        }
        guard revoked else { throw Abort(.notFound) }
        return req.seeOther(.ownTokens, notice: Notices.tokenRevoked)
    }
}
