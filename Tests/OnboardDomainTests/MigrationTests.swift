import Foundation
import Testing

@testable import OnboardDomain

@Suite("Migration plans and checklists")
struct MigrationPlanTests {
    let goLive = Day(iso: "2027-03-01")!
    let today = Day(iso: "2026-11-25")!

    @Test("Days read and write as ISO dates, across leap years and month ends")
    func days() {
        #expect(Day(iso: "2024-02-29")?.iso == "2024-02-29")
        #expect(Day(iso: "2023-02-29") == nil)
        #expect(Day(iso: "2026-13-01") == nil)
        #expect(Day(iso: "1970-01-01")?.ordinal == 0)
        #expect((Day(iso: "2026-12-31")! + 1).iso == "2027-01-01")
        #expect(Day(iso: "2026-11-25")!.weekday == 2, "a Wednesday")
    }

    @Test("Every task is placed against go-live, after the tasks it waits for")
    func generated() {
        let plan = MigrationPlan.generate(
            MigrationPlan.defaultTemplate(for: .selfService), goLive: goLive, today: today)
        let byKey = Dictionary(uniqueKeysWithValues: plan.map { ($0.template.key, $0) })
        #expect(byKey["initiate"]?.start == goLive + -70)
        #expect(byKey["cutover"]?.end == goLive)
        #expect(plan.allSatisfy { $0.problem == nil }, "\(plan.compactMap(\.problem))")
        for task in plan {
            for key in task.template.dependsOn {
                #expect(byKey[key]!.end <= task.start, "\(task.template.key) after \(key)")
            }
        }
    }

    @Test("Moving go-live moves the plan; a go-live too soon says which tasks cannot fit")
    func shifted() {
        let template = MigrationPlan.defaultTemplate(for: .selfService)
        let later = MigrationPlan.generate(template, goLive: goLive + 14, today: today)
        let first = MigrationPlan.generate(template, goLive: goLive, today: today)
        #expect(zip(first, later).allSatisfy { $1.start - $0.start == 14 })
        let soon = MigrationPlan.generate(template, goLive: today + 30, today: today)
        #expect(soon.first { $0.template.key == "initiate" }?.problem?.contains("before today") == true)
    }

    @Test("A task pushed past go-live by what it waits for cannot fit")
    func pushed() {
        let tasks = [
            TaskTemplate(key: "a", title: "A", owner: .organisation, durationDays: 20, offsetDays: -20),
            TaskTemplate(
                key: "b", title: "B", owner: .organisation, durationDays: 5, offsetDays: -10, dependsOn: ["a"]),
        ]
        let plan = MigrationPlan.generate(tasks, goLive: goLive, today: today)
        #expect(plan[1].start == goLive)
        #expect(plan[1].problem?.contains("cannot finish before go-live") == true)
        #expect(MigrationPlan.isLate(plan[0], done: false, today: goLive + 1))
        #expect(!MigrationPlan.isLate(plan[0], done: true, today: goLive + 1))
    }

    @Test("A plan with no go-live yet reads from today: nothing starts earlier, nothing is late")
    func earliestGoLive() {
        let tasks = [
            TaskTemplate(key: "a", title: "A", owner: .organisation, durationDays: 10, offsetDays: -30),
            TaskTemplate(
                key: "b", title: "B", owner: .organisation, durationDays: 5, offsetDays: -10, dependsOn: ["a"]),
            TaskTemplate(key: "c", title: "C", owner: .ism, durationDays: 3, offsetDays: 2),
        ]
        let earliest = MigrationPlan.earliestGoLive(tasks, today: today)
        #expect(earliest == today + 30)
        let plan = MigrationPlan.generate(tasks, goLive: earliest, today: today)
        #expect(plan.allSatisfy { $0.start >= today && $0.problem == nil })
        #expect(plan.allSatisfy { !MigrationPlan.isLate($0, done: false, today: today) })
        #expect(MigrationPlan.generate(tasks, goLive: today, today: today).contains { $0.start < today })
    }

