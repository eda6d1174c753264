import Testing

@testable import OnboardDomain

@Suite("Account naming")
struct AccountNamingTests {
    @Test(
        "Names fold to lower-case ASCII addresses",
        arguments: [
            ("Seán", "O'Brien", "sean.obrien"),
            ("Siân", "Williams", "sian.williams"),
            ("Zoë", "Smith-Jones", "zoe.smith-jones"),
            ("Thi", "Nguyễn", "thi.nguyen"),
            ("Anna", "Weiß", "anna.weiss"),
            ("Lars", "Øster", "lars.oster"),
            ("Łukasz", "Kowalski", "lukasz.kowalski"),
            ("Æsa", "Dœ", "aesa.doe"),
            ("Mary Ann", "van der Berg", "mary-ann.van-der-berg"),
            ("  John ", " Smith ", "john.smith"),
            ("Jean-Luc", "D’Arcy", "jean-luc.darcy"),
        ] as [(String, String, String)])
    func folds(given: String, family: String, expected: String) {
        #expect(AccountNaming.localPart(givenName: given, familyName: family) == expected)
    }

    @Test("A single name is the whole local part")
    func singleName() {
        #expect(AccountNaming.localPart(givenName: "", familyName: "Suharto") == "suharto")
        #expect(AccountNaming.localPart(givenName: "Teller", familyName: "") == "teller")
    }

    @Test("Nothing usable after folding means the LA types it")
    func nonLatin() {
        #expect(AccountNaming.localPart(givenName: "Дмитрий", familyName: "Иванов") == nil)
        #expect(AccountNaming.localPart(givenName: "Anna", familyName: "王") == nil)
        #expect(AccountNaming.localPart(givenName: "", familyName: "") == nil)
    }

    @Test("Two John Smiths: the second is john.smith2, and a released address is never reused")
    func collisions() {
        var taken: Set<String> = []
        let first = AccountNaming.firstFree("john.smith") { taken.contains($0) }
        taken.insert(first)
        let second = AccountNaming.firstFree("john.smith") { taken.contains($0) }
        taken.insert(second)
        let third = AccountNaming.firstFree("john.smith") { taken.contains($0) }
        #expect([first, second, third] == ["john.smith", "john.smith2", "john.smith3"])
    }

    @Test("Very long names stay within 64 characters, suffix included, keeping the surname")
    func longNames() throws {
        let part = try #require(
            AccountNaming.localPart(
                givenName: "Maximilian Alexander Konstantin", familyName: "Featherstonehaugh-Cholmondeley-Smythe"))
        #expect(part.count <= AccountNaming.localPartLimit - 4)
        #expect(part.hasSuffix(".featherstonehaugh-cholmondeley-smythe"))
        #expect(AccountNaming.isValidLocalPart(part + "99"))
        let huge = try #require(AccountNaming.localPart(givenName: "A", familyName: String(repeating: "b", count: 200)))
        #expect(huge.count <= 60)
        #expect(huge.hasPrefix("a."))
    }

    @Test("LA-typed local parts are checked")
    func typed() {
        #expect(AccountNaming.isValidLocalPart("dmitry.ivanov"))
        #expect(!AccountNaming.isValidLocalPart("Dmitry.Ivanov"))
        #expect(!AccountNaming.isValidLocalPart(".dmitry"))
        #expect(!AccountNaming.isValidLocalPart("d..i"))
        #expect(!AccountNaming.isValidLocalPart(String(repeating: "a", count: 65)))
    }

    @Test("Display names: SURNAME Firstname (Organisation Name)")
    func displayNames() {
        #expect(
            AccountNaming.displayName(givenName: "John", familyName: "Smith", organisation: "High Street Dentist")
                == "SMITH John (High Street Dentist)")
        #expect(
            AccountNaming.displayName(
                givenName: "Zoë", familyName: "Smith-Jones", organisation: "Leeds Teaching Hospitals")
                == "SMITH-JONES Zoë (Leeds Teaching Hospitals)")
        #expect(AccountNaming.displayName(givenName: "", familyName: "Suharto", organisation: "X") == "SUHARTO (X)")
    }
}

@Suite("Hidden characters in names")
struct HiddenCharacterTests {
    @Test("NUL, bidi overrides, zero-width characters and line breaks are refused, naming the field")
    func refused() {
        for name in [
            "Ann\u{0}Lee", "Ann\u{202E}eeL", "An\u{200B}n", "Ann\u{200D}", "\u{FEFF}Ann", "Ann\u{2028}Lee", "A\u{E000}",
        ] {
            let problem = AccountNaming.hiddenCharacterProblem(name, field: "First name")
            #expect(
                problem?.hasPrefix("First name has a hidden or control character") == true, "\(name.debugDescription)")
        }
    }

    @Test("A name's problems are named by field: empty, too long, hidden characters")
    func nameProblems() {
        #expect(AccountNaming.nameProblems(givenName: " ", familyName: "").map(\.field) == ["firstName"])
        let long = String(repeating: "a", count: AccountNaming.nameLimit + 1)
        #expect(AccountNaming.nameProblems(givenName: "Ann", familyName: long).map(\.field) == ["surname"])
        #expect(AccountNaming.nameProblems(givenName: "An\u{200B}n", familyName: "Lee").map(\.field) == ["firstName"])
        #expect(AccountNaming.nameProblems(givenName: "Siân", familyName: "O'Neill").isEmpty)
    }

    @Test("Names in any script, with accents, hyphens, apostrophes and spaces, are kept")
    func kept() {
        for name in ["Siân", "O'Neill", "Jean-Luc", "Zoë Smith", "Ngozi Okonjo-Iweala", "محمد", "李"] {
            #expect(AccountNaming.hiddenCharacterProblem(name, field: "First name") == nil, "\(name)")
        }
    }
}
