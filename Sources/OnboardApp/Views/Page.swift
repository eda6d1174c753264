import Foundation
import Leaf
import OnboardDomain
import Vapor

/// What the layout needs on every page.
struct Chrome: Encodable {
    struct Link: Encodable {
        let text: String
        let href: String
        var current = false
    }

    struct ErrorItem: Encodable {
        let field: String
        let message: String
        /// The id of the input the summary links to.
        let anchor: String
    }

    let title: String
    let serviceName = "Onboard"
    let signedIn: Bool
    let userName: String?
    let roleName: String?
    let organisationName: String?
    let csrf: String?
    let navigation: [Link]
    var breadcrumbs: [Link] = []
    var backLink: String?
    var errors: [ErrorItem] = []
    var notice: String?
    var status = 200

    var hasErrors: Bool { !errors.isEmpty }

    enum CodingKeys: String, CodingKey {
        case title, serviceName, signedIn, userName, roleName, organisationName, csrf, navigation, breadcrumbs
        case backLink, errors, notice, hasErrors, pageTitle, status, hasBreadcrumbs
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(title, forKey: .title)
        try c.encode(hasErrors ? "Error: \(title) – Onboard" : "\(title) – Onboard", forKey: .pageTitle)
        try c.encode(serviceName, forKey: .serviceName)
        try c.encode(signedIn, forKey: .signedIn)
        try c.encodeIfPresent(userName, forKey: .userName)
        try c.encodeIfPresent(roleName, forKey: .roleName)
        try c.encodeIfPresent(organisationName, forKey: .organisationName)
        try c.encodeIfPresent(csrf, forKey: .csrf)
        try c.encode(navigation, forKey: .navigation)
        try c.encode(breadcrumbs, forKey: .breadcrumbs)
        try c.encodeIfPresent(backLink, forKey: .backLink)
        try c.encode(errors, forKey: .errors)
        try c.encode(hasErrors, forKey: .hasErrors)
        try c.encodeIfPresent(notice, forKey: .notice)
        try c.encode(status, forKey: .status)
        try c.encode(!breadcrumbs.isEmpty, forKey: .hasBreadcrumbs)
    }
}

struct PageContext<Content: Encodable>: Encodable {
    let chrome: Chrome
    let content: Content
}

struct NoContent: Encodable {}

extension Request {
    func chrome(
        _ title: String, breadcrumbs: [Chrome.Link] = [], backLink: String? = nil, errors: ValidationErrors = .init(),
        notice: String? = nil
    ) -> Chrome {
        let principal = self.principal
        return Chrome(
            title: title, signedIn: principal != nil, userName: principal?.name,
            roleName: principal?.topRole.displayName, organisationName: principal?.organisationName, csrf: csrfToken,
            navigation: navigation(for: principal), breadcrumbs: breadcrumbs, backLink: backLink,
            errors: errors.errors.map {
                Chrome.ErrorItem(field: $0.field, message: $0.message, anchor: Self.anchor(for: $0.field))
            },
            notice: notice)
    }

