import Crypto
import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Demonstration organisations and people for development. Idempotent: keyed by ODS code and address.
enum DemoData {
    /// Development only, and printed by `demo-accounts`: never a production secret.
    static let password = "Onboard-demo-2026"

    struct Org {
        let ods: String
        let name: String
        let type: OrganisationType
        var country: Country = .england
        var region: String? = "north_east_and_yorkshire"
        var postcode: String? = nil
        var parent: String? = nil
        var administeredBy: String? = nil
        var status: OnboardingStatus = .live
        var igCompletedBy: String? = nil
    }

    struct DemoPerson: Encodable {
        let given: String
        let family: String
        let ods: String
        let role: Role
        var grantODS: String? = nil
        var region: String? = nil
    }

    static let organisations: [Org] = {
        var list: [Org] = [
            Org(ods: "X26", name: "NHS England national team", type: .nationalBody, region: nil, postcode: "LS2 7UE"),
            Org(ods: "RR8", name: "Leeds Teaching Hospitals NHS Trust", type: .nhsTrust, postcode: "LS9 7TF"),
            Org(
                ods: "RR801", name: "St James's University Hospital", type: .trustSite, postcode: "LS9 7TF",
                parent: "RR8"),
            Org(ods: "RR813", name: "Leeds General Infirmary", type: .trustSite, postcode: "LS1 3EX", parent: "RR8"),
            Org(
                ods: "R0A", name: "Manchester University NHS Foundation Trust", type: .nhsTrust, region: "north_west",
                postcode: "M13 9WL"),
            Org(
                ods: "R0A02", name: "Manchester Royal Infirmary", type: .trustSite, region: "north_west",
                postcode: "M13 9WL", parent: "R0A"),
            Org(
                ods: "R0A07", name: "Wythenshawe Hospital", type: .trustSite, region: "north_west", postcode: "M23 9LT",
                parent: "R0A"),
            Org(
                ods: "RJ1", name: "Guy's and St Thomas' NHS Foundation Trust", type: .nhsTrust, region: "london",
                postcode: "SE1 7EH"),
            Org(
                ods: "RJ122", name: "Guy's Hospital", type: .trustSite, region: "london", postcode: "SE1 9RT",
                parent: "RJ1"),
            Org(ods: "QWO", name: "NHS West Yorkshire Integrated Care Board", type: .commissioner, postcode: "WF1 1LT"),
        ]
        let practices = [
            "Beech Tree Surgery", "Chapel Allerton Medical Centre", "Oakwood Lane Practice",
            "Rothwell Health Centre", "Yeadon Tarn Medical Practice",
        ]
        for (i, name) in practices.enumerated() {
            list.append(
                Org(
                    ods: "B8600\(i + 1)", name: name, type: .gpPractice, postcode: "LS\(7 + i) 3AB",
                    administeredBy: "QWO"))
        }
        list.append(
            Org(
                ods: "FHQ01", name: "Northern Pharmacy Group head office", type: .pharmacyHeadOffice,
                postcode: "LS11 5DD", administeredBy: "QWO", status: .onboarding))
        let towns = [
            "Armley", "Bramley", "Headingley", "Horsforth", "Kirkstall", "Morley", "Otley", "Pudsey", "Roundhay",
            "Wetherby",
        ]
        for (i, town) in towns.enumerated() {
            list.append(
                Org(
                    ods: String(format: "FA%03d", i + 1), name: "Northern Pharmacy \(town)", type: .communityPharmacy,
                    postcode: "LS\(12 + i) 1NP", parent: "FHQ01", administeredBy: "QWO", status: .onboarding))
        }
        let independents = [
            "High Street Pharmacy", "Meanwood Chemist", "Garforth Pharmacy", "Boston Spa Pharmacy",
            "Harehills Pharmacy", "Seacroft Chemist", "Guiseley Pharmacy", "Rawdon Pharmacy", "Ilkley Road Pharmacy",
        ]
        for (i, name) in independents.enumerated() {
            list.append(
                Org(
                    ods: String(format: "FB%03d", i + 1), name: name, type: .communityPharmacy,
                    postcode: "LS\(6 + i) 2PH", administeredBy: "QWO", status: i < 5 ? .live : .notJoined))
        }
        list.append(contentsOf: [
            Org(
                ods: "TP001", name: "Clear View Opticians", type: .optometrist, postcode: "LS1 6AA",
                administeredBy: "QWO", status: .live, igCompletedBy: "TP001"),
            Org(
                ods: "TP002", name: "Headrow Eyecare", type: .optometrist, postcode: "LS1 5BB", administeredBy: "QWO",
                status: .applying),
            Org(
                ods: "TP003", name: "Otley Optometrists", type: .optometrist, postcode: "LS21 1CC",
                administeredBy: "QWO", status: .notJoined),
            Org(
                ods: "TP004", name: "Wetherby Vision Centre", type: .optometrist, postcode: "LS22 6DD",
                administeredBy: "QWO", status: .notJoined, igCompletedBy: "TP004"),
            Org(
                ods: "V0001", name: "Smile Dental Group headquarters", type: .dentalPractice, postcode: "LS2 8EE",
                administeredBy: "QWO", status: .live, igCompletedBy: "V0001"),
            Org(
                ods: "V0002", name: "Smile Dental Chapeltown", type: .dentalPractice, postcode: "LS7 4FF",
                parent: "V0001", administeredBy: "QWO", status: .onboarding, igCompletedBy: "V0001"),
            Org(
                ods: "V0003", name: "Smile Dental Beeston", type: .dentalPractice, postcode: "LS11 8GG",
                parent: "V0001", administeredBy: "QWO", status: .notJoined, igCompletedBy: "V0001"),
            Org(
                ods: "V0004", name: "High Street Dentist", type: .dentalPractice, postcode: "LS1 1HS",
                administeredBy: "QWO", status: .notJoined),
            Org(
                ods: "VM001", name: "Meadow View Care Home", type: .careHome, postcode: "LS15 7JJ",
                administeredBy: "QWO", status: .applying),
            Org(
                ods: "VM002", name: "Riverside Lodge Care Home", type: .careHome, postcode: "LS10 1KK",
                administeredBy: "QWO", status: .live),
            Org(
                ods: "VM003", name: "Oak House Residential Home", type: .careHome, postcode: "LS17 5LL",
                administeredBy: "QWO", status: .notJoined),
            Org(
                ods: "S08", name: "NHS Lothian", type: .nhsTrust, country: .scotland, region: nil, postcode: "EH1 3EG",
                status: .notJoined),
            Org(
                ods: "7A4", name: "Cardiff and Vale University Health Board", type: .nhsTrust, country: .wales,
                region: nil, postcode: "CF14 4XW", status: .notJoined),
            // Moving its email in, with the Manchester trust's ISM: the migration pages' example.
            Org(
                ods: "8HV48", name: "St Ann's Hospice", type: .nonNHS, region: "north_west", postcode: "M44 5LH",
                administeredBy: "R0A", status: .onboarding, igCompletedBy: "8HV48"),
        ])
        // Who has completed the IG toolkit: the trusts and the commissioner for their sites, most practices,
        // the pharmacy group for its stores. The rest have not, so the refusal can be seen.
        let completedBy: [String: String] = [
            "X26": "X26", "RR8": "RR8", "RR801": "RR8", "RR813": "RR8", "R0A": "R0A", "R0A02": "R0A",
            "R0A07": "R0A", "RJ1": "RJ1", "RJ122": "RJ1", "QWO": "QWO", "B86001": "B86001", "B86002": "B86002",
            "B86003": "B86003", "B86004": "B86004", "FHQ01": "FHQ01",
        ]
        for index in list.indices where list[index].igCompletedBy == nil {
            if let hq = completedBy[list[index].ods] {
                list[index].igCompletedBy = hq
            } else if list[index].ods.hasPrefix("FA") {
                list[index].igCompletedBy = "FHQ01"
            }
        }
        return list
    }()

