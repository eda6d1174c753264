import Foundation
import Vapor

/// Every page's address, used both to register routes and to build links, so the two cannot drift.
enum SiteURL: Sendable {
    case front
    case join
    case health
    case signIn
    case signOut
    case home
    case sessions
    case endSession(UUID)
    case endAllSessions
    case organisations
    case organisationNew
    case organisationImport
    case organisation(UUID)
    case organisationEdit(UUID)
    case organisationClose(UUID)
    case organisationMerge(UUID)
    case people
    case person(UUID)
    case grantRole(UUID)
    case revokeRole(account: UUID, grant: UUID)
    case apply(String)
    case applyVerify
    case applyResend
    case applyStep(String)
    case applyCheck
    case applyWithdraw
    case applyConfirmation
    case track(String)
    case trackReply(String)
    case trackWithdraw(String)
    case trackResume(String)
    case applications
    case application(UUID)
    case applicationDecisions(UUID)
    case devMessages
    case register(String)
    case programmes
    case programme(String)
    case programmeCohorts(String)
    case cohortRelease(programme: String, cohort: UUID)
    case programmeInvitations(String)
    case parameters
    case applicationImport
    case signInContinue
    case signInCode
    case signInCodeResend
    case signInAcceptableUse
    case signInNewPassword
    case signInAuthenticator
    case signInAuthenticatorSetup
    case forgotten
    case forgottenCode
    case welcome
    case accounts
    case accountNew
    case account(UUID)
    /// One of an account's actions: send-code, confirm-code, unlock, reset, leaver, disable, enable,
    /// reissue, reset-authenticator, admin-rights.
    case accountAction(UUID, AccountAction)
    case joiners
    case joiner(UUID)
    case devOutbox
    case ownAuthenticator
    case ownMobile
    case ownMobileCode
    case ownTokens
    case notifyReceipts
    case ownTokenNew
    case mailboxes
    case mailboxNew
    case mailbox(UUID)
    case mailboxMembers(UUID)
    case mailboxMemberRemove(UUID, UUID)
    case bulk
    case bulkNew
    case bulkAgreement
    case bulkTemplate(String)
    case bulkUpload(UUID)
    case bulkApply(UUID)
    case bulkReport(UUID)
    case bulkResults(UUID)
    case bulkProgress(UUID)

