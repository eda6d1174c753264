import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Shared mailboxes")
struct SharedMailboxAppTests {
    func mailboxID(_ response: TestingHTTPResponse) throws -> UUID {
        let location = try #require(response.headers.first(name: .location))
        let id = try #require(location.firstMatch(of: /\/mailboxes\/([0-9a-f-]{36})/)?.output.1)
        return try #require(UUID(uuidString: String(id)))
    }

    @Test("An LA adds a premises mailbox with an owner; its address is reserved for good")
    func create() async throws {
        try await withTestApp { app, _ in
            let chloe = try await signIn(app, email: Demo.chloe)
            let form = [
                ("organisation", "FA001"), ("localPart", "armley.pharmacy"), ("name", "Pharmacy team"),
                ("owner", Demo.chloe),
            ]
            let created = try await submit(app, "/mailboxes/new", chloe, form)
            #expect(created.status == .seeOther, "\(created.body.string.prefix(2000))")
            let id = try mailboxID(created)
            let page = try await page(app, "/mailboxes/\(id)", chloe)
            #expect(page.body.string.contains("Pharmacy team (Northern Pharmacy Armley)"))
            #expect(page.body.string.contains("armley.pharmacy@nhs.net"))
            let again = try await submit(app, "/mailboxes/new", chloe, form)
            #expect(again.body.string.contains("is already taken, or was used before"))
            let person = try await submit(
                app, "/mailboxes/new", chloe,
                [("organisation", "FA001"), ("localPart", "uma.singh"), ("name", "Team"), ("owner", Demo.chloe)])
            #expect(person.body.string.contains("is already taken"), "a person's address is not free either")
            #expect(try await auditCount(app, action: "mailbox.create") == 1)
        }
    }

    @Test("Owners manage members: a locum from elsewhere gets Send As, and the last owner cannot go")
    func members() async throws {
        try await withTestApp { app, _ in
            let chloe = try await signIn(app, email: Demo.chloe)
            let created = try await submit(
                app, "/mailboxes/new", chloe,
                [("organisation", "FA002"), ("localPart", "bramley.pharmacy"), ("name", "Team"), ("owner", Demo.uma)])
            let id = try mailboxID(created)
            let uma = try await signIn(app, email: Demo.uma)
            let added = try await submit(
                app, "/mailboxes/\(id)/members", uma, [("address", Demo.tom), ("sendAs", "yes")])
            #expect(added.status == .seeOther)
            let members = try await SharedMailboxes.members(id, on: app.db as! any SQLDatabase)
            #expect(members.count == 2)
            #expect(members.contains { $0.address == Demo.tom && $0.sendAs && !$0.fullAccess && !$0.owner })
            // Tom, from another organisation, is told who gave him access to what; the change is audited.
            try await drainJobs(app)
            let told = try await deliveries(app, to: Demo.tom).first { $0.template == "notice" }
            let body = try #require(told?.body, "the new member is told")
            #expect(body.contains("You have been given access to a shared mailbox"))
            #expect(body.contains("bramley.pharmacy@nhs.net") && body.contains("send as it"))
            #expect(!body.contains("read and manage"), "only the rights given")
            #expect(try await auditCount(app, action: "mailbox.member_added") == 2)
            let umaID = try await accountID(app, email: Demo.uma)
            let refused = try await submit(app, "/mailboxes/\(id)/members/\(umaID)/remove", uma, [])
            #expect(refused.body.string.contains("needs at least one owner"))
            let nothing = try await submit(app, "/mailboxes/\(id)/members", uma, [("address", Demo.tom)])
            #expect(nothing.body.string.contains("Choose Full Access, Send As or both"))
            let tom = try await signIn(app, email: Demo.tom)
            #expect(try await page(app, "/mailboxes/\(id)", tom).status == .notFound, "members who are not owners")
        }
    }

    @Test("Another organisation's LA gets 404, by page and API")
    func crossScope() async throws {
        try await withTestApp { app, _ in
            let chloe = try await signIn(app, email: Demo.chloe)
            let created = try await submit(
                app, "/mailboxes/new", chloe,
                [
                    ("organisation", "FA003"), ("localPart", "headingley.pharmacy"), ("name", "Team"),
                    ("owner", Demo.chloe),
                ])
            let id = try mailboxID(created)
            let mia = try await signIn(app, email: Demo.mia)
            #expect(try await page(app, "/mailboxes/\(id)", mia).status == .notFound)
            #expect(try await submit(app, "/mailboxes/\(id)/members", mia, [("address", Demo.mia)]).status == .notFound)
            let token = try await apiToken(app, email: Demo.mia)
            #expect(try await app.send(.GET, "/api/v1/mailboxes/\(id)", headers: bearer(token)).status == .notFound)
        }
    }

