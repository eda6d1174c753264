import Foundation
import Vapor

/// A person's own mailbox: how full it is, and the settings a mail app needs.
extension OwnAccountController {
    struct MailboxPage: Encodable {
        let address: String
        let facts: MailboxFacts?
        let imap: ServerAddress?
        let submission: ServerAddress?
    }

    func mailboxPage(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        guard let account = try await Account.find(principal.accountID, on: req.db) else { throw Abort(.notFound) }
        let server = req.settings.mailServer
        return try await req.render(
            "account/mailbox", req.chrome("Your mailbox"),
            MailboxPage(
                address: account.address,
                facts: try await MailboxFacts.load(principal.accountID, app: req.application, now: req.now),
                imap: server?.imap, submission: server?.submission))
    }
}
