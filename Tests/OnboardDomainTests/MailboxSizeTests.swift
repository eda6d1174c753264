import Testing

@testable import OnboardDomain

@Suite("An organisation's mailbox size")
struct MailboxSizeTests {
    @Test("Whole gigabytes from 1 to 100 are megabytes; empty is the service default")
    func accepted() {
        #expect(MailboxSize.parse("") == .success(.serviceDefault))
        #expect(MailboxSize.parse(" 2 ") == .success(.megabytes(2048)))
        #expect(MailboxSize.parse("8 GB") == .success(.megabytes(8192)))
    }

    @Test("Fractions, words and sizes out of range are refused with a message that says what to enter")
    func refused() {
        #expect(MailboxSize.parse("1.5") == .failure(.notWhole))
        #expect(MailboxSize.parse("lots") == .failure(.notWhole))
        #expect(MailboxSize.parse("0") == .failure(.outOfRange))
        #expect(MailboxSize.parse("500") == .failure(.outOfRange))
        #expect(MailboxSize.Problem.outOfRange.message == "Enter a size from 1 to 100 gigabytes")
    }

    @Test("Sizes read in gigabytes when whole, else megabytes")
    func described() {
        #expect(MailboxSize.describe(megabytes: 4096) == "4 GB")
        #expect(MailboxSize.describe(megabytes: 500) == "500 MB")
    }
}
