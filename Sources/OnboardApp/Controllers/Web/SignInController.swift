import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Signing in, and the steps that can follow the password: the security code, the AUP, a new password and
/// the second factor (DOMAIN.md, "Accounts"). Each step is its own page; `/sign-in/continue` sends the
/// person to the next one they still owe.
struct SignInController {
    struct SignInForm: Content {
        var email: String?
        var password: String?
        var next: String?
    }

    func signIn(req: Request) async throws -> Response {
        let form = try req.content.decode(SignInForm.self)
        let email = (form.email ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let password = form.password ?? ""
        let next = PublicController().safeNext(form.next ?? "")
        var errors = ValidationErrors()
        if email.isEmpty { errors.add("email", "Enter your email address") }
        if password.isEmpty { errors.add("password", "Enter your password") }
        if errors.isEmpty {
            if let response = try await attempt(req: req, email: email, password: password, next: next, errors: &errors)
            {
                return response
            }
        }
        return try await req.render(
            "sign-in", req.chrome("Sign in", errors: errors),
            PublicController.SignInPage(email: email, next: next, fieldErrors: errors.byField))
    }

    /// One sign-in attempt; the lock is only mentioned to someone who gave the right password.
    private func attempt(
        req: Request, email: String, password: String, next: String, errors: inout ValidationErrors
    ) async throws -> Response? {
        let service = req.signIn
        switch try await service.checkPassword(password, address: email, channel: .web) {
        case .accepted(let account, let temporary):
            let response = Response(status: .seeOther)
            let sessions = SessionStore(req: req)
            let accountID = try account.requireID()
            let pending = try await service.startSession(account, temporary: temporary) { db in
                try await sessions.startRecord(
                    accountID: accountID, level: .password, stage: temporary ? .temporary : .password,
                    response: response, on: db)
            }
            // Straight on when nothing more is owed; otherwise to the first step.
            let target: String
            if let step = try await service.nextStep(pending, account: account) {
                target = step.url.path + Self.nextQuery(next)
            } else {
                try await service.complete(pending)
                target = next.isEmpty ? SiteURL.home.path : next
            }
            response.headers.replaceOrAdd(name: .location, value: target)
            return response
        case .refused(let account, let reason, let lockedUntil):
            await SecurityEvents.record(.signInFailed, account: account?.id, attempted: email, detail: reason, on: req)
            if let until = lockedUntil {
                errors.add(
                    "email",
                    "Your account is locked after too many wrong passwords. Try again after \(LondonTime.receipt(until)), "
                        + "or ask your administrator to unlock it")
            } else {
                errors.add("email", PublicController.failureMessage)
            }
            return nil
        }
    }

    static func nextQuery(_ next: String) -> String {
        guard !next.isEmpty, let encoded = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
        else { return "" }
        return "?next=" + encoded
    }

    // MARK: the steps

    private func pending(_ req: Request) async throws -> (PendingSignIn, Account)? {
        guard let pending = req.pendingSignIn, let account = try await Account.find(pending.accountID, on: req.db)
        else { return nil }
        return (pending, account)
    }

    /// The pending sign-in, when the step it owes next is `step`.
    private func pending(_ req: Request, owing step: SignInService.Step) async throws -> (PendingSignIn, Account)? {
        guard let (pending, account) = try await pending(req),
            try await req.signIn.nextStep(pending, account: account) == step
        else { return nil }
        return (pending, account)
    }

    private func nextParameter(_ req: Request) -> String {
        PublicController().safeNext((try? req.query.get(String.self, at: "next")) ?? "")
    }

    private func onward(_ req: Request) -> Response {
        req.redirect(to: SiteURL.signInContinue.path + Self.nextQuery(nextParameter(req)))
    }

    func continueSignIn(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        let next = nextParameter(req)
        if let step = try await req.signIn.nextStep(pending, account: account) {
            return req.redirect(to: step.url.path + Self.nextQuery(next))
        }
        try await req.signIn.complete(pending)
        if pending.stage == .activated { return req.redirect(to: SiteURL.welcome.path) }
        return req.redirect(to: next.isEmpty ? SiteURL.home.path : next)
    }

    struct StepPage: Encodable {
        let next: String
        let mobileEnding: String
        let fieldErrors: [String: String]
    }

    // MARK: security code

    func codePage(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        guard try await req.signIn.nextStep(pending, account: account) == .code else {
            return req.redirect(to: SiteURL.signInContinue.path)
        }
        return try await renderCode(req, account: account, errors: ValidationErrors())
    }

    private func renderCode(_ req: Request, account: Account, errors: ValidationErrors) async throws -> Response {
        let person = try await account.$person.get(on: req.db)
        return try await req.render(
            "signin/code", req.chrome("Enter the security code", errors: errors, notice: req.notice),
            StepPage(
                next: nextParameter(req), mobileEnding: String((person.mobile ?? "").suffix(3)),
                fieldErrors: errors.byField))
    }

    struct CodeForm: Content { var code: String? }

    func code(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        let typed = SecurityCode.normalise(try req.content.decode(CodeForm.self).code ?? "")
        var errors = ValidationErrors()
        guard !typed.isEmpty else {
            errors.add("code", "Enter the security code from the text message")
            return try await renderCode(req, account: account, errors: errors)
        }
        let verdict = try await req.signIn.confirmActivationCode(typed, pending)
        guard verdict == .accepted else {
            errors.add("code", AccountService.message(for: verdict))
            return try await renderCode(req, account: account, errors: errors)
        }
        return onward(req)
    }

    func resendCode(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        guard let summary = try await AccountStore.summary(pending.accountID, on: req.sql) else {
            throw Abort(.notFound)
        }
        do {
            let context = req.auditContext.actor(pending.accountID)
            let now = req.now
            try await req.inTransaction { sql in
                guard let mobile = summary.mobile else { return }
                try await AccountService.textCode(
                    account: summary.id, purpose: .activation, mobile: mobile, details: ["by": "account holder"],
                    context: context, now: now, on: sql)
            }
        } catch let errors as ValidationErrors {
            return try await renderCode(req, account: account, errors: errors)
        }
        return req.seeOther(.signInCode, notice: Notices.newCodeSent)
    }

    // MARK: acceptable use

    struct AUPPage: Encodable {
        let aup: SignInService.AUPRow?
        let next: String
        let fieldErrors: [String: String]
    }

    func aupPage(req: Request) async throws -> Response {
        guard try await pending(req) != nil else { return req.redirect(to: SiteURL.signIn.path) }
        return try await renderAUP(req, errors: ValidationErrors())
    }

    private func renderAUP(_ req: Request, errors: ValidationErrors) async throws -> Response {
        try await req.render(
            "signin/acceptable-use", req.chrome("Accept the acceptable use policy", errors: errors),
            AUPPage(
                aup: try await SignInService.currentAUP(on: req.sql), next: nextParameter(req),
                fieldErrors: errors.byField))
    }

    struct AUPForm: Content { var accept: String? }

    func acceptAUP(req: Request) async throws -> Response {
        guard let (pending, _) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        guard try req.content.decode(AUPForm.self).accept == "yes" else {
            var errors = ValidationErrors()
            errors.add("accept", "Confirm that you accept the acceptable use policy to continue")
            return try await renderAUP(req, errors: errors)
        }
        try await req.signIn.acceptAUP(pending)
        return onward(req)
    }

    // MARK: new password

    func newPasswordPage(req: Request) async throws -> Response {
        guard try await pending(req, owing: .newPassword) != nil else {
            return req.redirect(to: SiteURL.signInContinue.path)
        }
        return try await req.render(
            "signin/new-password", req.chrome("Create your password"),
            StepPage(next: nextParameter(req), mobileEnding: "", fieldErrors: [:]))
    }

    struct PasswordForm: Content {
        var password: String?
        var confirm: String?
    }

    func setNewPassword(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req, owing: .newPassword) else {
            return req.redirect(to: SiteURL.signInContinue.path)
        }
        let form = try req.content.decode(PasswordForm.self)
        let person = try await account.$person.get(on: req.db)
        let service = req.signIn
        switch try await service.checkNewPassword(
            form.password ?? "", confirm: form.confirm ?? "", account: pending.accountID, person: person)
        {
        case .failure(let errors):
            return try await req.render(
                "signin/new-password", req.chrome("Create your password", errors: errors),
                StepPage(next: nextParameter(req), mobileEnding: "", fieldErrors: errors.byField))
        case .success(let password):
            try await service.setPassword(password, pending, account: account, person: person)
            return onward(req)
        }
    }

