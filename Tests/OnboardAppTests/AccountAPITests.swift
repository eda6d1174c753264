import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

@Suite("Accounts API")
struct AccountAPITests {
    func json(_ text: String, token: String) -> (HTTPHeaders, ByteBuffer) {
        var headers = bearer(token)
        headers.add(name: .contentType, value: "application/json")
        return (headers, ByteBuffer(string: text))
    }

    func post(_ app: Application, _ path: String, _ body: String, token: String, method: HTTPMethod = .POST)
        async throws -> TestingHTTPResponse
    {
        let (headers, buffer) = json(body, token: token)
        return try await app.send(method, path, headers: headers, body: buffer)
    }

    struct Account: Decodable {
        let id: String
        let address: String
        let displayName: String
        let status: String
        let aliases: [String]
    }

    @Test("POST /accounts answers 201 with the id, address, display name and pending_activation")
    func create() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.liam)
            let response = try await post(
                app, "/api/v1/accounts",
                #"{"firstName":"Zoë","surname":"Smith-Jones","mobile":"07700 900123","organisation":"RR801"}"#,
                token: token)
            #expect(response.status == .created)
            let account = try response.content.decode(Account.self)
            #expect(account.address == "zoe.smith-jones@nhs.net")
            #expect(account.displayName == "SMITH-JONES Zoë (St James's University Hospital)")
            #expect(account.status == "pending_activation")
            #expect(UUID(uuidString: account.id) != nil)
            let read = try await app.send(.GET, "/api/v1/accounts/\(account.id)", headers: bearer(token))
            #expect(read.status == .ok)
            #expect(try await auditCount(app, action: "account.view") == 1)
        }
    }

    @Test("Bad input names each field; another scope's organisation and an unmet IG requirement are refused")
    func refusals() async throws {
        try await withTestApp { app, _ in
            let liam = try await apiToken(app, email: Demo.liam)
            let bad = try await post(
                app, "/api/v1/accounts",
                #"{"firstName":"","surname":"","mobile":"01132 000000","organisation":"RR801"}"#,
                token: liam)
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.isProblemJSON)
            #expect(bad.body.string.contains(#""field":"firstName""#))
            #expect(bad.body.string.contains(#""field":"mobile""#))
            let outside = try await post(
                app, "/api/v1/accounts",
                #"{"firstName":"Ann","surname":"Lee","mobile":"07700900123","organisation":"R0A02"}"#, token: liam)
            #expect(outside.status == .unprocessableEntity)
            #expect(outside.body.string.contains(#""field":"organisation""#))
            let chloe = try await apiToken(app, email: Demo.chloe)
            let ig = try await post(
                app, "/api/v1/accounts",
                #"{"firstName":"Ann","surname":"Lee","mobile":"07700900123","organisation":"B86005"}"#, token: chloe)
            #expect(ig.status == .unprocessableEntity)
            #expect(ig.body.string.contains("information governance requirement"))
            let mia = try await apiToken(app, email: Demo.mia)
            let uma = try await accountID(app, email: Demo.uma)
            #expect(try await app.send(.GET, "/api/v1/accounts/\(uma)", headers: bearer(mia)).status == .notFound)
            // A NUL would cut the stored name short while the address is made from all of it; a right-to-left
            // override makes a name read backwards. Both are refused, naming the field, and nothing is saved.
            let before = try await OnboardApp.Account.query(on: app.db).count()
            let hidden = try await post(
                app, "/api/v1/accounts",
                #"{"firstName":"Ann\u0000x","surname":"Lee\u202E","mobile":"07700900123","organisation":"RR801"}"#,
                token: liam)
            #expect(hidden.status == .unprocessableEntity)
            #expect(Set(hidden.problemFields) == ["firstName", "surname"])
            #expect(hidden.body.string.contains("hidden or control character"))
            #expect(try await OnboardApp.Account.query(on: app.db).count() == before)
        }
    }

    @Test("A name change gives a new address and keeps the old one as an alias, which still signs in")
    func rename() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.liam)
            let uma = try await accountID(app, email: Demo.uma)
            let response = try await post(
                app, "/api/v1/accounts/\(uma)", #"{"surname":"Singh-Patel"}"#, token: token, method: .PATCH)
            #expect(response.status == .ok)
            let account = try response.content.decode(Account.self)
            #expect(account.address == "uma.singh-patel@nhs.net")
            #expect(account.aliases == [Demo.uma])
            var person = NewUser(app, address: Demo.uma)
            #expect(try await person.signIn(password: DemoData.password) == "/home")
        }
    }

    @Test("A name change is held to the same rules as a new account: length and hidden characters, by field")
    func renameRules() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.liam)
            let uma = try await accountID(app, email: Demo.uma)
            let long = String(repeating: "a", count: 101)
            let refused = try await post(
                app, "/api/v1/accounts/\(uma)", #"{"firstName":"\#(long)","surname":"Le\u202Ee"}"#, token: token,
                method: .PATCH)
            #expect(refused.status == .unprocessableEntity)
            #expect(Set(refused.problemFields) == ["firstName", "surname"])
            #expect(refused.body.string.contains("100 characters or fewer"))
            #expect(refused.body.string.contains("hidden or control character"))
            let unchanged = try #require(try await AccountStore.summary(uma, on: app.db as! any SQLDatabase))
            #expect(unchanged.address == Demo.uma, "nothing is saved")
        }
    }

    @Test("An account activated by text says so on its page, with no call to make")
    func textedActivationPage() async throws {
        try await withTestApp { app, _ in
            let token = try await apiToken(app, email: Demo.liam)
            let created = try await post(
                app, "/api/v1/accounts",
                #"{"firstName":"Nina","surname":"Wells","mobile":"07700900555","organisation":"RR801","activation":"automated"}"#,
                token: token)
            let id = try created.content.decode(Account.self).id
            let liam = try await signIn(app, email: Demo.liam)
            let page = try await app.get("/accounts/\(id)", headers: liam.headers).body.string
            #expect(page.contains("you do not need to phone them"))
            #expect(!page.contains("Phone them on"), "no call-and-read-back instructions")
            #expect(!page.contains("Security code waiting to be sent"))
        }
    }

    @Test("Reset, leaver and joiner through the API")
    func lifecycle() async throws {
        try await withTestApp { app, _ in
            let liam = try await apiToken(app, email: Demo.liam)
            let tom = try await accountID(app, email: Demo.tom)
            let reset = try await post(app, "/api/v1/accounts/\(tom)/reset", "", token: liam)
            #expect(reset.status == .ok)
            try await drainJobs(app)
            let mobile = try #require(try await AccountStore.summary(tom, on: app.db as! any SQLDatabase)?.mobile)
            let password = try await latestTemporaryPassword(app, to: mobile)
            var person = NewUser(app, address: Demo.tom)
            #expect(
                try await person.signIn(password: DemoData.password).hasPrefix("refused"), "the old password is gone")
            #expect(try await person.signIn(password: password) == "/sign-in/new-password")
            let leaver = try await post(app, "/api/v1/accounts/\(tom)/leaver", "", token: liam)
            #expect(try leaver.content.decode(Account.self).status == "leaver")
            let mia = try await apiToken(app, email: Demo.mia)
            let joined = try await post(app, "/api/v1/accounts/\(tom)/joiner", #"{"organisation":"R0A07"}"#, token: mia)
            #expect(joined.status == .ok)
            let account = try joined.content.decode(Account.self)
            #expect(account.address == Demo.tom && account.status == "active")
        }
    }
}
