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
    case organisationMailboxSize(UUID)
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
    case ownMailbox
    case ownMobile
    case ownMobileCode
    case ownTokens
    case notifyReceipts
    /// Dovecot asks about a login, or a mailbox (docs/mail.md).
    case mailServerLogin
    case mailServerUser
    case ownTokenNew
    case mailboxes
    case mailboxNew
    case mailbox(UUID)
    case mailboxMembers(UUID)
    case mailboxListing(UUID)
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
    case ownTokenRevoke(UUID)
    case migrations
    case migrationNew
    case migration(UUID)
    case migrationISM(UUID)
    case migrationOption(UUID)
    case migrationInitiation(UUID)
    case migrationGoLive(UUID)
    case migrationPlan(UUID)
    case migrationPlanCSV(UUID)
    case migrationTask(UUID, key: String)
    case migrationChecklist(UUID)
    case migrationChecklistItem(UUID, key: String)
    case migrationConfirm(UUID)
    case migrationTransfers(UUID)
    case migrationBatch(UUID, batch: UUID)
    case migrationBatchProgress(UUID, batch: UUID)
    case migrationItem(UUID, item: UUID)
    case migrationItemContent(UUID, item: UUID)
    case guidance
    case guidanceItem(String)
    case audit
    case auditExport
    case auditEvent(Int)
    case auditSecurity
    case reports
    case report(String)
    case reportExport(String)
    case directory
    case directoryPerson(UUID)
    case directoryOrganisation(UUID)
    case directorySharedMailbox(UUID)
    case directoryExport(UUID)
    case ownDirectoryDetails
    case accountDirectoryDetails(UUID)

    /// The address, part by part: fixed words and named, typed parameters.
    var segments: [Segment] {
        switch self {
        case .front: []
        case .join: ["join"]
        case .health: ["health"]
        case .signIn: ["sign-in"]
        case .signOut: ["sign-out"]
        case .home: ["home"]
        case .sessions: ["account", "sessions"]
        case .endSession(let id): ["account", "sessions", .uuid(.id, id), "end"]
        case .endAllSessions: ["account", "sessions", "end-all"]
        case .organisations: ["organisations"]
        case .organisationNew: ["organisations", "new"]
        case .organisationImport: ["organisations", "import"]
        case .organisation(let id): ["organisations", .uuid(.id, id)]
        case .organisationEdit(let id): ["organisations", .uuid(.id, id), "edit"]
        case .organisationMailboxSize(let id): ["organisations", .uuid(.id, id), "mailbox-size"]
        case .organisationClose(let id): ["organisations", .uuid(.id, id), "close"]
        case .organisationMerge(let id): ["organisations", .uuid(.id, id), "merge"]
        case .people: ["people"]
        case .person(let id): ["people", .uuid(.id, id)]
        case .grantRole(let id): ["people", .uuid(.id, id), "roles"]
        case .revokeRole(let account, let grant):
            ["people", .uuid(.id, account), "roles", .uuid(.grant, grant), "revoke"]
        case .apply(let kind): ["apply", .text(.kind, kind)]
        case .applyVerify: ["apply", "verify"]
        case .applyResend: ["apply", "verify", "new-code"]
        case .applyStep(let step): ["apply", "questions", .text(.step, step)]
        case .applyCheck: ["apply", "check"]
        case .applyWithdraw: ["apply", "withdraw"]
        case .applyConfirmation: ["apply", "confirmation"]
        case .track(let token): ["track", .text(.token, token)]
        case .trackReply(let token): ["track", .text(.token, token), "reply"]
        case .trackWithdraw(let token): ["track", .text(.token, token), "withdraw"]
        case .trackResume(let token): ["track", .text(.token, token), "resume"]
        case .applications: ["applications"]
        case .application(let id): ["applications", .uuid(.id, id)]
        case .applicationDecisions(let id): ["applications", .uuid(.id, id), "decisions"]
        case .devMessages: ["dev", "messages"]
        case .register(let token): ["register", .text(.token, token)]
        case .programmes: ["programmes"]
        case .programme(let code): ["programmes", .text(.code, code)]
        case .programmeCohorts(let code): ["programmes", .text(.code, code), "cohorts"]
        case .cohortRelease(let code, let cohort):
            ["programmes", .text(.code, code), "cohorts", .uuid(.cohort, cohort), "release"]
        case .programmeInvitations(let code): ["programmes", .text(.code, code), "invitations"]
        case .parameters: ["eligibility-parameters"]
        case .applicationImport: ["applications", "import"]
        case .signInContinue: ["sign-in", "continue"]
        case .signInCode: ["sign-in", "security-code"]
        case .signInCodeResend: ["sign-in", "security-code", "new-code"]
        case .signInAcceptableUse: ["sign-in", "acceptable-use"]
        case .signInNewPassword: ["sign-in", "new-password"]
        case .signInAuthenticator: ["sign-in", "authenticator"]
        case .signInAuthenticatorSetup: ["sign-in", "authenticator", "set-up"]
        case .forgotten: ["sign-in", "forgotten-password"]
        case .forgottenCode: ["sign-in", "forgotten-password", "code"]
        case .welcome: ["welcome"]
        case .accounts: ["accounts"]
        case .accountNew: ["accounts", "new"]
        case .account(let id): ["accounts", .uuid(.id, id)]
        case .accountAction(let id, let action): ["accounts", .uuid(.id, id), .text(.action, action.rawValue)]
        case .joiners: ["accounts", "joiners"]
        case .joiner(let id): ["accounts", "joiners", .uuid(.id, id)]
        case .devOutbox: ["dev", "outbox"]
        case .ownAuthenticator: ["account", "authenticator"]
        case .ownMailbox: ["account", "mailbox"]
        case .ownMobile: ["account", "mobile"]
        case .ownMobileCode: ["account", "mobile", "code"]
        case .ownTokens: ["account", "tokens"]
        case .notifyReceipts: ["notify", "delivery-receipts"]
        case .mailServerLogin: ["internal", "mail", "auth"]
        case .mailServerUser: ["internal", "mail", "user"]
        case .ownTokenNew: ["account", "tokens", "new"]
        case .mailboxes: ["mailboxes"]
        case .mailboxNew: ["mailboxes", "new"]
        case .mailbox(let id): ["mailboxes", .uuid(.id, id)]
        case .mailboxMembers(let id): ["mailboxes", .uuid(.id, id), "members"]
        case .mailboxListing(let id): ["mailboxes", .uuid(.id, id), "directory"]
        case .mailboxMemberRemove(let id, let account):
            ["mailboxes", .uuid(.id, id), "members", .uuid(.member, account), "remove"]
        case .bulk: ["bulk"]
        case .bulkNew: ["bulk", "new"]
        case .bulkAgreement: ["bulk", "agreement"]
        case .bulkTemplate(let file): ["bulk", "templates", .text(.file, file)]
        case .bulkUpload(let id): ["bulk", .uuid(.id, id)]
        case .bulkApply(let id): ["bulk", .uuid(.id, id), "apply"]
        case .bulkReport(let id): ["bulk", .uuid(.id, id), "report"]
        case .bulkResults(let id): ["bulk", .uuid(.id, id), "results"]
        case .bulkProgress(let id): ["bulk", .uuid(.id, id), "progress"]
        case .ownTokenRevoke(let id): ["account", "tokens", .uuid(.id, id), "revoke"]
        case .migrations: ["migration"]
        case .migrationNew: ["migration", "new"]
        case .migration(let id): ["migration", .uuid(.id, id)]
        case .migrationISM(let id): ["migration", .uuid(.id, id), "ism"]
        case .migrationOption(let id): ["migration", .uuid(.id, id), "option"]
        case .migrationInitiation(let id): ["migration", .uuid(.id, id), "initiation"]
        case .migrationGoLive(let id): ["migration", .uuid(.id, id), "go-live"]
        case .migrationPlan(let id): ["migration", .uuid(.id, id), "plan"]
        case .migrationPlanCSV(let id): ["migration", .uuid(.id, id), "plan.csv"]
        case .migrationTask(let id, let key): ["migration", .uuid(.id, id), "tasks", .text(.key, key)]
        case .migrationChecklist(let id): ["migration", .uuid(.id, id), "checklist"]
        case .migrationChecklistItem(let id, let key): ["migration", .uuid(.id, id), "checklist", .text(.key, key)]
        case .migrationConfirm(let id): ["migration", .uuid(.id, id), "confirm"]
        case .migrationTransfers(let id): ["migration", .uuid(.id, id), "transfers"]
        case .migrationBatch(let id, let batch): ["migration", .uuid(.id, id), "transfers", .uuid(.batch, batch)]
        case .migrationBatchProgress(let id, let batch):
            ["migration", .uuid(.id, id), "transfers", .uuid(.batch, batch), "progress"]
        case .migrationItem(let id, let item): ["migration", .uuid(.id, id), "items", .uuid(.item, item)]
        case .migrationItemContent(let id, let item):
            ["migration", .uuid(.id, id), "items", .uuid(.item, item), "content"]
        case .guidance: ["guidance"]
        case .guidanceItem(let key): ["guidance", .text(.key, key)]
        case .audit: ["audit"]
        case .auditExport: ["audit", "export.csv"]
        case .auditEvent(let seq): ["audit", "events", .number(.seq, seq)]
        case .auditSecurity: ["audit", "security"]
        case .reports: ["reports"]
        case .report(let kind): ["reports", .text(.kind, kind)]
        case .reportExport(let kind): ["reports", .text(.kind, kind), "export.csv"]
        case .directory: ["directory"]
        case .directoryPerson(let id): ["directory", "people", .uuid(.id, id)]
        case .directoryOrganisation(let id): ["directory", "organisations", .uuid(.id, id)]
        case .directorySharedMailbox(let id): ["directory", "shared-mailboxes", .uuid(.id, id)]
        case .directoryExport(let id): ["directory", "organisations", .uuid(.id, id), "people.csv"]
        case .ownDirectoryDetails: ["account", "directory-details"]
        case .accountDirectoryDetails(let id): ["accounts", .uuid(.id, id), "directory-details"]
        }
    }

    var path: String {
        "/" + segments.map(\.value).joined(separator: "/")
    }

    /// The route pattern for registration: each parameter by its name, whatever value the case was given.
    var pattern: [PathComponent] { segments.map(\.component) }

    static func patterned(_ make: (UUID) -> SiteURL) -> [PathComponent] { make(.placeholder).pattern }

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
