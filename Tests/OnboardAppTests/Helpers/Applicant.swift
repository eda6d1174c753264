import Foundation
import NIOCore
import Testing
import VaporTesting

@testable import OnboardApp
@testable import OnboardDomain

/// An applicant's browser: keeps the cookies it is given and sends each form with the last page's CSRF token.
final class ApplicantBrowser: @unchecked Sendable {
    let app: Application
    var cookies: [String: String] = [:]
    var csrf: String?
    var lastBody = ""

    init(_ app: Application) { self.app = app }

    var headers: HTTPHeaders {
        cookies.isEmpty ? [:] : ["Cookie": cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
    }

    private func keep(_ response: TestingHTTPResponse) {
        for header in response.headers[.setCookie] {
            guard let equals = header.firstIndex(of: "=") else { continue }
            let name = String(header[..<equals])
            let value = String(header[header.index(after: equals)...].prefix { $0 != ";" })
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        lastBody = response.body.string
        if let token = csrfToken(in: lastBody) { csrf = token }
    }

    @discardableResult
    func get(_ path: String) async throws -> TestingHTTPResponse {
        let response = try await app.get(path, headers: headers)
        keep(response)
        return response
    }

    /// Posts a form; follows one redirect as a browser would.
    @discardableResult
    func post(_ path: String, _ form: [(String, String)] = [], follow: Bool = true) async throws -> TestingHTTPResponse
    {
        if csrf == nil { try await get("/") }
        let response = try await app.post(path, form: form + [("_csrf", csrf ?? "")], headers: headers)
        keep(response)
        if follow, response.status == .seeOther || response.status == .found,
            let location = response.headers.first(name: .location)
        {
            return try await get(location)
        }
        return response
    }

    /// The latest message sent to `email`.
    func lastMessage(to email: String) -> OutboundMessage? {
        app.dependencies.sentMessages.to(email).last
    }

    func code(for email: String) throws -> String {
        let body = try #require(lastMessage(to: email)?.body, "no message to \(email)")
        let match = try #require(body.firstMatch(of: /code is ([0-9]{6})/), "no code in the message")
        return String(match.output.1)
    }

    /// Starts, verifies and answers every page of an application, ending on check your answers.
    func fillIn(_ kind: ApplicationKind, email: String, answers: [String: String]) async throws {
        try await get("/apply/\(kind.rawValue)")
        var page = try await post("/apply/\(kind.rawValue)", [("email", email)])
        #expect(page.status == .ok, "start: \(page.status)")
        page = try await post("/apply/verify", [("code", try code(for: email))])
        for _ in 0..<12 {
            guard let match = lastBody.firstMatch(of: /<form method="post" action="(\/apply\/questions\/[A-Za-z]+)"/)
            else { break }
            let action = String(match.output.1)
            let names = Set(
                lastBody.matches(of: /<(?:input|textarea|select)[^>]*?name="([A-Za-z]+)"/).map { String($0.output.1) }
            )
            .subtracting(["_csrf"])
            page = try await post(action, names.map { ($0, answers[$0] ?? "") })
            #expect(
                page.status == .ok,
                "\(action): \(page.status) \(lastBody.firstMatch(of: /nhsuk-error-message[^<]*<span[^>]*>[^<]*<\/span>([^<]*)/)?.output.1 ?? "")"
            )
        }
        #expect(lastBody.contains("Check your answers"), "did not reach check your answers")
    }

    /// Answers each page the form shows from `answers`, until check your answers; returns the pages asked.
    func answerEachPage(_ answers: [String: String]) async throws -> [String] {
        var asked: [String] = []
        for _ in 0..<12 {
            guard let match = lastBody.firstMatch(of: /<form method="post" action="\/apply\/questions\/([A-Za-z]+)"/)
            else { break }
            let step = String(match.output.1)
            asked.append(step)
            let names = Set(
                lastBody.matches(of: /<(?:input|textarea|select)[^>]*?name="([A-Za-z]+)"/).map { String($0.output.1) }
            ).subtracting(["_csrf"])
            try await post("/apply/questions/\(step)", names.map { ($0, answers[$0] ?? "") })
        }
        return asked
    }

    /// The tracking page, from the link in the last email the applicant was sent.
    func trackingPage(email: String) async throws -> String {
        try await drainJobs(app)
        let body = try #require(lastMessage(to: email)?.body)
        let link = String(try #require(body.firstMatch(of: /\/track\/[A-Za-z0-9_-]+/)).output)
        return try await post(link).body.string
    }

    /// Sends the application from check your answers; returns its reference.
    func submit() async throws -> String? {
        let page = try await post("/apply/check")
        #expect(page.status == .ok)
        return lastBody.firstMatch(of: /data-reference="(APP-[A-Z0-9-]+)"/).map { String($0.output.1) }
    }
}

/// Answers that pass every page, by kind.
enum SampleAnswers {
    static let contact = [
        "applicantName": "Ada Lovelace", "applicantRole": "Practice manager", "mobile": "07700 900123",
    ]

    static let optometrist = contact.merging([
        "odsCode": "TP004", "practiceName": "Wetherby Vision Centre", "postcode": "LS22 6DD",
        "region": "north_east_and_yorkshire", "registrationNumber": "01-12345",
        "exchangesPatientInformation": "regular",
        "usesOtherPubliclyFundedEmail": "no", "wantsSharedMailbox": "yes",
    ]) { _, new in new }

    static let nonNHS = contact.merging([
        "odsCode": "", "organisationName": "Harbour Hospice Care", "postcode": "LS9 7TF",
        "region": "north_east_and_yorkshire", "fundedCareEvidence": "Palliative care beds under NHS contract C-123",
        "commissioner": "NHS West Yorkshire ICB", "expectedAccounts": "40",
        "localManagement": "Our IT lead manages starters and leavers",
        "firstLAName": "Ben Carter", "firstLAEmail": "ben.carter@harbourhospice.org.uk", "signatoryName": "Jo Marsh",
        "signatoryRole": "Chief executive", "aupAccepted": "yes",
    ]) { _, new in new }

    static let pharmacy = contact.merging([
        "odsCode": "FB006", "premisesName": "Seacroft Chemist", "postcode": "LS11 2PH",
        "region": "north_east_and_yorkshire",
        "gphcPremisesNumber": "1012345", "meetsIGTerms": "yes", "programme": "numsas",
        "staff": "Amir Khan, 07700 900124\nBeth Jones, 07700 900125",
    ]) { _, new in new }

    static let careHome = contact.merging([
        "applicantName": "Helen Price", "applicantRole": "Registered manager", "cqcLocationID": "1-123456789",
        "odsCode": "", "homeName": "Sunnybank Care Home", "postcode": "LS15 8AA", "region": "north_east_and_yorkshire",
        "managerName": "Helen Price", "commissionerODS": "QWO", "igStatus": "completed", "accountsWanted": "3",
    ]) { _, new in new }
}