    static let people: [DemoPerson] = [
        DemoPerson(given: "Nadia", family: "Okafor", ods: "X26", role: .nationalAdmin),
        DemoPerson(given: "Priya", family: "Patel", ods: "X26", role: .pharmacyAdminTeam),
        DemoPerson(
            given: "Rachel", family: "Green", ods: "X26", role: .regionalContact, region: "north_east_and_yorkshire"),
        DemoPerson(given: "Grace", family: "Adeyemi", ods: "X26", role: .regionalContact, region: "london"),
        DemoPerson(
            given: "Peter", family: "Shaw", ods: "X26", role: .regionalPharmacyTeam, region: "north_east_and_yorkshire"),
        DemoPerson(given: "Isaac", family: "Morgan", ods: "X26", role: .implementationSupportManager, grantODS: "R0A"),
        DemoPerson(given: "Liam", family: "Walker", ods: "RR8", role: .localAdmin, grantODS: "RR8"),
        DemoPerson(given: "Mia", family: "Hughes", ods: "R0A", role: .localAdmin, grantODS: "R0A"),
        DemoPerson(given: "Chloe", family: "Brown", ods: "QWO", role: .localAdmin, grantODS: "QWO"),
        DemoPerson(given: "Sam", family: "Khan", ods: "FHQ01", role: .superUser, grantODS: "FHQ01"),
        DemoPerson(given: "Olivia", family: "Jones", ods: "B86001", role: .organisationAdmin, grantODS: "B86001"),
        DemoPerson(given: "Uma", family: "Singh", ods: "RR801", role: .user),
        DemoPerson(given: "Tom", family: "Reed", ods: "RR813", role: .user),
    ]

