import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// A person's own security: an authenticator app (anyone may add one; staff already have one), and a new
/// mobile number, confirmed by a code sent to it.
extension OwnAccountController {
    func authenticatorPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        guard let account = try await Account.find(principal.accountID, on: req.db) else { throw Abort(.notFound) }
        if account.totpEnrolledAt != nil {
            return try await req.render(
                "account/authenticator", req.chrome("Your authenticator app", notice: req.notice), NoContent())
        }
        let secret = try await req.signIn.authenticatorSecret(
            for: account, secrets: req.application.dependencies.secrets)
        return try await renderSetup(req, secret: secret, address: account.address, errors: ValidationErrors())
    }

    private func renderSetup(_ req: Request, secret: [UInt8], address: String, errors: ValidationErrors) async throws
        -> Response
    {
        try await SignInController.renderSetup(
            req, secret: secret, address: address, action: SiteURL.ownAuthenticator.path, errors: errors)
    }

    struct CodeForm: Content {
        var code: String?
        var mobile: String?
    }

    func addAuthenticator(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        guard let account = try await Account.find(principal.accountID, on: req.db), account.totpEnrolledAt == nil,
            let sealed = account.totpSecret, let secret = SecondFactor.open(sealed, settings: req.settings)
        else { return req.redirect(to: SiteURL.ownAuthenticator.path) }
        let typed = try req.content.decode(CodeForm.self).code ?? ""
        guard
            let codes = try await req.signIn.confirmAuthenticator(
                typed, secret: secret, account: account, session: nil, secrets: req.application.dependencies.secrets)
        else {
            var errors = ValidationErrors()
            errors.add("code", "The code is not right. Check the app shows this account, and enter the newest code")
            return try await renderSetup(req, secret: secret, address: account.address, errors: errors)
        }
        return try await req.render(
            "signin/recovery-codes", req.chrome("Save your recovery codes"),
            SignInController.RecoveryPage(codes: codes, continueURL: SiteURL.home.path))
    }

    // MARK: mobile number

    struct MobilePage: Encodable {
        let mobile: String
        let current: String
        let fieldErrors: [String: String]
    }

    func mobilePage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await renderMobile(req, principal: principal, typed: "", errors: ValidationErrors())
    }

    private func renderMobile(_ req: Request, principal: Principal, typed: String, errors: ValidationErrors)
        async throws -> Response
    {
        let current = try await AccountStore.summary(principal.accountID, on: req.sql)?.mobile
        return try await req.render(
            "account/mobile", req.chrome("Change your mobile number", errors: errors),
            MobilePage(
                mobile: typed, current: current.map(Identifiers.displayUKMobile) ?? "none", fieldErrors: errors.byField)
        )
    }

    func sendMobileCode(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let typed = try req.content.decode(CodeForm.self).mobile ?? ""
        guard let mobile = Identifiers.normaliseUKMobile(typed) else {
            var errors = ValidationErrors()
            errors.add(
                "mobile",
                typed.tidied.isEmpty ? "Enter your new mobile number" : "Enter a UK mobile number, like 07700 900123")
            return try await renderMobile(req, principal: principal, typed: typed, errors: errors)
        }
        let context = req.auditContext
        let now = req.now
        let id = principal.accountID
        do {
            try await req.inTransaction { sql in
                try await AccountService.textCode(
                    account: id, purpose: .mobile, mobile: mobile, details: ["to": AccountService.masked(mobile)],
                    context: context, now: now, on: sql)
            }
        } catch let errors as ValidationErrors {
            return try await renderMobile(req, principal: principal, typed: typed, errors: errors)
        }
        return try await req.render(
            "account/mobile-code", req.chrome("Enter the security code"),
            MobilePage(mobile: Identifiers.displayUKMobile(mobile), current: "", fieldErrors: [:]))
    }

    func confirmMobile(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let typed = SecurityCode.normalise(try req.content.decode(CodeForm.self).code ?? "")
        let key = req.settings.sessionSecretForCodes
        let context = req.auditContext
        let now = req.now
        let id = principal.accountID
        let old = try await AccountStore.summary(id, on: req.sql)
        let (verdict, mobile) = try await req.inTransaction { sql -> (SecurityCode.Verdict, String?) in
            let (verdict, mobile) = try await AccountService.checkCodeAudited(
                typed, account: id, purpose: .mobile, by: "account holder", key: key, context: context, now: now,
                on: sql)
            guard verdict == .accepted, let mobile, let old else { return (verdict, mobile) }
            try await sql.raw(
                "UPDATE people SET mobile = \(bind: mobile) WHERE id = (SELECT person_id FROM accounts WHERE id = \(bind: id))"
            ).run()
            try await sql.raw("UPDATE accounts SET mobile_changed_at = \(bind: now) WHERE id = \(bind: id)").run()
            if let previous = old.mobile {
                try await Outbox.enqueue(
                    .mobileChanged, to: previous, fields: ["name": old.givenName], account: id, now: now, on: sql)
            }
            try await AuditLog.record(
                AuditEntry(
                    "account.mobile_changed", target: "account", id: id.uuidString,
                    before: ["mobile": old.mobile.map(AccountService.masked) ?? ""],
                    after: ["mobile": AccountService.masked(mobile), "by": "account holder"]),
                context: context, at: now, on: sql)
            return (verdict, mobile)
        }
        guard verdict == .accepted else {
            var errors = ValidationErrors()
            errors.add(
                "code",
                typed.isEmpty ? "Enter the security code from the text message" : AccountService.message(for: verdict))
            return try await req.render(
                "account/mobile-code", req.chrome("Enter the security code", errors: errors),
                MobilePage(
                    mobile: mobile.map(Identifiers.displayUKMobile) ?? "", current: "", fieldErrors: errors.byField))
        }
        return req.seeOther(.home, notice: Notices.mobileChanged)
    }
}
