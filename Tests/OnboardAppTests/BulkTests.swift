import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// The demo pharmacy multiple's super user (Northern Pharmacy Group, FHQ01).
let samKhan = "sam.khan@nhs.net"

/// A pharmacy registration sheet as CSV: the stores section, a blank row, then the users section.
func pharmacyCSV(stores: [[String]], users: [[String]], leaverColumn: Bool = false) -> String {
    let storeLines = [BulkSheet.storeColumns] + stores
    let userLines = [BulkSheet.userColumns + (leaverColumn ? ["leaver"] : [])] + users
    return (storeLines.map(CSV.line) + [""] + userLines.map(CSV.line)).joined(separator: "\r\n") + "\r\n"
}

func storeRows(_ count: Int) -> [[String]] {
    (1...count).map { i in
        let ods = String(format: "FA%03d", i)
        return [ods, "Store \(i)", String(1_234_560 + i), "store\(i).pharmacy"]
    }
}

func userRows(_ count: Int, stores: Int = 2, surname: String = "Lee") -> [[String]] {
    (1...count).map { i in
        [
            "E\(i)", "Person\(i)", surname, String(format: "07700 9%05d", i),
            String(format: "FA%03d", (i - 1) % stores + 1), "staff",
        ]
    }
}

/// Uploads a sheet through the page as a browser does and returns the upload's id (following the redirect).
func uploadSheet(
    _ app: Application, _ session: WebSession, _ bytes: [UInt8], filename: String = "sheet.csv",
    kind: String = "pharmacy_multiple"
) async throws -> TestingHTTPResponse {
    let boundary = "onboard-test-\(UUID().uuidString)"
    var body = ByteBuffer()
    body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(session.csrf)\r\n")
    body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n\(kind)\r\n")
    body.writeString(
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n")
    body.writeBytes(bytes)
    body.writeString("\r\n--\(boundary)--\r\n")
    var headers = session.headers
    headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
    return try await app.send(.POST, "/bulk/new", headers: headers, body: body)
}

func uploadID(_ response: TestingHTTPResponse) throws -> UUID {
    let location = try #require(
        response.headers.first(name: .location), "\(response.status) \(response.body.string.prefix(3000))")
    let id = try #require(location.firstMatch(of: /\/bulk\/([0-9a-f-]{36})/)?.output.1)
    return try #require(UUID(uuidString: String(id)))
}

func count(_ app: Application, _ query: SQLQueryString) async throws -> Int {
    struct Row: Decodable { let n: Int }
    return try await (app.db as! any SQLDatabase).raw("SELECT CAST(COUNT(*) AS INTEGER) AS n \(query)").firstRow(
        Row.self)?.n ?? 0
}

func uploadStatus(_ app: Application, _ id: UUID) async throws -> BulkUploadRow {
    try #require(try await BulkUploads.load(id, on: app.db as! any SQLDatabase))
}

/// Signs Sam in and accepts the data sharing agreement.
func superUser(_ app: Application) async throws -> WebSession {
    let sam = try await signIn(app, email: samKhan)
    let accepted = try await submit(app, "/bulk/agreement", sam, [("agree", "yes")])
    #expect(accepted.status == .seeOther)
    return sam
}

/// Uploads as Sam, applies as Priya (pharmacy administration team) and runs the job to the end.
func uploadAndApply(
    _ app: Application, sam: WebSession, priya: WebSession, csv: String, method: String = "automated"
) async throws -> UUID {
    let id = try uploadID(try await uploadSheet(app, sam, Array(csv.utf8)))
    let checked = try await uploadStatus(app, id)
    #expect(checked.status == "valid", "\(checked.report)")
    let applied = try await submit(app, "/bulk/\(id)/apply", priya, [("method", method)])
    #expect(applied.status == .seeOther)
    try await drainJobs(app)
    struct Failure: Decodable { let lastError: String? }
    let failures = try await (app.db as! any SQLDatabase).raw(
        "SELECT last_error FROM jobs WHERE last_error IS NOT NULL"
    ).rows(Failure.self)
    #expect(failures.isEmpty, "\(failures)")
    return id
}