    /// What the directory shows of some demo people: job title, department and work phone (Ofcom's drama
    /// ranges, which reach no real phone).
    static let directoryDetails: [String: (String, String, String?)] = [
        "Liam": ("Local Administrator", "IT services", "0113 496 0100"),
        "Mia": ("Local Administrator", "Digital services", "0161 496 0200"),
        "Chloe": ("Local Administrator", "Pharmacy operations", nil),
        "Uma": ("Ward sister", "Oncology", "0113 496 0312"),
        "Tom": ("Clinical pharmacist", "Pharmacy", nil),
    ]

    static func address(for person: DemoPerson, domain: String) -> String {
        "\(person.given).\(person.family)@\(domain)".lowercased()
    }

    static func isEmpty(_ db: any Database) async throws -> Bool {
        try await Organisation.query(on: db).count() == 0
    }

    struct Refused: AbortError {
        let reason: String
        var status: HTTPStatus { .forbidden }
    }

    static func guardAllowed(_ app: Application) async throws {
        guard app.settings.isDevelopment else {
            throw Refused(reason: "Demo data exists only in development (ONBOARD_ENV=development).")
        }
        if case .postgres = app.settings.database {
            let seeded =
                try await Account.query(on: app.db)
                .filter(\.$address == address(for: people[0], domain: app.settings.mailDomain)).first() != nil
            if !seeded, try await !isEmpty(app.db) {
                throw Refused(reason: "This PostgreSQL database already holds data, so demo data is refused.")
            }
        }
    }