    static func anchor(for field: String) -> String {
        field.replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: ".", with: "-")
    }

    private func navigation(for principal: Principal?) -> [Chrome.Link] {
        guard let principal else { return [] }
        var links = [
            Chrome.Link(text: "Home", href: SiteURL.home.path),
            Chrome.Link(text: "Directory", href: SiteURL.directory.path),
        ]
        if principal.hasAny(.administrators) {
            links.append(.init(text: "Organisations", href: SiteURL.organisations.path))
        }
        if principal.hasAny(.accountHelpers) {
            links.append(.init(text: "Accounts", href: SiteURL.accounts.path))
        }
        if principal.hasAny(.accountAdministrators) {
            links.append(.init(text: "Shared mailboxes", href: SiteURL.mailboxes.path))
        }
        if principal.hasAny(.bulkUsers) {
            links.append(.init(text: "Bulk registration", href: SiteURL.bulk.path))
        }
        if principal.hasAny(.migrationUsers) {
            links.append(.init(text: "Migration", href: SiteURL.migrations.path))
        }
        if principal.hasAny(.roleGranters) {
            links.append(.init(text: "People", href: SiteURL.people.path))
        }
        if principal.hasAny(.reviewers) {
            links.append(.init(text: "Applications", href: SiteURL.applications.path))
        }
        if principal.hasAny(.programmeManagers) {
            links.append(.init(text: "Programmes", href: SiteURL.programmes.path))
        }
        if principal.has(.nationalAdmin) {
            links.append(.init(text: "Rule parameters", href: SiteURL.parameters.path))
            links.append(.init(text: "Guidance", href: SiteURL.guidance.path))
        }
        if principal.hasAny(.reportReaders) {
            links.append(.init(text: "Reports", href: SiteURL.reports.path))
        }
        if principal.hasAny(.auditReaders) {
            links.append(.init(text: "Audit log", href: SiteURL.audit.path))
        }
        links.append(.init(text: "Your sessions", href: SiteURL.sessions.path))
        let path = url.path
        return links.map { link in
            var link = link
            link.current = path == link.href || (link.href != "/home" && path.hasPrefix(link.href + "/"))
            return link
        }
    }

    func render<Content: Encodable>(
        _ template: String, _ chrome: Chrome, _ content: Content, status: HTTPStatus = .ok
    ) async throws -> Response {
        var chrome = chrome
        chrome.status = Int(status.code)
        let view = try await self.view.render(template, PageContext(chrome: chrome, content: content))
        let response = try await view.encodeResponse(for: self)
        response.status = status
        return response
    }

    /// After a successful POST: see-other, so a refresh does not resend the form. The notice travels in a
    /// short-lived cookie, not the address: a refreshed or bookmarked page never repeats it.
    func seeOther(_ url: SiteURL, notice: String? = nil) -> Response {
        let response = redirect(to: url.path, redirectType: .normal)
        if let notice, Notices.all.contains(notice) {
            response.cookies[NoticeCookie.name] = NoticeCookie.make(notice)
        }
        return response
    }

    /// A short confirmation carried by the redirect; only known texts are shown.
    var notice: String? {
        guard let value = cookies[NoticeCookie.name]?.string.removingPercentEncoding else { return nil }
        return Notices.all.contains(value) ? value : nil
    }
}

/// The notice a redirect carries to the page it lands on, shown there once.
enum NoticeCookie {
    static let name = "__Host-onboard-notice"

    static func make(_ notice: String) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: notice.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "", maxAge: 120, path: "/",
            isSecure: true, isHTTPOnly: true, sameSite: .lax)
    }
}

/// Clears the notice once a page has answered with it, so a refresh does not show it again.
struct NoticeMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: req)
        let redirected = (300..<400).contains(response.status.code)
        if req.cookies[NoticeCookie.name] != nil, !redirected, response.cookies[NoticeCookie.name] == nil {
            response.cookies[NoticeCookie.name] = SessionCookie.expired
        }
        return response
    }
}