    // MARK: second factor

    struct SetupPage: Encodable {
        let secret: String
        let link: String
        let action: String
        let fieldErrors: [String: String]
    }

    func setupPage(req: Request) async throws -> Response {
        guard let (_, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        guard account.totpEnrolledAt == nil else { return req.redirect(to: SiteURL.signInContinue.path) }
        let secret = try await req.signIn.authenticatorSecret(
            for: account, secrets: req.application.dependencies.secrets)
        return try await renderSetup(req, secret: secret, address: account.address, errors: ValidationErrors())
    }

    private func renderSetup(_ req: Request, secret: [UInt8], address: String, errors: ValidationErrors) async throws
        -> Response
    {
        try await Self.renderSetup(
            req, secret: secret, address: address,
            action: SiteURL.signInAuthenticatorSetup.path + Self.nextQuery(nextParameter(req)), errors: errors)
    }

    /// The set-up page for an authenticator app, at sign-in or from one's own account.
    static func renderSetup(
        _ req: Request, secret: [UInt8], address: String, action: String, errors: ValidationErrors
    ) async throws -> Response {
        try await req.render(
            "signin/authenticator-setup", req.chrome("Set up your authenticator app", errors: errors),
            SetupPage(
                secret: Base32.grouped(Base32.encode(secret)),
                link: TOTP(secret: secret).provisioningURI(account: address, issuer: "NHSmail Onboard"),
                action: action, fieldErrors: errors.byField))
    }

    struct RecoveryPage: Encodable {
        let codes: [String]
        let continueURL: String
    }

    func confirmSetup(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req), account.totpEnrolledAt == nil,
            let sealed = account.totpSecret, let secret = SecondFactor.open(sealed, settings: req.settings)
        else { return req.redirect(to: SiteURL.signInContinue.path) }
        let typed = try req.content.decode(CodeForm.self).code ?? ""
        guard
            let codes = try await req.signIn.confirmAuthenticator(
                typed, secret: secret, account: account, session: pending.sessionID,
                secrets: req.application.dependencies.secrets)
        else {
            var errors = ValidationErrors()
            errors.add(
                "code",
                typed.isEmpty
                    ? "Enter the 6-digit code from your authenticator app"
                    : "The code is not right. Check the app shows this account, and enter the newest code")
            return try await renderSetup(req, secret: secret, address: account.address, errors: errors)
        }
        // Shown once, on this response only: there is no page that shows them again.
        return try await req.render(
            "signin/recovery-codes", req.chrome("Save your recovery codes"),
            RecoveryPage(codes: codes, continueURL: SiteURL.signInContinue.path + Self.nextQuery(nextParameter(req))))
    }