    static func seed(_ app: Application) async throws {
        try await guardAllowed(app)
        let now = app.clock.now()
        let hash = try await app.hashing.hash(password)
        let domain = app.settings.mailDomain
        try await app.db.transaction { db in
            var ids: [String: UUID] = [:]
            for org in organisations {
                let existing = try await Organisation.query(on: db).filter(\.$odsCode == org.ods).first()
                let model =
                    existing
                    ?? Organisation(
                        draft: OrganisationDraft(
                            odsCode: org.ods, name: org.name, type: org.type, country: org.country,
                            region: org.region, postcode: org.postcode), now: now)
                if existing == nil {
                    model.status = org.status
                    model.$parent.id = org.parent.flatMap { ids[$0] }
                    model.$administeredBy.id = org.administeredBy.flatMap { ids[$0] }
                    model.deliversNHSCare = org.country == .england
                    if let hq = org.igCompletedBy {
                        model.igStatus = .completed
                        model.igCompletedOn = now.addingTimeInterval(-90 * 86400)
                        model.$igCompletedBy.id = ids[hq]
                    }
                    if org.ods == "X26" { model.helpdeskContact = "helpdesk@nhs.net, 0333 200 1133" }
                    if org.ods == "RR8" { model.helpdeskContact = "Leeds IT service desk, 0113 206 0000" }
                    if org.ods == "QWO" { model.helpdeskContact = "West Yorkshire ICB IT, 0113 825 0000" }
                    try await model.save(on: db)
                    if org.igCompletedBy == org.ods {
                        model.$igCompletedBy.id = model.id
                        try await model.save(on: db)
                    }
                }
                ids[org.ods] = try model.requireID()
            }
            for (index, person) in people.enumerated() {
                let address = address(for: person, domain: domain)
                guard try await Account.query(on: db).filter(\.$address == address).first() == nil else { continue }
                // Ofcom's drama range: numbers that never reach a real phone.
                let human = Person(
                    givenName: person.given, familyName: person.family,
                    mobile: "+447700900" + String(format: "%03d", 500 + index), now: now)
                try await human.save(on: db)
                let account = Account(
                    personID: try human.requireID(), organisationID: ids[person.ods]!, address: address,
                    passwordHash: hash, state: .active, now: now)
                let organisationName = organisations.first { $0.ods == person.ods }?.name ?? ""
                account.displayName = AccountNaming.displayName(
                    givenName: person.given, familyName: person.family, organisation: organisationName)
                account.stateChangedAt = now
                account.passwordChangedAt = now
                if person.role != .user {
                    // Demo staff have a known authenticator seed (`demo-accounts --json`), so people and tests
                    // can sign in as them.
                    account.totpSecret = try SecondFactor.seal(totpSecret(for: address), settings: app.settings)
                    account.totpEnrolledAt = now
                }
                try await account.save(on: db)
                let sql = db as! any SQLDatabase
                if let details = directoryDetails[person.given] {
                    try await sql.raw(
                        """
                        UPDATE accounts SET job_title = \(bind: details.0), department = \(bind: details.1),
                            work_phone = \(bind: details.2)
                        WHERE id = \(bind: try account.requireID())
                        """
                    ).run()
                }
                try await sql.raw(
                    """
                    INSERT INTO address_reservations (address, stem, kind, account_id, reserved_at)
                    VALUES (\(bind: address), \(bind: AccountNaming.stem(of: address)), 'primary', \(bind: try account.requireID()), \(bind: now))
                    ON CONFLICT (address) DO NOTHING
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO aup_acceptances (id, account_id, aup_version_id, accepted_at)
                    SELECT \(bind: UUID()), \(bind: try account.requireID()), id, \(bind: now) FROM aup_versions
                    ORDER BY effective_from DESC LIMIT 1
                    """
                ).run()
                if person.role != .user {
                    try await RoleGrant(
                        accountID: try account.requireID(), role: person.role,
                        organisationID: person.grantODS.flatMap { ids[$0] }, region: person.region, grantedBy: nil,
                        now: now
                    ).save(on: db)
                }
            }
            try await AuditLog.record(
                AuditEntry("demo.seed", target: "database", id: nil), context: .system, at: now,
                on: db as! any SQLDatabase)
        }
    }

    /// A demo account's authenticator seed: derived from its address, so it is the same on every machine.
    static func totpSecret(for address: String) -> [UInt8] {
        Array(SHA256.hash(data: Data("onboard-demo-totp:\(address)".utf8)).prefix(TOTP.secretBytes))
    }

    struct SignIn: Encodable {
        let email: String
        let password: String
        let role: String
        let ods: String?
        /// Base32, for an authenticator app; absent for ordinary users, who do not need one.
        let totpSecret: String?
    }

    static func signIns(domain: String) -> [SignIn] {
        people.map {
            let email = address(for: $0, domain: domain)
            return SignIn(
                email: email, password: password, role: $0.role.rawValue, ods: $0.ods,
                totpSecret: $0.role == .user ? nil : Base32.encode(totpSecret(for: email)))
        }
    }
}
