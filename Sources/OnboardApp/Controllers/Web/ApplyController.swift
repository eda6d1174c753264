import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The applicant's journey: email and code, the form one page at a time, check your answers, submit.
/// The draft is found by a cookie that holds a random token (its hash is stored); the tracking link sent by
/// email can restore it in another browser.
struct ApplyController {
    static let cookieName = "__Host-onboard-application"

    struct StartPage: Encodable {
        let kind: String
        let kindName: String
        let action: String
        let email: String
        let needs: [String]
        /// Answers the guided start already has, sent on with the email so they are not asked again.
        let carried: [Carried]
    }

    struct Carried: Encodable {
        let name: String
        let value: String
    }

    struct VerifyPage: Encodable {
        let email: String
        let reference: String
    }

    struct MessagePage: Encodable {
        let heading: String
        let paragraphs: [String]
        let linkText: String?
        let linkURL: String?
    }

    // MARK: Finding the draft

    func current(_ req: Request) async throws -> ApplicationRow? {
        guard let token = req.cookies[Self.cookieName]?.string, !token.isEmpty else { return nil }
        return try await ApplicationStore.load(
            where: "a.resume_hash = \(bind: SecretHash.sha256Hex(token))", on: req.sql)
    }

    /// The draft in this browser, or back to the start: nothing here works without one.
    func draft(_ req: Request, verified: Bool = true) async throws -> ApplicationRow {
        guard let row = try await current(req), row.applicationState == .draft else {
            throw Abort.redirect(to: SiteURL.join.path)
        }
        if verified, !row.isVerified { throw Abort.redirect(to: SiteURL.applyVerify.path) }
        return row
    }

    static func cookie(_ token: String) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: token, expires: nil, maxAge: 30 * 24 * 3600, domain: nil, path: "/", isSecure: true,
            isHTTPOnly: true,
            sameSite: .lax)
    }

    // MARK: Start

    static func needs(_ kind: ApplicationKind) -> [String] {
        switch kind {
        case .nhsOrganisation, .nonNHSOrganisation:
            [
                "a description of the NHS-funded care you deliver and who commissions it",
                "how many accounts you need and how you will manage them",
                "the name and email of your first Local Administrator",
                "a signatory who can accept the Acceptable Use Policy for the organisation",
            ]
        case .optometrist, .dentist:
            [
                "your practice's ODS code",
                "your \(kind == .optometrist ? "GOC" : "GDC") number, if you are registered",
                "a UK mobile number",
            ]
        case .communityPharmacy:
            [
                "the premises ODS code and GPhC premises number",
                "the names and UK mobile numbers of staff who need accounts",
            ]
        case .pharmacyMultiple:
            ["your head office's ODS code", "how many stores will provide the service", "a UK mobile number"]
        case .careHome:
            [
                "the home's CQC location ID", "the registered manager's name",
                "the ODS code of the local authority or commissioner",
            ]
        }
    }

    func startPage(req: Request) async throws -> Response {
        let kind = try kindParameter(req)
        var given: [String: String] = [:]
        for item in URLComponents(string: req.url.string)?.queryItems ?? [] {
            if let value = item.value { given[item.name] = String(value.prefix(100)) }
        }
        return try await renderStart(
            req, kind: kind, email: "", carried: try await req.applicationForms.carried(given, kind: kind),
            errors: .init())
    }

    private func kindParameter(_ req: Request) throws -> ApplicationKind {
        guard let kind = PathParameter.kind.value(in: req).flatMap(ApplicationKind.init(rawValue:)) else {
            throw Abort(.notFound)
        }
        return kind
    }

    private func renderStart(
        _ req: Request, kind: ApplicationKind, email: String, carried: [String: String], errors: ValidationErrors
    ) async throws -> Response {
        try await req.render(
            "apply/start",
            req.chrome("Apply to join: \(kind.displayName)", backLink: SiteURL.join.path, errors: errors),
            StartPage(
                kind: kind.rawValue, kindName: kind.displayName, action: SiteURL.apply(kind.rawValue).path,
                email: email,
                needs: Self.needs(kind),
                carried: carried.sorted { $0.key < $1.key }.map { Carried(name: $0.key, value: $0.value) }),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    /// The guided start's answers this kind's form accepts, from the start page's address or its form.
    func start(req: Request) async throws -> Response {
        let kind = try kindParameter(req)
        let form = (try? req.content.decode([String: String].self)) ?? [:]
        let email = form["email"] ?? ""
        let forms = req.applicationForms
        let carried = try await forms.carried(form, kind: kind)
        let outcome: ApplicationService.StartOutcome
        do {
            outcome = try await ApplicationService(req: req).start(
                kind: kind, email: email, answers: try await forms.filledFromRecord(carried, kind: kind))
        } catch let errors as ValidationErrors {
            return try await renderStart(req, kind: kind, email: email, carried: carried, errors: errors)
        }
        switch outcome {
        case .hasAccount:
            return try await req.render(
                "apply/message", req.chrome("You already have an account", backLink: SiteURL.apply(kind.rawValue).path),
                MessagePage(
                    heading: "You already have an account",
                    paragraphs: [
                        "That email address belongs to an account on the service, so you do not need to apply.",
                        "If you have moved to a new organisation, ask its Local Administrator to accept you as a joiner. "
                            + "You keep your address.",
                        "If you cannot reach them, contact the national helpdesk: \(req.settings.nationalHelpdesk).",
                    ], linkText: nil, linkURL: nil))
        case .started(_, let token):
            let response = req.redirect(to: SiteURL.applyVerify.path, redirectType: .normal)
            response.cookies[Self.cookieName] = Self.cookie(token)
            return response
        }
    }

    // MARK: Email code

    func verifyPage(req: Request) async throws -> Response {
        let row = try await draft(req, verified: false)
        if row.isVerified { return req.redirect(to: try await nextURL(req, row)) }
        return try await renderVerify(req, row: row, errors: .init())
    }

    private func renderVerify(_ req: Request, row: ApplicationRow, errors: ValidationErrors, notice: String? = nil)
        async throws -> Response
    {
        try await req.render(
            "apply/verify",
            req.chrome("Check your email", backLink: SiteURL.apply(row.kind).path, errors: errors, notice: notice),
            VerifyPage(email: row.applicantEmail, reference: row.reference),
            status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    func verify(req: Request) async throws -> Response {
        let row = try await draft(req, verified: false)
        struct Form: Decodable { let code: String? }
        do {
            try await ApplicationService(req: req).verify(row, code: try req.content.decode(Form.self).code ?? "")
        } catch let errors as ValidationErrors {
            return try await renderVerify(req, row: row, errors: errors)
        }
        guard let fresh = try await ApplicationStore.load(id: row.id, on: req.sql) else { throw Abort(.notFound) }
        return req.redirect(to: try await nextURL(req, fresh), redirectType: .normal)
    }

    func resend(req: Request) async throws -> Response {
        let row = try await draft(req, verified: false)
        try await ApplicationService(req: req).sendCode(
            id: row.id, email: row.applicantEmail, reference: row.reference)
        return try await renderVerify(req, row: row, errors: .init(), notice: "We have sent a new code")
    }
}
