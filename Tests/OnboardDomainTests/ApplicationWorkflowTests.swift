import Foundation
import Testing

@testable import OnboardDomain

@Suite("Application workflow")
struct ApplicationWorkflowTests {
    typealias W = ApplicationWorkflow

    @Test(
        "Each reviewer moves only the applications that are theirs, only along the table",
        arguments: [
            // (kind, state, actor, action, allowed)
            (
                ApplicationKind.optometrist, ApplicationState.submitted, Reviewer.regionalContact,
                ApplicationAction.passToLA, true
            ),
            (.optometrist, .submitted, .localAdmin, .passToLA, false),
            (.optometrist, .passedToLA, .localAdmin, .complete, true),
            (.optometrist, .passedToLA, .regionalContact, .complete, false),
            (.optometrist, .submitted, .localAdmin, .approve, false),
            (.dentist, .inReview, .regionalContact, .reject, true),
            (.nonNHSOrganisation, .submitted, .regionalContact, .approve, false),
            (.nonNHSOrganisation, .submitted, .nationalAdmin, .approve, true),
            (.careHome, .submitted, .localAdmin, .approve, true),
            (.careHome, .submitted, .regionalContact, .approve, false),
            (.communityPharmacy, .submitted, .pharmacyTeam, .waitlist, true),
            (.optometrist, .submitted, .regionalContact, .waitlist, false),
            (.communityPharmacy, .waitlisted, .pharmacyTeam, .release, true),
            (.optometrist, .moreInformationNeeded, .applicant, .reply, true),
            (.optometrist, .moreInformationNeeded, .regionalContact, .reply, false),
            (.optometrist, .submitted, .applicant, .approve, false),
            (.optometrist, .submitted, .applicant, .withdraw, true),
            (.optometrist, .completed, .applicant, .withdraw, false),
            (.optometrist, .rejected, .nationalAdmin, .approve, false),
            (.optometrist, .draft, .applicant, .submit, true),
            (.optometrist, .submitted, .applicant, .submit, false),
        ])
    func table(
        kind: ApplicationKind, state: ApplicationState, actor: Reviewer, action: ApplicationAction, allowed: Bool
    ) {
        let result = W.transition(state, action, kind: kind, by: actor, reason: "Because.")
        if allowed {
            #expect((try? result.get()) != nil, "\(actor) should \(action) a \(state) \(kind)")
        } else {
            #expect((try? result.get()) == nil, "\(actor) must not \(action) a \(state) \(kind)")
        }
    }

    @Test("An applicant's empty reply is asked for in the applicant's words, not a reviewer's")
    func emptyReply() {
        let refused = W.transition(
            .moreInformationNeeded, .reply, kind: .dentist, by: .applicant, reason: " ")
        #expect(refused == .failure(.replyRequired))
        #expect(WorkflowRefusal.replyRequired.message == "Enter your reply")
    }

    @Test("Care home and pharmacy approvals complete the application; an optometrist's completion is the LA's")
    func approvalCompletes() {
        #expect(
            W.transition(.submitted, .approve, kind: .careHome, by: .localAdmin, reason: "ok") == .success(.completed))
        #expect(
            W.transition(.inReview, .approve, kind: .communityPharmacy, by: .pharmacyTeam, reason: "ok")
                == .success(.completed))
        #expect(
            W.transition(.submitted, .approve, kind: .nonNHSOrganisation, by: .nationalAdmin, reason: "ok")
                == .success(.approved))
    }

    @Test("Every decision needs a reason; submitting, withdrawing and starting review do not")
    func reasons() {
        #expect(
            W.transition(.submitted, .reject, kind: .dentist, by: .regionalContact, reason: "  ")
                == .failure(.reasonRequired))
        #expect(
            W.transition(.submitted, .reject, kind: .dentist, by: .regionalContact, reason: nil)
                == .failure(.reasonRequired))
        #expect(
            W.transition(
                .submitted, .reject, kind: .dentist, by: .regionalContact, reason: String(repeating: "x", count: 2001))
                == .failure(.reasonTooLong(2000)))
        #expect(
            W.transition(.submitted, .withdraw, kind: .dentist, by: .applicant, reason: nil) == .success(.withdrawn))
        #expect(
            W.transition(.submitted, .startReview, kind: .dentist, by: .regionalContact, reason: nil)
                == .success(.inReview))
    }

    @Test("A finished application holds no place; a live one does")
    func places() {
        #expect(!ApplicationState.withdrawn.holdsItsPlace)
        #expect(!ApplicationState.rejected.holdsItsPlace)
        #expect(!ApplicationState.draft.holdsItsPlace)
        #expect(ApplicationState.completed.holdsItsPlace)
        #expect(ApplicationState.waitlisted.holdsItsPlace)
    }

    @Test("What a reviewer is offered matches what the table allows")
    func available() {
        #expect(W.available(to: .regionalContact, kind: .optometrist, state: .submitted).contains(.passToLA))
        #expect(
            W.available(to: .localAdmin, kind: .optometrist, state: .passedToLA) == [
                .requestInformation, .approve, .reject, .complete,
            ])
        #expect(W.available(to: .applicant, kind: .optometrist, state: .moreInformationNeeded) == [.reply, .withdraw])
    }
}