    func authenticatorPage(req: Request) async throws -> Response {
        guard try await pending(req) != nil else { return req.redirect(to: SiteURL.signIn.path) }
        return try await req.render(
            "signin/authenticator", req.chrome("Enter the code from your authenticator app"),
            StepPage(next: nextParameter(req), mobileEnding: "", fieldErrors: [:]))
    }

    func authenticator(req: Request) async throws -> Response {
        guard let (pending, account) = try await pending(req) else { return req.redirect(to: SiteURL.signIn.path) }
        let typed = (try req.content.decode(CodeForm.self).code ?? "").trimmingCharacters(in: .whitespaces)
        let outcome = try await req.signIn.checkSecondFactor(
            typed, pending, account: account, newToken: req.application.dependencies.secrets.token())
        switch outcome {
        case .accepted(let newToken):
            let response = onward(req)
            response.cookies[SessionCookie.name] = SessionCookie.make(
                newToken, maxAge: Int(SessionPolicy.standard.absoluteLimit))
            return response
        case .locked:
            return endedSignIn(req)
        case .ended:
            await SecurityEvents.record(.secondFactorRefused, account: pending.accountID, on: req)
            return endedSignIn(req)
        case .refused:
            await SecurityEvents.record(.secondFactorRefused, account: pending.accountID, on: req)
            var errors = ValidationErrors()
            errors.add(
                "code",
                typed.isEmpty
                    ? "Enter the 6-digit code from your authenticator app"
                    : "The code is not right, or has been used already. Wait for the next code and enter it")
            return try await req.render(
                "signin/authenticator", req.chrome("Enter the code from your authenticator app", errors: errors),
                StepPage(next: nextParameter(req), mobileEnding: "", fieldErrors: errors.byField))
        }
    }

    /// A sign-in that may go no further (too many wrong codes, or a lock): the password is asked again.
    private func endedSignIn(_ req: Request) -> Response {
        let response = req.seeOther(.signIn, notice: Notices.tooManyCodes)
        response.cookies[SessionCookie.name] = SessionCookie.expired
        return response
    }

    // MARK: welcome

    struct WelcomePage: Encodable {
        let address: String
        let guidance: [Guidance.Item]
    }

    func welcome(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        guard let account = try await Account.find(principal.accountID, on: req.db) else { throw Abort(.notFound) }
        let guidance = try await Guidance.items(for: ["everyone", "users"], on: req.sql)
        return try await req.render(
            "signin/welcome", req.chrome("Welcome to NHSmail"),
            WelcomePage(address: account.address, guidance: guidance))
    }
}

extension SignInService.Step {
    var url: SiteURL {
        switch self {
        case .code: .signInCode
        case .acceptableUse: .signInAcceptableUse
        case .newPassword: .signInNewPassword
        case .setUpAuthenticator: .signInAuthenticatorSetup
        case .authenticator: .signInAuthenticator
        }
    }
}
