import Testing

@testable import OnboardDomain

@Suite("Directory text: folding, search words and directory details")
struct DirectoryTextTests {
    @Test(
        "Names fold to what a person types: accents, case and apostrophes do not matter",
        arguments: [
            ("O'Brien", "obrien"), ("O’Brien", "obrien"), ("Siân", "sian"), ("Nguyễn", "nguyen"), ("Weiß", "weiss"),
            ("ZOË", "zoe"), ("Søren", "soren"), ("Smith-Jones", "smith-jones"),
        ])
    func folds(_ name: String, _ folded: String) {
        #expect(DirectoryText.fold(name) == folded)
    }

    @Test("Every word of a search needs three characters; nothing at all is its own problem")
    func words() {
        #expect(DirectoryText.words("  Siân  O'Brien ") == ["sian", "obrien"])
        #expect(DirectoryText.problem("smi") == nil)
        #expect(DirectoryText.problem("jo smith") == .tooShort)
        #expect(DirectoryText.problem("al") == .tooShort)
        #expect(DirectoryText.problem("   ") == .empty)
        #expect(DirectoryText.problem(String(repeating: "a", count: 101)) == .tooLong)
    }

    @Test("Directory details: trimmed, bounded, and a work phone that looks like one")
    func details() {
        #expect(
            DirectoryDetails(jobTitle: " Ward clerk ", department: "", workPhone: "0113 496 0000").problems().isEmpty)
        #expect(DirectoryDetails(jobTitle: "", department: "", workPhone: "+44 (0)113 496 0000").problems().isEmpty)
        #expect(DirectoryDetails(jobTitle: " Ward clerk ", department: "", workPhone: "").jobTitle == "Ward clerk")
        #expect(
            DirectoryDetails(stored: nil, department: " Renal ", workPhone: nil)
                == DirectoryDetails(jobTitle: "", department: "Renal", workPhone: ""), "a field never given is empty")
        let bad = DirectoryDetails(
            jobTitle: String(repeating: "x", count: 101), department: "", workPhone: "call me")
        #expect(bad.problems().message(for: "jobTitle") != nil)
        #expect(bad.problems().message(for: "workPhone") != nil)
        #expect(
            DirectoryDetails(jobTitle: "", department: "", workPhone: "0113").problems().message(for: "workPhone")
                != nil)
        #expect(
            DirectoryDetails(jobTitle: "", department: "", workPhone: "0113 +496 0000").problems().message(
                for: "workPhone") != nil)
    }
}