    @Test("Templates with unknown or circular dependencies are refused")
    func templateProblems() {
        let circle = [
            TaskTemplate(key: "a", title: "A", owner: .ism, durationDays: 1, offsetDays: -5, dependsOn: ["b"]),
            TaskTemplate(key: "b", title: "B", owner: .ism, durationDays: 1, offsetDays: -3, dependsOn: ["a", "z"]),
        ]
        let problems = MigrationPlan.problems(in: circle)
        #expect(problems.contains("B depends on z, which is not a task"))
        #expect(problems.contains("The tasks depend on each other in a circle"))
        for option in MigrationOption.allCases {
            #expect(MigrationPlan.problems(in: MigrationPlan.defaultTemplate(for: option)).isEmpty)
        }
    }

    @Test("Go-live waits for every mandatory checklist item")
    func checklist() {
        let items = MigrationChecklist.defaultItems(for: .managed)
        let mandatory = Set(items.filter(\.mandatory).map(\.key))
        #expect(MigrationChecklist.outstanding(items, done: mandatory).isEmpty)
        #expect(
            MigrationChecklist.outstanding(items, done: mandatory.subtracting(["routing"])).map(\.key) == ["routing"])
        #expect(!MigrationChecklist.defaultItems(for: .selfService).contains { $0.key == "national-signoff" })
    }
}

@Suite("clamd's INSTREAM protocol and mail splitting")
struct ScanningTests {
    @Test("Chunks are length-prefixed big-endian; the stream ends with a zero length")
    func framing() {
        #expect(Clamd.chunk([1, 2, 3][...]) == [0, 0, 0, 3, 1, 2, 3])
        #expect(Clamd.chunk(ArraySlice(repeating: 0, count: 70_000)).prefix(4) == [0, 1, 0x11, 0x70])
        #expect(Clamd.command == Array("zINSTREAM".utf8) + [0])
    }

    @Test(
        "Replies become verdicts; limits and encryption are never clean",
        arguments: [
            ("stream: OK\0", Clamd.Verdict.clean),
            (
                "stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0",
                .infected(signature: "Eicar-Test-Signature.UNOFFICIAL")
            ),
            ("stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND", .notScanned(reason: "too large to scan")),
            ("stream: Heuristics.Encrypted.Zip FOUND", .notScanned(reason: "encrypted, so it cannot be scanned")),
            ("INSTREAM size limit exceeded. ERROR", .notScanned(reason: "too large to scan")),
            ("", .notScanned(reason: "scanner error: no reply")),
        ])
    func verdicts(reply: String, expected: Clamd.Verdict) {
        #expect(Clamd.verdict(reply: reply) == expected)
    }

    static let eicar = #"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"#

    @Test("An mbox splits into its messages, undoing >From quoting")
    func mbox() {
        let mbox = """
            From a@example.org Mon Jan  1 00:00:00 2024
            Subject: one

            Hello
            >From the start

            From b@example.org Mon Jan  1 00:00:01 2024
            Subject: two

            Bye
            """
        let messages = MailItems.messages(inMbox: Array(mbox.utf8))
        #expect(messages.count == 2)
        #expect(String(decoding: messages[0], as: UTF8.self).contains("\nFrom the start"))
        #expect(String(decoding: messages[1], as: UTF8.self).hasPrefix("Subject: two"))
    }

    @Test("A message's parts are decoded: the body, a base64 attachment, a quoted-printable part, a nested message")
    func parts() throws {
        let attachment = Data(Self.eicar.utf8).base64EncodedString()
        let message = """
            Subject: report
            Content-Type: multipart/mixed;
             boundary="XYZ"

            --XYZ
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            Caf=C3=A9 =
            menu
            --XYZ
            Content-Type: application/octet-stream; name="eicar.com"
            Content-Disposition: attachment; filename="eicar.com"
            Content-Transfer-Encoding: base64

            \(attachment)
            --XYZ
            Content-Type: message/rfc822

            Subject: inner
            Content-Type: text/plain

            inner body
            --XYZ--
            """.replacingOccurrences(of: "\n", with: "\r\n")
        let parts = try MailItems.parts(of: Array(message.utf8), limit: 1 << 20)
        #expect(parts.map(\.name) == ["message body", "eicar.com", "message body"])
        #expect(String(decoding: parts[0].bytes, as: UTF8.self) == "Café menu")
        #expect(String(decoding: parts[1].bytes, as: UTF8.self) == Self.eicar)
        #expect(String(decoding: parts[2].bytes, as: UTF8.self) == "inner body")
        #expect(throws: MailItems.SplitError.tooLarge) { try MailItems.parts(of: Array(message.utf8), limit: 10) }
    }
}