    @Test("The API adds a mailbox and a member, naming each bad field")
    func api() async throws {
        try await withTestApp { app, _ in
            var headers = bearer(try await apiToken(app, email: Demo.chloe))
            headers.add(name: .contentType, value: "application/json")
            let bad = try await app.send(
                .POST, "/api/v1/mailboxes", headers: headers,
                body: ByteBuffer(
                    string: #"{"organisation":"FA004","localPart":"Not Valid!","name":"","owner":"x@y.z"}"#))
            #expect(bad.status == .unprocessableEntity)
            for field in ["localPart", "name", "owner"] { #expect(bad.body.string.contains(#""field":"\#(field)""#)) }
            let created = try await app.send(
                .POST, "/api/v1/mailboxes", headers: headers,
                body: ByteBuffer(
                    string:
                        #"{"organisation":"FA004","localPart":"horsforth.pharmacy","name":"Team","owner":"chloe.brown@nhs.net"}"#
                ))
            #expect(created.status == .created)
            struct Mailbox: Decodable { let id: String }
            let id = try created.content.decode(Mailbox.self).id
            let member = try await app.send(
                .POST, "/api/v1/mailboxes/\(id)/members", headers: headers,
                body: ByteBuffer(string: #"{"address":"tom.reed@nhs.net","sendAs":true}"#))
            #expect(member.status == .ok)
            #expect(member.body.string.contains("tom.reed@nhs.net"))
        }
    }

    @Test("An owner hides a mailbox from the directory and lists it again, by page and API, audited each time")
    func directoryListing() async throws {
        try await withTestApp { app, _ in
            let chloe = try await signIn(app, email: Demo.chloe)
            let created = try await submit(
                app, "/mailboxes/new", chloe,
                [("organisation", "FA005"), ("localPart", "rothwell.orders"), ("name", "Orders"), ("owner", Demo.uma)])
            let id = try mailboxID(created)
            func listed() async throws -> Bool {
                let search = DirectorySearch(text: "rothwell", kind: .shared)
                guard case .results(let page) = try await search.run(on: app.db as! any SQLDatabase) else {
                    return true
                }
                return !page.entries.isEmpty
            }
            #expect(try await listed(), "a new mailbox is listed")
            let uma = try await signIn(app, email: Demo.uma)
            let unanswered = try await submit(app, "/mailboxes/\(id)/directory", uma, [])
            #expect(unanswered.body.string.contains("Select yes if people should find this mailbox in the directory"))
            #expect(unanswered.body.string.contains("nhsuk-error-summary"))
            let hidden = try await submit(app, "/mailboxes/\(id)/directory", uma, [("listed", "no")])
            #expect(hidden.status == .seeOther)
            #expect(try await listed() == false)
            #expect(try await page(app, "/mailboxes/\(id)", uma).body.string.contains("Hidden. Only its members"))
            let mia = try await signIn(app, email: Demo.mia)
            #expect(try await submit(app, "/mailboxes/\(id)/directory", mia, [("listed", "yes")]).status == .notFound)
            #expect(try await listed() == false, "another organisation's LA cannot list it")

            var headers = bearer(try await apiToken(app, email: Demo.chloe))
            headers.add(name: .contentType, value: "application/json")
            let relisted = try await app.send(
                .PATCH, "/api/v1/mailboxes/\(id)", headers: headers,
                body: ByteBuffer(string: #"{"listedInDirectory":true}"#))
            #expect(relisted.status == .ok)
            struct Listing: Decodable { let listedInDirectory: Bool }
            #expect(try relisted.content.decode(Listing.self).listedInDirectory)
            #expect(try await listed())
            let missing = try await app.send(
                .PATCH, "/api/v1/mailboxes/\(id)", headers: headers, body: ByteBuffer(string: "{}"))
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.body.string.contains("listedInDirectory"), "the missing field is named")
            let mistyped = try await app.send(
                .PATCH, "/api/v1/mailboxes/\(id)", headers: headers,
                body: ByteBuffer(string: #"{"listedInDirectory":"perhaps"}"#))
            #expect(mistyped.status == .unprocessableEntity)
            #expect(mistyped.body.string.contains("listedInDirectory"))
            let broken = try await app.send(
                .PATCH, "/api/v1/mailboxes/\(id)", headers: headers, body: ByteBuffer(string: "{"))
            #expect(broken.status == .badRequest, "JSON that does not parse is still a bad request")
            #expect(try await auditCount(app, action: "mailbox.directory_listing") == 2)
        }
    }

    @Test("A leaver loses their mailbox memberships")
    func leaverLosesMembership() async throws {
        try await withTestApp { app, _ in
            let chloe = try await signIn(app, email: Demo.chloe)
            let created = try await submit(
                app, "/mailboxes/new", chloe,
                [
                    ("organisation", "FA005"), ("localPart", "kirkstall.pharmacy"), ("name", "Team"),
                    ("owner", Demo.chloe),
                ])
            let id = try mailboxID(created)
            _ = try await submit(
                app, "/mailboxes/\(id)/members", chloe, [("address", Demo.tom), ("fullAccess", "yes")])
            let liam = try await signIn(app, email: Demo.liam)
            _ = try await submit(
                app, "/accounts/\(try await accountID(app, email: Demo.tom))/leaver", liam, [("confirm", "yes")])
            let members = try await SharedMailboxes.members(id, on: app.db as! any SQLDatabase)
            #expect(!members.contains { $0.address == Demo.tom })
        }
    }
}