@Suite("Identifiers and references")
struct IdentifierTests {
    @Test(
        "UK mobile numbers are normalised to +447…, and other numbers refused",
        arguments: [
            ("07700 900123", "+447700900123"), ("+44 7700 900123", "+447700900123"),
            ("+44 (0)7700-900123", "+447700900123"),
            ("447700900123", "+447700900123"), ("0044 7700 900123", "+447700900123"), ("07624 123456", "+447624123456"),
            ("0113 496 0000", nil), ("07700 90012", nil), ("070 1234 5678", nil), ("07612 345678", nil), ("", nil),
            ("phone me", nil),
        ] as [(String, String?)])
    func mobiles(raw: String, expected: String?) {
        #expect(Identifiers.normaliseUKMobile(raw) == expected)
    }

    @Test("Stored mobiles are shown as people write them")
    func mobileDisplay() {
        #expect(Identifiers.displayUKMobile("+447700900123") == "07700 900123")
        #expect(Identifiers.displayUKMobile("07700") == "07700")
    }

    @Test("Registration numbers: GPhC premises, GOC, GDC and CQC location")
    func registrations() {
        #expect(Identifiers.normaliseGPhCPremises("101 2345") == "1012345")
        #expect(Identifiers.normaliseGPhCPremises("12345") == nil)
        #expect(Identifiers.normaliseGOC("01-12345") == "01-12345")
        #expect(Identifiers.normaliseGOC("d-1234") == "D-1234")
        #expect(Identifiers.normaliseGOC("12345") == nil)
        #expect(Identifiers.normaliseGDC("123456") == "123456")
        #expect(Identifiers.normaliseGDC("1234567") == nil)
        #expect(Identifiers.normaliseCQCLocation("1-123456789") == "1-123456789")
        #expect(Identifiers.normaliseCQCLocation("123456789") == nil)
    }

    @Test(
        "Emails",
        arguments: [
            ("a@b.org", true), ("a.b@c.nhs.uk", true), ("a@b", false), ("a b@c.org", false), ("@c.org", false),
            ("a@@c.org", false), ("a@.org", false),
        ])
    func emails(raw: String, valid: Bool) {
        #expect(Identifiers.isValidEmail(raw) == valid)
    }

    @Test("References read well aloud and round-trip through what people type")
    func references() {
        let reference = ApplicationReference.make(from: [0xFF, 0x00, 0x12, 0x34, 0x56])
        #expect(reference.wholeMatch(of: /APP-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/) != nil)
        #expect(
            ApplicationReference.normalise(reference.lowercased().replacingOccurrences(of: "-", with: " ")) == reference
        )
        #expect(ApplicationReference.normalise("APP-0000-0000") == nil)
        #expect(ApplicationReference.make(from: [0, 0, 0, 0, 0]) == "APP-2222-2222")
        #expect(ApplicationReference.make(from: [0, 0, 0, 0, 1]) != ApplicationReference.make(from: [0, 0, 0, 0, 2]))
    }
}

@Suite("Application form")
struct ApplicationFormTests {
    let regions: Set<String> = ["london", "north_east_and_yorkshire"]

    func steps(_ kind: ApplicationKind) -> [FormStep] {
        ApplicationForm.steps(for: kind, aupVersion: "3.0", programmes: [FormOption("numsas", "NUMSAS")])
    }