@Suite("Bulk registration")
struct BulkTests {
    @Test("A super user must accept the data sharing agreement, recorded with its version, before uploading")
    func agreement() async throws {
        try await withTestApp { app, _ in
            let sam = try await signIn(app, email: samKhan)
            let blocked = try await page(app, "/bulk/new", sam)
            #expect(blocked.headers.first(name: .location) == "/bulk/agreement")
            let unticked = try await submit(app, "/bulk/agreement", sam, [])
            #expect(unticked.status == .unprocessableEntity)
            #expect(unticked.body.string.contains("Confirm that your organisation agrees"))
            _ = try await submit(app, "/bulk/agreement", sam, [("agree", "yes")])
            #expect(try await count(app, "FROM data_sharing_agreements WHERE version = '2026.1'") == 1)
            #expect(try await auditCount(app, action: "bulk.agreement_accepted") == 1)
            #expect(try await page(app, "/bulk/new", sam).status == .ok)
        }
    }

    @Test("A sheet with errors is reported by sheet, row and column, and creates nothing")
    func errors() async throws {
        try await withTestApp { app, _ in
            let sam = try await superUser(app)
            let csv = pharmacyCSV(
                stores: [
                    ["FA001", "Armley", "1234567", "armley.pharmacy"], ["ZZ999", "Nowhere", "1234568", "nowhere"],
                ],
                users: [
                    ["E1", "Ann", "Lee", "07700 900001", "FA001", "pharmacist"],
                    ["E1", "Bob", "Day", "not a number", "FA002", "boss"],
                ])
            let id = try uploadID(try await uploadSheet(app, sam, Array(csv.utf8)))
            let upload = try await uploadStatus(app, id)
            #expect(upload.status == "invalid")
            let report = BulkReport.decode(upload.report)
            let cells = report.problems.map { "\($0.sheet):\($0.row):\($0.column ?? "-")" }
            #expect(
                cells == [
                    "stores:3:ods_code", "users:7:local_id", "users:7:mobile", "users:7:store_ods_code",
                    "users:7:role",
                ], "\(report.problems)")
            #expect(report.problems[0].message.contains("ZZ999 is not a registered organisation"))
            let shown = try await page(app, "/bulk/\(id)", sam)
            #expect(shown.body.string.contains("E1 is in the file twice: rows 6 and 7"))
            #expect(try await count(app, "FROM bulk_people") == 0)
            #expect(try await count(app, "FROM store_mailboxes") == 0)
            let priya = try await signIn(app, email: Demo.priya)
            let refused = try await submit(app, "/bulk/\(id)/apply", priya, [("method", "automated")])
            #expect(refused.status == .seeOther)
            #expect(try await uploadStatus(app, id).status == "invalid")
            let download = try await page(app, "/bulk/\(id)/report", sam)
            #expect(download.status == .ok)
            let lines = CSV.parse(download.body.string)
            #expect(lines.first?.last == "result")
            #expect(
                lines.contains { $0.first == "ZZ999" && $0.last?.contains("not a registered organisation") == true })
            #expect(try await auditCount(app, action: "bulk.report_downloaded") == 1)
        }
    }

    @Test("Applied: store mailboxes, accounts with texts, staff in their store's mailbox; results carry no credential")
    func applies() async throws {
        try await withTestApp { app, _ in
            let sam = try await superUser(app)
            let priya = try await signIn(app, email: Demo.priya)
            let csv = pharmacyCSV(
                stores: storeRows(2), users: userRows(5) + [["L1", "Uma", "Singh", "07700 900099", "FA001", "locum"]])
            let id = try await uploadAndApply(app, sam: sam, priya: priya, csv: csv)
            let upload = try await uploadStatus(app, id)
            #expect(upload.status == "applied")
            #expect(upload.createdCount == 6)
            #expect(upload.mailboxesCreated == 2)
            #expect(try await count(app, "FROM shared_mailboxes WHERE address = 'store1.pharmacy@nhs.net'") == 1)
            #expect(
                try await count(
                    app, "FROM accounts WHERE address LIKE 'person%.lee@nhs.net' AND state = 'pending_activation'") == 5
            )
            // The locum already had an account (Uma Singh, same mobile? no: a different number), so this one is new.
            #expect(
                try await count(
                    app,
                    "FROM shared_mailbox_members m JOIN shared_mailboxes s ON s.id = m.mailbox_id WHERE s.address = 'store1.pharmacy@nhs.net' AND m.owner = \(bind: false)"
                ) == 4)
            #expect(try await count(app, "FROM outbox WHERE template IN ('security_code', 'credentials')") == 12)
            #expect(try await count(app, "FROM audit_events WHERE action = 'account.create'") == 6)
            let texts = try await deliveries(app, to: "+447700900001")
            #expect(texts.map(\.template).sorted() == ["credentials", "security_code"])
            let results = try await page(app, "/bulk/\(id)/results", sam)
            #expect(results.status == .ok)
            let body = results.body.string
            #expect(body.contains("person1.lee@nhs.net"))
            let password = try await latestTemporaryPassword(app, to: "+447700900001")
            #expect(!body.contains(password))
            #expect(!body.lowercased().contains("password"))
            #expect(try await auditCount(app, action: "bulk.results_downloaded") == 1)
            // The super user looks after store staff: unlock and reset, as for any account in their tree.
            let person = try await accountID(app, email: "person1.lee@nhs.net")
            let account = try await page(app, "/accounts/\(person)", sam)
            #expect(account.status == .ok)
            #expect(try await submit(app, "/accounts/\(person)/unlock", sam, []).status == .seeOther)
        }
    }

    @Test("The same sheet uploaded and applied again creates nothing new; applying twice is refused")
    func idempotent() async throws {
        try await withTestApp { app, _ in
            let sam = try await superUser(app)
            let priya = try await signIn(app, email: Demo.priya)
            let csv = pharmacyCSV(stores: storeRows(2), users: userRows(4))
            let first = try await uploadAndApply(app, sam: sam, priya: priya, csv: csv)
            let twice = try await submit(app, "/bulk/\(first)/apply", priya, [("method", "automated")])
            #expect(twice.status == .seeOther)
            #expect(try await count(app, "FROM jobs WHERE kind = 'bulk.apply'") == 1)
            let second = try await uploadAndApply(app, sam: sam, priya: priya, csv: csv)
            let again = try await uploadStatus(app, second)
            #expect(again.createdCount == 0)
            #expect(again.unchangedCount == 4)
            #expect(try await count(app, "FROM accounts WHERE address LIKE 'person%'") == 4)
            #expect(try await count(app, "FROM shared_mailboxes") == 2)
            #expect(try await count(app, "FROM outbox WHERE template = 'credentials'") == 4)
        }
    }

    @Test("Two uploads of the same rows, applied at the same moment, create each person once")
    func concurrent() async throws {
        try await withTestApp { app, clock in
            let sam = try await superUser(app)
            let priya = try await signIn(app, email: Demo.priya)
            let csv = pharmacyCSV(stores: storeRows(2), users: userRows(6))
            let a = try uploadID(try await uploadSheet(app, sam, Array(csv.utf8)))
            let b = try uploadID(try await uploadSheet(app, sam, Array(csv.utf8)))
            _ = try await submit(app, "/bulk/\(a)/apply", priya, [("method", "automated")])
            _ = try await submit(app, "/bulk/\(b)/apply", priya, [("method", "automated")])
            let runner = app.jobs
            async let one: Void = { while try await runner.runOnce(app: app) {} }()
            async let two: Void = { while try await JobRunner(handlers: runner.handlers).runOnce(app: app) {} }()
            _ = try await (one, two)
            // SQLite has one writer: a run that waits longer than the busy timeout for the other's lock fails
            // and is retried later by the job queue, after a backoff. PostgreSQL runs both at once.
            for _ in 0..<10 where try await count(app, "FROM bulk_uploads WHERE status = 'applied'") < 2 {
                clock.advance(by: 3600)
                try await drainJobs(app)
            }
            #expect(try await count(app, "FROM bulk_uploads WHERE status = 'applied'") == 2)
            #expect(try await count(app, "FROM accounts WHERE address LIKE 'person%'") == 6)
            #expect(try await count(app, "FROM bulk_people") == 6)
            #expect(try await count(app, "FROM outbox WHERE template = 'credentials'") == 6)
            let created = try await uploadStatus(app, a).createdCount + (try await uploadStatus(app, b).createdCount)
            #expect(created == 6)
        }
    }

    @Test("A worker stopped dead after a chunk resumes on restart: nothing missing, nothing twice")
    func resumes() async throws {
        try await withTestApp { app, clock in
            app.dependencies.settings.bulk.chunkSize = 3
            app.dependencies.settings.bulk.stopAfterChunks = 2
            let sam = try await superUser(app)
            let priya = try await signIn(app, email: Demo.priya)
            let id = try uploadID(
                try await uploadSheet(
                    app, sam, Array(pharmacyCSV(stores: storeRows(3), users: userRows(10, stores: 3)).utf8)))
            _ = try await submit(app, "/bulk/\(id)/apply", priya, [("method", "automated")])
            try await drainJobs(app)
            let stopped = try await uploadStatus(app, id)
            #expect(stopped.status == "applying")
            #expect(stopped.rowsDone == 6)
            #expect(try await count(app, "FROM accounts WHERE address LIKE 'person%'") == 6)
            // The restarted worker finds the job once its lease has run out.
            app.dependencies.settings.bulk.stopAfterChunks = nil
            clock.advance(by: 301)
            try await JobRunner(handlers: app.jobs.handlers).runOnce(app: app)
            try await drainJobs(app)
            let done = try await uploadStatus(app, id)
            #expect(done.status == "applied")
            #expect(done.createdCount == 10)
            #expect(try await count(app, "FROM accounts WHERE address LIKE 'person%'") == 10)
            #expect(try await count(app, "FROM shared_mailboxes") == 3)
            #expect(try await count(app, "FROM shared_mailbox_members WHERE owner = \(bind: false)") == 10)
            #expect(try await count(app, "FROM outbox WHERE template = 'security_code'") == 10)
            #expect(try await count(app, "FROM outbox WHERE template = 'credentials'") == 10)
            #expect(try await count(app, "FROM dev_deliveries WHERE template = 'credentials'") == 10)
            #expect(try await count(app, "FROM audit_events WHERE action = 'account.create'") == 10)
            #expect(try await count(app, "FROM bulk_results WHERE upload_id = \(bind: id)") == 13)
        }
    }

    @Test("A later sheet moves people between stores and marks leavers")
    func moversAndLeavers() async throws {
        try await withTestApp { app, _ in
            let sam = try await superUser(app)
            let priya = try await signIn(app, email: Demo.priya)
            _ = try await uploadAndApply(
                app, sam: sam, priya: priya, csv: pharmacyCSV(stores: storeRows(2), users: userRows(3)))
            var users = userRows(3).map { $0 + [""] }
            users[0][4] = "FA002"
            users[1][6] = "yes"
            let id = try await uploadAndApply(
                app, sam: sam, priya: priya, csv: pharmacyCSV(stores: storeRows(2), users: users, leaverColumn: true))
            let upload = try await uploadStatus(app, id)
            #expect((upload.updatedCount, upload.leftCount, upload.unchangedCount) == (1, 1, 1))
            let person1 = try await accountID(app, email: "person1.lee@nhs.net")
            #expect(
                try await count(
                    app,
                    "FROM shared_mailbox_members m JOIN shared_mailboxes s ON s.id = m.mailbox_id WHERE m.account_id = \(bind: person1) AND s.address = 'store2.pharmacy@nhs.net'"
                ) == 1)
            #expect(try await count(app, "FROM shared_mailbox_members WHERE account_id = \(bind: person1)") == 1)
            // Person 2 never activated, so their account is closed as an unused one is.
            #expect(
                try await count(app, "FROM accounts WHERE address = 'person2.lee@nhs.net' AND state = 'expired'") == 1)
        }
    }

    @Test("Files that cannot be read are refused with a reason, on the page and through the API")
    func unreadable() async throws {
        try await withTestApp { app, _ in
            let sam = try await superUser(app)
            let empty = try await uploadSheet(app, sam, [])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.body.string.contains("Choose the file to upload"))
            let pdf = try await uploadSheet(app, sam, Array("%PDF-1.4 binary".utf8) + [0, 1, 2], filename: "x.pdf")
            #expect(pdf.body.string.contains("must be an Excel workbook (.xlsx) or a CSV file"))
            let latin1 = try await uploadSheet(app, sam, [0x6E, 0x61, 0x6D, 0x65, 0xE9, 0x0A])
            #expect(latin1.body.string.contains("not saved as UTF-8"))
            var doctype = ZipWriter()
            doctype.add(
                "[Content_Types].xml", Array("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x/>".utf8))
            doctype.add("xl/workbook.xml", Array("<workbook/>".utf8))
            let bomb = try await uploadSheet(app, sam, doctype.finish(), filename: "evil.xlsx")
            #expect(bomb.body.string.contains("DOCTYPE"))
            #expect(try await count(app, "FROM bulk_uploads") == 0)
            let token = try await apiToken(app, email: samKhan)
            let api = try await apiUpload(
                app, token: token, bytes: Array("%PDF-1.4".utf8) + [0], kind: "pharmacy_multiple")
            #expect(api.status == .unprocessableEntity)
            #expect(api.headers.contentType?.description.contains("problem+json") == true)
            #expect(api.body.string.contains("Excel workbook"))
        }
    }

    @Test("A workbook made from the XLSX template is read by its named sheets")
    func workbook() async throws {
        try await withTestApp { app, _ in
            let sam = try await superUser(app)
            let template = try await page(app, "/bulk/templates/pharmacy-multiple-template.xlsx", sam)
            #expect(template.status == .ok)
            #expect(try await auditCount(app, action: "bulk.template_downloaded") == 1)
            let sheets = try XLSX.read(Array(template.body.readableBytesView))
            #expect(sheets.map(\.name) == ["stores", "users"])
            let filled = XLSX.write([
                SheetTable(name: "stores", cells: [BulkSheet.storeColumns] + storeRows(1)),
                SheetTable(name: "users", cells: [BulkSheet.userColumns] + userRows(2, stores: 1)),
            ])
            let id = try uploadID(try await uploadSheet(app, sam, filled, filename: "stores.xlsx"))
            #expect(try await uploadStatus(app, id).status == "valid")
            let report = try await page(app, "/bulk/\(id)/report", sam)
            #expect(report.headers.contentType?.description.contains("spreadsheetml") == true)
        }
    }

    @Test("Uploads are seen only by the uploader and the reviewing team; others get 404 by page and API")
    func visibility() async throws {
        try await withTestApp { app, _ in
            let sam = try await superUser(app)
            let id = try uploadID(
                try await uploadSheet(
                    app, sam, Array(pharmacyCSV(stores: storeRows(1), users: userRows(1, stores: 1)).utf8)))
            let priya = try await signIn(app, email: Demo.priya)
            let review = try await page(app, "/bulk/\(id)", priya)
            #expect(review.status == .ok)
            #expect(review.body.string.contains("New account person1.lee@nhs.net"), "the team sees what it applies")
            #expect(review.body.string.contains("New shared mailbox store1.pharmacy@nhs.net"))
            let chloe = try await signIn(app, email: Demo.chloe)
            #expect(try await page(app, "/bulk/\(id)", chloe).status == .notFound)
            #expect(try await page(app, "/bulk/\(id)/report", chloe).status == .notFound)
            #expect(try await submit(app, "/bulk/\(id)/apply", chloe, [("method", "automated")]).status == .notFound)
            let token = try await apiToken(app, email: Demo.chloe)
            #expect(try await app.get("/api/v1/bulk-uploads/\(id)", headers: bearer(token)).status == .notFound)
            // The uploader cannot apply their own pharmacy sheet: that is the team's review.
            #expect(
                try await page(app, "/bulk/\(id)", sam).body.string.contains("pharmacy administration team will review")
            )
        }
    }

    @Test("An LA's accounts sheet: only organisations they administer; applied by the API")
    func accountsSheet() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.chloe)
            let header = BulkSheet.accountColumns
            let bad = [header, ["P1", "Ann", "Lee", "07700 900001", "RR801"]].map(CSV.line).joined(separator: "\n")
            let refused = try await apiUpload(app, token: token, bytes: Array(bad.utf8), kind: "accounts")
            #expect(refused.status == .created)
            #expect(refused.body.string.contains("\"invalid\""))
            #expect(refused.body.string.contains("You do not administer"))
            let good = [
                header, ["P1", "Ann", "Lee", "07700 900001", "B86001"], ["P2", "Bo", "Day", "07700 900002", "B86002"],
            ]
            .map(CSV.line).joined(separator: "\n")
            let valid = try await apiUpload(app, token: token, bytes: Array(good.utf8), kind: "accounts")
            struct Body: Decodable {
                let id: String
                let status: String
                let counts: [String: Int]
            }
            let body = try JSONDecoder().decode(Body.self, from: Data(buffer: valid.body))
            #expect(body.status == "valid")
            #expect(body.counts["create"] == 2)
            var headers = bearer(token)
            headers.contentType = .json
            let applied = try await app.send(
                .POST, "/api/v1/bulk-uploads/\(body.id)/apply", headers: headers,
                body: ByteBuffer(string: #"{"method":"assisted"}"#))
            #expect(applied.status == .accepted)
            let twice = try await app.send(
                .POST, "/api/v1/bulk-uploads/\(body.id)/apply", headers: headers, body: ByteBuffer(string: "{}"))
            #expect(twice.status == .conflict)
            try await drainJobs(app)
            let status = try await app.get("/api/v1/bulk-uploads/\(body.id)", headers: bearer(token))
            #expect(status.body.string.contains("\"applied\""))
            #expect(try await count(app, "FROM accounts WHERE address IN ('ann.lee@nhs.net', 'bo.day@nhs.net')") == 2)
            #expect(
                try await count(app, "FROM outbox WHERE template = 'credentials'") == 0,
                "assisted: nothing is texted yet")
            let results = try await app.get("/api/v1/bulk-uploads/\(body.id)/results", headers: bearer(token))
            #expect(results.body.string.contains("ann.lee@nhs.net"))

            // The body is optional: without one (no Content-Type, no bytes) the default method applies.
            let another = [header, ["P3", "Cy", "Ray", "07700 900003", "B86001"]].map(CSV.line).joined(separator: "\n")
            let second = try await apiUpload(app, token: token, bytes: Array(another.utf8), kind: "accounts")
            let secondID = try JSONDecoder().decode(Body.self, from: Data(buffer: second.body)).id
            let bare = try await app.send(.POST, "/api/v1/bulk-uploads/\(secondID)/apply", headers: bearer(token))
            #expect(bare.status == .accepted, "an optional body may be left out (got \(bare.status))")
            try await drainJobs(app)
            #expect(
                try await count(app, "FROM outbox WHERE template = 'credentials'") == 1,
                "with no body the method is the default, automated")
        }
    }

    @Test("Sheets and results are purged after the retention period; the counts remain")
    func purge() async throws {
        try await withTestApp { app, clock in
            let sam = try await superUser(app)
            let id = try uploadID(
                try await uploadSheet(
                    app, sam, Array(pharmacyCSV(stores: storeRows(1), users: userRows(1, stores: 1)).utf8)))
            clock.advance(by: 91 * 86_400)
            try await JobRunner.enqueue(BulkPurgeJob.kind, runAt: app.clock.now(), on: app.db as! any SQLDatabase)
            try await drainJobs(app)
            #expect(
                try await count(
                    app, "FROM bulk_uploads WHERE id = \(bind: id) AND content IS NULL AND purged_at IS NOT NULL") == 1)
            let sam2 = try await signIn(app, email: samKhan)
            #expect(try await page(app, "/bulk/\(id)/report", sam2).status == .gone)
        }
    }
}

func apiUpload(_ app: Application, token: String, bytes: [UInt8], kind: String) async throws -> TestingHTTPResponse {
    let boundary = "onboard-api-\(UUID().uuidString)"
    var body = ByteBuffer()
    body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n\(kind)\r\n")
    body.writeString(
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sheet.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    body.writeBytes(bytes)
    body.writeString("\r\n--\(boundary)--\r\n")
    var headers = bearer(token)
    headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
    return try await app.send(.POST, "/api/v1/bulk-uploads", headers: headers, body: body)
}
