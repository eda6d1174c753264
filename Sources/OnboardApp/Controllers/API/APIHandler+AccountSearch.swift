import Foundation
import OnboardDomain

extension APIHandler {
    func listAccounts(_ input: Operations.ListAccounts.Input) async throws -> Operations.ListAccounts.Output {
        let (req, principal) = try context()
        let query = input.query
        let search = AccountSearch(
            text: query.q ?? "", state: query.status.flatMap { AccountState(rawValue: $0.rawValue) },
            page: query.page ?? 1, pageSize: query.pageSize ?? 50)
        let problems = search.problems()
        guard problems.isEmpty else { throw APIProblem(problems) }
        let found = try await search.run(for: principal, on: req.sql)
        let items = found.rows.map { row in
            Components.Schemas.AccountListItem(
                id: row.id.uuidString.lowercased(), address: row.address,
                name: "\(row.givenName) \(row.familyName)".tidied,
                status: .init(rawValue: row.state) ?? .disabled, organisation: row.organisation, ods: row.ods,
                mailbox: .init(
                    state: Self.mailboxState(row.accountState, erased: row.mailboxErased != nil),
                    lastMailLogin: row.lastMailLogin))
        }
        return .ok(
            .init(body: .json(.init(items: items, page: search.page, pageSize: search.pageSize, next: found.more))))
    }

    static func mailboxState(_ state: AccountState, erased: Bool) -> Components.Schemas.MailboxFacts.StatePayload {
        switch state {
        case .pendingActivation, .expired: .notCreated
        case .active, .inactive: .receiving
        case .locked, .disabled, .leaver: .receivingNoLogin
        case .deleted: erased ? .erased : .kept
        }
    }
}
