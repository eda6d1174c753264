import Foundation
import Vapor

/// Dovecot's questions to Onboard (docs/mail.md): a login, and a mailbox lookup. Only the mail server may
/// ask: without its shared secret, or with no mail server set up, these addresses do not exist.
struct MailServerController {
    struct LoginBody: Content {
        var user: String?
        var password: String?
        var service: String?
    }

    struct UserBody: Content {
        var user: String?
    }

    private func authorise(_ req: Request) throws -> MailServerSettings {
        guard let settings = req.settings.mailServer,
            DeliveryReceiptsController.matches(
                req.headers.first(name: "X-Onboard-Mail-Secret") ?? "", settings.authSecret)
        else { throw Abort(.notFound) }
        return settings
    }

    func login(req: Request) async throws -> MailLogins.Answer {
        _ = try authorise(req)
        let body = try req.content.decode(LoginBody.self)
        let user = body.user ?? ""
        let (answer, refusal) = try await req.mailLogins.login(user, password: body.password ?? "")
        if let refusal {
            let account = try await SignInService.account(forAddress: user, on: req.db)
            await SecurityEvents.record(
                .signInFailed, account: account?.id, attempted: user, detail: "mail_\(refusal)", on: req)
        }
        return answer
    }

    func user(req: Request) async throws -> MailLogins.Answer {
        _ = try authorise(req)
        let body = try req.content.decode(UserBody.self)
        return try await req.mailLogins.user(body.user ?? "") ?? .no
    }
}

extension Request {
    var mailLogins: MailLogins {
        MailLogins(
            signIn: signIn,
            directory: MailDirectory(sql: sql, defaultQuotaBytes: settings.mailServer?.quotaBytes ?? 0),
            cache: application.mailLoginCache, limiter: application.mailLoginLimiter)
    }
}
