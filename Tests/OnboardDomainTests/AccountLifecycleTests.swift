import Testing

@testable import OnboardDomain

@Suite("Account lifecycle")
struct AccountLifecycleTests {
    @Test(
        "The transitions of DOMAIN.md, and nothing else",
        arguments: [
            (AccountState.pendingActivation, AccountEvent.activate, AccountState.active),
            (.pendingActivation, .expire, .expired),
            (.expired, .reissue, .pendingActivation),
            (.active, .lock, .locked),
            (.locked, .unlock, .active),
            (.active, .markLeaver, .leaver),
            (.leaver, .acceptJoiner, .active),
            (.active, .becomeInactive, .inactive),
            (.inactive, .resume, .active),
            (.leaver, .delete, .deleted),
            (.inactive, .delete, .deleted),
            (.deleted, .restore, .inactive),
            (.active, .disable, .disabled),
            (.disabled, .enable, .active),
        ] as [(AccountState, AccountEvent, AccountState)])
    func allowed(from: AccountState, event: AccountEvent, to: AccountState) {
        #expect(AccountLifecycle.next(from, on: event) == to)
    }

    @Test("Everything else is refused: for example, no joiner from active, no activation once expired")
    func refused() {
        #expect(AccountLifecycle.next(.active, on: .acceptJoiner) == nil)
        #expect(AccountLifecycle.next(.expired, on: .activate) == nil)
        #expect(AccountLifecycle.next(.active, on: .delete) == nil)
        #expect(AccountLifecycle.next(.deleted, on: .acceptJoiner) == nil)
        #expect(AccountLifecycle.next(.pendingActivation, on: .lock) == nil)
        var allowed = 0
        for state in AccountState.allCases {
            for event in AccountEvent.allCases where AccountLifecycle.next(state, on: event) != nil { allowed += 1 }
        }
        #expect(allowed == 18, "the table has exactly the documented edges")
    }

    @Test("Only live accounts sign in")
    func signIn() {
        #expect(AccountLifecycle.canSignIn(.active))
        #expect(!AccountLifecycle.canSignIn(.locked))
        #expect(!AccountLifecycle.canSignIn(.leaver))
        #expect(!AccountLifecycle.canSignIn(.deleted))
    }
}