    var path: String {
        switch self {
        case .front: "/"
        case .join: "/join"
        case .health: "/health"
        case .signIn: "/sign-in"
        case .signOut: "/sign-out"
        case .home: "/home"
        case .sessions: "/account/sessions"
        case .endSession(let id): "/account/sessions/\(id.uuidString.lowercased())/end"
        case .endAllSessions: "/account/sessions/end-all"
        case .organisations: "/organisations"
        case .organisationNew: "/organisations/new"
        case .organisationImport: "/organisations/import"
        case .organisation(let id): "/organisations/\(id.uuidString.lowercased())"
        case .organisationEdit(let id): "/organisations/\(id.uuidString.lowercased())/edit"
        case .organisationClose(let id): "/organisations/\(id.uuidString.lowercased())/close"
        case .organisationMerge(let id): "/organisations/\(id.uuidString.lowercased())/merge"
        case .people: "/people"
        case .person(let id): "/people/\(id.uuidString.lowercased())"
        case .grantRole(let id): "/people/\(id.uuidString.lowercased())/roles"
        case .revokeRole(let account, let grant):
            "/people/\(account.uuidString.lowercased())/roles/\(grant.uuidString.lowercased())/revoke"
        case .apply(let kind): "/apply/\(kind)"
        case .applyVerify: "/apply/verify"
        case .applyResend: "/apply/verify/new-code"
        case .applyStep(let step): "/apply/questions/\(step)"
        case .applyCheck: "/apply/check"
        case .applyWithdraw: "/apply/withdraw"
        case .applyConfirmation: "/apply/confirmation"
        case .track(let token): "/track/\(token)"
        case .trackReply(let token): "/track/\(token)/reply"
        case .trackWithdraw(let token): "/track/\(token)/withdraw"
        case .trackResume(let token): "/track/\(token)/resume"
        case .applications: "/applications"
        case .application(let id): "/applications/\(id.uuidString.lowercased())"
        case .applicationDecisions(let id): "/applications/\(id.uuidString.lowercased())/decisions"
        case .devMessages: "/dev/messages"
        case .register(let token): "/register/\(token)"
        case .programmes: "/programmes"
        case .programme(let code): "/programmes/\(code)"
        case .programmeCohorts(let code): "/programmes/\(code)/cohorts"
        case .cohortRelease(let code, let cohort):
            "/programmes/\(code)/cohorts/\(cohort.uuidString.lowercased())/release"
        case .programmeInvitations(let code): "/programmes/\(code)/invitations"
        case .parameters: "/eligibility-parameters"
        case .applicationImport: "/applications/import"
        case .signInContinue: "/sign-in/continue"
        case .signInCode: "/sign-in/security-code"
        case .signInCodeResend: "/sign-in/security-code/new-code"
        case .signInAcceptableUse: "/sign-in/acceptable-use"
        case .signInNewPassword: "/sign-in/new-password"
        case .signInAuthenticator: "/sign-in/authenticator"
        case .signInAuthenticatorSetup: "/sign-in/authenticator/set-up"
        case .forgotten: "/sign-in/forgotten-password"
        case .forgottenCode: "/sign-in/forgotten-password/code"
        case .welcome: "/welcome"
        case .accounts: "/accounts"
        case .accountNew: "/accounts/new"
        case .account(let id): "/accounts/\(id.uuidString.lowercased())"
        case .accountAction(let id, let action): "/accounts/\(id.uuidString.lowercased())/\(action.rawValue)"
        case .joiners: "/accounts/joiners"
        case .joiner(let id): "/accounts/joiners/\(id.uuidString.lowercased())"
        case .devOutbox: "/dev/outbox"
        case .ownAuthenticator: "/account/authenticator"
        case .ownMobile: "/account/mobile"
        case .ownMobileCode: "/account/mobile/code"
        case .ownTokens: "/account/tokens"
        case .notifyReceipts: "/notify/delivery-receipts"
        case .ownTokenNew: "/account/tokens/new"
        case .mailboxes: "/mailboxes"
        case .mailboxNew: "/mailboxes/new"
        case .mailbox(let id): "/mailboxes/\(id.uuidString.lowercased())"
        case .mailboxMembers(let id): "/mailboxes/\(id.uuidString.lowercased())/members"
        case .mailboxMemberRemove(let id, let account):
            "/mailboxes/\(id.uuidString.lowercased())/members/\(account.uuidString.lowercased())/remove"
        case .bulk: "/bulk"
        case .bulkNew: "/bulk/new"
        case .bulkAgreement: "/bulk/agreement"
        case .bulkTemplate(let file): "/bulk/templates/\(file)"
        case .bulkUpload(let id): "/bulk/\(id.uuidString.lowercased())"
        case .bulkApply(let id): "/bulk/\(id.uuidString.lowercased())/apply"
        case .bulkReport(let id): "/bulk/\(id.uuidString.lowercased())/report"
        case .bulkResults(let id): "/bulk/\(id.uuidString.lowercased())/results"
        case .bulkProgress(let id): "/bulk/\(id.uuidString.lowercased())/progress"
        }
    }

    /// The route pattern for registration: ids become `:id` parameters.
    var pattern: [PathComponent] {
        let sample = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).uuidString.lowercased()
        let second = UUID(uuid: (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).uuidString.lowercased()
        return path.split(separator: "/").map { part -> PathComponent in
            switch String(part) {
            case sample: ":id"
            case second: ":grant"
            // ":name" placeholders in string-valued cases become parameters.
            default: PathComponent(stringLiteral: String(part))
            }
        }
    }

    static func patterned(_ make: (UUID) -> SiteURL) -> [PathComponent] {
        make(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))).pattern
    }

    static var revokePattern: [PathComponent] {
        SiteURL.revokeRole(
            account: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
            grant: UUID(uuid: (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        ).pattern
    }
}

/// What can be done to an account from its page or the API.
enum AccountAction: String, CaseIterable, Sendable {
    case sendCode = "send-code"
    case confirmCode = "confirm-code"
    case unlock
    case reset
    case leaver
    case disable
    case enable
    case reissue
    case resetAuthenticator = "reset-authenticator"
    case adminRights = "admin-rights"
    case restore
}