    @Test("A page reports every bad field at once, and saves nothing from it")
    func everyProblem() throws {
        let contact = try #require(steps(.optometrist).first)
        guard
            case .failure(let errors) = ApplicationForm.validate(
                contact, answers: ["mobile": "0113 496 0000"], regions: regions)
        else {
            Issue.record("expected errors")
            return
        }
        #expect(Set(errors.errors.map(\.field)) == ["applicantName", "applicantRole", "mobile"])
        #expect(errors.message(for: "mobile") == "Enter a UK mobile number, like 07700 900123")
    }

    @Test("Answers are tidied: ODS upper-cased, postcode spaced, mobile in +44 form")
    func tidied() throws {
        let practice = try #require(steps(.dentist).first { $0.id == "practice" })
        let clean = try ApplicationForm.validate(
            practice,
            answers: [
                "odsCode": " v0004 ", "practiceName": "High  Street Dentist", "postcode": "ls11hs", "region": "london",
            ],
            regions: regions
        ).get()
        #expect(clean["odsCode"] == "V0004")
        #expect(clean["postcode"] == "LS1 1HS")
        #expect(clean["practiceName"] == "High Street Dentist")
    }

    @Test("The staff list needs a name and a UK mobile on every line")
    func staffList() throws {
        #expect(
            try ApplicationForm.staffList("Amir Khan, 07700 900124\n\nBeth, +447700900125").get()
                == "Amir Khan, +447700900124\nBeth, +447700900125")
        #expect(
            ApplicationForm.staffList("Amir Khan 07700 900124")
                == .failure("Line 1: put a comma between the name and the mobile number"))
        #expect(
            ApplicationForm.staffList("Amir, 07700 900124\nBeth, 0113 496 0000")
                == .failure("Line 2: enter a UK mobile number, like 07700 900123"))
    }

    @Test("Optional registration numbers may be blank, but not wrong")
    func optionalRegistration() throws {
        let registration = try #require(steps(.optometrist).first { $0.id == "registration" })
        #expect((try? ApplicationForm.validate(registration, answers: [:], regions: regions).get()) != nil)
        #expect(
            (try? ApplicationForm.validate(registration, answers: ["registrationNumber": "ABC"], regions: regions).get())
                == nil)
    }

    @Test("Duplicates: the same premises for organisations, the same person and practice for optometrists")
    func duplicateKeys() {
        let a = ApplicationForm.duplicateKey(kind: .communityPharmacy, email: "a@x.org", answers: ["odsCode": "FB006"])
        let b = ApplicationForm.duplicateKey(kind: .communityPharmacy, email: "b@x.org", answers: ["odsCode": "FB006"])
        #expect(a == b)
        let c = ApplicationForm.duplicateKey(kind: .optometrist, email: "a@x.org", answers: ["odsCode": "TP004"])
        let d = ApplicationForm.duplicateKey(kind: .optometrist, email: "b@x.org", answers: ["odsCode": "TP004"])
        #expect(c != d)
        #expect(c == ApplicationForm.duplicateKey(kind: .optometrist, email: " A@X.org", answers: ["odsCode": "TP004"]))
        let e = ApplicationForm.duplicateKey(
            kind: .nonNHSOrganisation, email: "a@x.org",
            answers: ["organisationName": "Harbour Hospice", "postcode": "LS9 7TF"])
        let f = ApplicationForm.duplicateKey(
            kind: .nonNHSOrganisation, email: "z@x.org",
            answers: ["organisationName": "harbour  hospice", "postcode": "LS97TF"])
        #expect(e == f)
    }

    @Test("Every kind asks for a mobile number, and organisations sign the AUP")
    func everyKind() {
        for kind in ApplicationKind.allCases {
            let fields = steps(kind).flatMap(\.fields).map(\.name)
            #expect(fields.contains("mobile"), "\(kind)")
            #expect(fields.contains("aupAccepted") == kind.signsAUP, "\(kind)")
        }
    }
}

@Suite("Form messages")
struct FormMessageTests {
    @Test("A label inside a sentence keeps an acronym's capitals and lowers an ordinary first word")
    func midSentence() {
        #expect(ApplicationForm.midSentence("UK mobile number") == "UK mobile number")
        #expect(ApplicationForm.midSentence("IG terms of service") == "IG terms of service")
        #expect(ApplicationForm.midSentence("GPhC premises number") == "GPhC premises number")
        #expect(ApplicationForm.midSentence("Full name") == "full name")
        #expect(ApplicationForm.midSentence("Postcode") == "postcode")
    }
}
