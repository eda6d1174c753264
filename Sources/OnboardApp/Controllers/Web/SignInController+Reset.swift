import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Self-service reset: a code texted to the registered mobile, then a new password. Every address gets the
/// same answer, so the page tells nobody which addresses have accounts. The second factor is still asked
/// for afterwards: a phone alone never opens a staff account.
extension SignInController {
    struct ForgottenPage: Encodable {
        let address: String
        let fieldErrors: [String: String]
    }

    struct ForgottenForm: Content {
        var address: String?
        var code: String?
    }

    /// How long after a mobile number changes before texts to it can reset the password.
    static let mobileChangeHold: TimeInterval = 24 * 3600

    func forgottenPage(req: Request) async throws -> Response {
        try await req.render(
            "signin/forgotten", req.chrome("Reset your password", backLink: SiteURL.signIn.path),
            ForgottenPage(address: "", fieldErrors: [:]))
    }

    func sendResetCode(req: Request) async throws -> Response {
        let address = Identifiers.normaliseEmail(try req.content.decode(ForgottenForm.self).address ?? "")
        guard Identifiers.isValidEmail(address) else {
            var errors = ValidationErrors()
            errors.add(
                "address",
                address.isEmpty
                    ? "Enter your email address" : "Enter an email address in the correct format, like name@nhs.net")
            return try await req.render(
                "signin/forgotten", req.chrome("Reset your password", backLink: SiteURL.signIn.path, errors: errors),
                ForgottenPage(address: address, fieldErrors: errors.byField))
        }
        let now = req.now
        var context = req.auditContext
        if let account = try await SignInService.account(forAddress: address, on: req.db),
            let summary = try await AccountStore.summary(try account.requireID(), on: req.sql),
            [.active, .inactive, .locked].contains(summary.accountState), let mobile = summary.mobile,
            account.mobileChangedAt.map({ now.timeIntervalSince($0) >= Self.mobileChangeHold }) ?? true
        {
            context.actorAccountID = summary.id
            let audit = context
            do {
                try await req.inTransaction { sql in
                    try await AccountService.textCode(
                        account: summary.id, purpose: .reset, mobile: mobile, details: ["by": "account holder"],
                        context: audit, now: now, on: sql)
                }
            } catch is ValidationErrors {
                // Over the text caps: the same page as always, so the caps reveal nothing either.
            }
        }
        return try await renderResetCode(req, address: address, errors: ValidationErrors())
    }

    private func renderResetCode(_ req: Request, address: String, errors: ValidationErrors) async throws -> Response {
        try await req.render(
            "signin/forgotten-code",
            req.chrome("Enter the security code", backLink: SiteURL.forgotten.path, errors: errors),
            ForgottenPage(address: address, fieldErrors: errors.byField))
    }

    func resetWithCode(req: Request) async throws -> Response {
        let form = try req.content.decode(ForgottenForm.self)
        let address = Identifiers.normaliseEmail(form.address ?? "")
        let typed = SecurityCode.normalise(form.code ?? "")
        var errors = ValidationErrors()
        guard !typed.isEmpty else {
            errors.add("code", "Enter the security code from the text message")
            return try await renderResetCode(req, address: address, errors: errors)
        }
        let key = req.settings.sessionSecretForCodes
        let now = req.now
        guard let account = try await SignInService.account(forAddress: address, on: req.db), let accountID = account.id
        else {
            errors.add("code", AccountService.message(for: .wrong(remaining: SecurityCode.triesPerCode - 1)))
            return try await renderResetCode(req, address: address, errors: errors)
        }
        let context = req.auditContext.actor(accountID)
        let verdict = try await req.inTransaction { sql in
            let (verdict, _) = try await AccountService.checkCodeAudited(
                typed, account: accountID, purpose: .reset, by: "account holder", key: key, context: context, now: now,
                on: sql)
            if verdict == .accepted {
                // The phone proved it is them: the lock goes, and activation's code counts as confirmed.
                try await sql.raw(
                    """
                    UPDATE accounts SET failed_sign_ins = 0, lock_count = 0, locked_until = NULL,
                        code_confirmed_at = COALESCE(code_confirmed_at, \(bind: now))
                    WHERE id = \(bind: accountID)
                    """
                ).run()
            }
            return verdict
        }
        guard verdict == .accepted else {
            errors.add("code", AccountService.message(for: verdict))
            return try await renderResetCode(req, address: address, errors: errors)
        }
        if account.state == .locked {
            try await req.inTransaction { sql in
                try await AccountService.transition(
                    accountID, from: .locked, on: .unlock, context: context, now: now, reason: "reset by text", on: sql)
            }
        }
        let response = req.redirect(to: SiteURL.signInContinue.path)
        try await req.db.transaction { db in
            // The same steps as a temporary password: the AUP if owed, a new password, then the second factor.
            _ = try await SessionStore(req: req).startRecord(
                accountID: accountID, level: .password, stage: .temporary, response: response, on: db)
        }
        return response
    }
}