@Suite("Transfer files opened for scanning")
struct TransferItemsTests {
    static let eicar = Array(ScanningTests.eicar.utf8)

    func message(attaching name: String, _ bytes: [UInt8]) -> [UInt8] {
        let encoded = Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn])
        return Array(
            """
            Subject: files\r
            Content-Type: multipart/mixed; boundary="b1"\r
            \r
            --b1\r
            Content-Type: text/plain\r
            \r
            Please find attached.\r
            --b1\r
            Content-Type: application/zip\r
            Content-Disposition: attachment; filename="\(name)"\r
            Content-Transfer-Encoding: base64\r
            \r
            \(encoded)\r
            --b1--\r

            """.utf8)
    }

    @Test("A zip inside a message inside an mbox inside a zip is opened to the file that holds EICAR")
    func nested() {
        var inner = ZipWriter()
        inner.add("scan.com", Self.eicar)
        let mbox =
            Array("From a@example.org Mon Jan  1 00:00:00 2024\n".utf8)
            + message(attaching: "files.zip", inner.finish())
        var outer = ZipWriter()
        outer.add("export/inbox.mbox", mbox)
        outer.add("export/", [])
        let items = TransferItems.expand(name: "batch.zip", bytes: outer.finish(), budget: 1 << 20)
        let paths = items.map(\.path)
        #expect(paths.contains("batch.zip › export/inbox.mbox › message 1 › files.zip › scan.com"), "\(paths)")
        #expect(items.first { $0.path.hasSuffix("scan.com") }?.bytes == Self.eicar)
        #expect(items.allSatisfy { $0.unscannable == nil })
    }

    @Test("Past the budget an archive's entry is not scanned, never passed")
    func budget() {
        var zip = ZipWriter()
        zip.add("big.bin", [UInt8](repeating: 7, count: 5000))
        let items = TransferItems.expand(name: "batch.zip", bytes: zip.finish(), budget: 1000)
        #expect(items.map(\.unscannable) == ["too large once decompressed"])
    }

    @Test("Documents pass through whole; an .eml is one message and its parts")
    func plain() {
        #expect(
            TransferItems.expand(name: "minutes.docx.txt", bytes: [1, 2, 3], budget: 10).map(\.path) == [
                "minutes.docx.txt"
            ])
        let eml = message(attaching: "a.txt", Self.eicar)
        let items = TransferItems.expand(name: "note.eml", bytes: eml, budget: 1 << 20)
        #expect(items.map(\.path) == ["note.eml", "note.eml › message body", "note.eml › a.txt"])
    }
}

@Suite("The transfer gate")
struct TransferGateTests {
    @Test("Only clean or dealt-with items let the gate pass; waiting and quarantined items hold it")
    func gate() throws {
        let infected = TransferGate.state(after: .infected(signature: "Onboard.Test.EICAR.UNOFFICIAL"))
        let unscanned = TransferGate.state(after: .notScanned(reason: "encrypted, so it cannot be scanned"))
        #expect(infected.isQuarantined && unscanned.isQuarantined)
        #expect(!TransferGate.passes([.clean, infected]))
        #expect(!TransferGate.passes([.clean, .waiting]))
        #expect(!TransferGate.passes([]))
        let removed = try TransferGate.remove(infected, by: "ism")
        let released = try TransferGate.release(
            unscanned, by: "ism", reason: "Password given by the practice; opened and checked")
        #expect(TransferGate.passes([.clean, removed, released]))
    }

    @Test("Release needs a reason, and only quarantined items are dealt with")
    func refusals() {
        #expect(throws: TransferGate.Refusal.reasonNeeded) {
            try TransferGate.release(.infected(signature: "x"), by: "ism", reason: "ok")
        }
        #expect(throws: TransferGate.Refusal.notQuarantined) { try TransferGate.remove(.clean, by: "ism") }
    }
}