/// Confirmation messages shown after a change. Listed so a crafted link cannot put words on the page.
enum Notices {
    static let organisationCreated = "Organisation created"
    static let organisationSaved = "Organisation saved"
    static let mailboxSizeSaved = "Mailbox size saved"
    static let organisationClosed = "Organisation closed"
    static let organisationMerged = "Organisations merged"
    static let roleGranted = "Role granted"
    static let roleRevoked = "Role revoked"
    static let sessionEnded = "Session ended"
    static let sessionsEnded = "You have signed out everywhere"
    static let signedOut = "You have signed out"
    static let tooManyCodes =
        "Too many wrong codes. Sign in again with your password; after more wrong codes your account is locked for a while"
    static let decisionRecorded = "Decision recorded"
    static let parametersSaved = "The new version of the parameters is now in use"
    static let replySent = "Your reply has been sent. Press the button to see your application"
    static let applicationWithdrawn = "Your application has been withdrawn. Press the button to see it"
    static let accountAddedAutomated =
        "Account added. The security code and temporary password are on their way by text"
    static let accountAddedAssisted = "Account added. Phone the person, then send the security code"
    static let codesByText = "The security code and temporary password are on their way by text"
    static let codeSent = "Security code sent. Ask them to read it back to you"
    static let unlocked = "Account unlocked"
    static let passwordReset = "Password reset. A new temporary password is on its way to their mobile"
    static let leaver = "Marked as a leaver. Their roles, mailbox access, sessions and tokens have been removed"
    static let disabled = "Account disabled"
    static let enabled = "Account enabled"
    static let reissued = "Account re-issued. Send a new security code to activate it"
    static let authenticatorReset = "Authenticator reset. They will set up a new one when they next sign in"
    static let adminRightsGiven = "Admin rights given"
    static let adminRightsRemoved = "Admin rights removed"
    static let joined = "They have joined the new organisation, keeping their address"
    static let mailboxAdded = "Shared mailbox added"
    static let memberSaved = "Member saved"
    static let memberRemoved = "Member removed"
    static let mailboxListed = "The mailbox is now in the directory. Anyone on the service can find it"
    static let mailboxHidden = "The mailbox is now hidden from the directory"
    static let newCodeSent = "We have sent a new code"
    static let mobileChanged = "Your mobile number has been changed"
    static let restored = "Account restored. It is inactive until they sign in"
    static let agreementAccepted = "Data sharing agreement accepted"
    static let applyQueued = "The sheet is queued to be applied. This page shows how far it has got"
    static let projectStarted = "Migration project started"
    static let ismAssigned = "Implementation support manager assigned"
    static let optionSaved = "Migration option saved. The plan and checklist follow it"
    static let initiationSaved = "Project initiation saved"
    static let goLiveSaved = "Go-live date saved. The plan has moved with it"
    static let taskDone = "Task marked as done"
    static let itemTicked = "Checklist item ticked"
    static let wentLive = "Go-live confirmed. The organisation is now live"
    static let batchQueued = "Batch uploaded. It is being scanned for malware"
    static let itemRemoved = "Item removed from the transfer"
    static let itemReleased = "Item released from quarantine"
    static let guidanceSaved = "Guidance saved"
    static let tokenRevoked = "Token revoked. It no longer works"
    static let directoryDetailsSaved = "Directory details saved. Everyone searching the directory now sees them"
    static let all: Set<String> = [
        organisationCreated, organisationSaved, organisationClosed, organisationMerged, roleGranted, roleRevoked,
        sessionEnded, sessionsEnded, signedOut, tooManyCodes, decisionRecorded, parametersSaved, accountAddedAutomated,
        accountAddedAssisted,
        codesByText, codeSent, unlocked, passwordReset, leaver, disabled, enabled, reissued, authenticatorReset,
        adminRightsGiven, adminRightsRemoved, joined, mailboxAdded, memberSaved, memberRemoved, mailboxListed,
        mailboxHidden, newCodeSent,
        mobileChanged, restored, agreementAccepted, applyQueued, projectStarted, ismAssigned, optionSaved,
        initiationSaved, goLiveSaved, taskDone, itemTicked, wentLive, batchQueued, itemRemoved, itemReleased,
        guidanceSaved, tokenRevoked, replySent, applicationWithdrawn, mailboxSizeSaved, directoryDetailsSaved,
    ]
}

extension ValidationErrors {
    /// An upload's problems as one error on its file field: the message itself when there is one, a count
    /// when there are many (the page lists them).
    var fileSummary: ValidationErrors {
        guard !isEmpty else { return ValidationErrors() }
        return ValidationErrors([
            FieldError(
                field: "file",
                message: errors.count == 1
                    ? errors[0].message : "The file has \(errors.count) problems. Nothing was imported")
        ])
    }
}
