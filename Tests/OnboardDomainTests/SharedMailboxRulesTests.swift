import Testing

@testable import OnboardDomain

@Suite("Shared mailbox rules")
struct SharedMailboxRulesTests {
    @Test("The display name names the organisation once")
    func displayName() {
        #expect(
            SharedMailboxRules.displayName("Pharmacy team", organisation: "Northern Pharmacy Armley")
                == "Pharmacy team (Northern Pharmacy Armley)")
        #expect(
            SharedMailboxRules.displayName("Northern Pharmacy Armley shared", organisation: "Northern Pharmacy Armley")
                == "Northern Pharmacy Armley shared")
    }

    @Test(
        "The part before the @ and the name are checked",
        arguments: [
            ("armley.pharmacy", "Armley team", [String]()),
            ("", "Armley team", ["localPart"]),
            ("Armley Pharmacy!", "Armley team", ["localPart"]),
            ("armley", "", ["name"]),
            ("armley", "Armley\u{202E}maet", ["name"]),
        ])
    func validation(localPart: String, name: String, fields: [String]) {
        #expect(SharedMailboxRules.validate(localPart: localPart, name: name).errors.map(\.field) == fields)
    }

    @Test("A member needs a right, and the last owner cannot leave")
    func membership() {
        #expect(SharedMailboxRules.problem(with: .init(fullAccess: false, sendAs: false, owner: false)) != nil)
        #expect(SharedMailboxRules.problem(with: .init(fullAccess: true, sendAs: false, owner: false)) == nil)
        #expect(SharedMailboxRules.problemLeaving(ownersBefore: 1, removingOwner: true) != nil)
        #expect(SharedMailboxRules.problemLeaving(ownersBefore: 2, removingOwner: true) == nil)
        #expect(SharedMailboxRules.problemLeaving(ownersBefore: 1, removingOwner: false) == nil)
    }
}
