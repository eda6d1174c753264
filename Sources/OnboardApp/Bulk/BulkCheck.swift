import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// What validating a sheet found, kept with the upload and shown on its page: the problems by row and
/// column, notes on what will happen (an address that takes a number, a locum's account attached), and
/// the counts.
struct BulkReport: Codable, Sendable, Equatable {
    struct Problem: Codable, Sendable, Equatable {
        let sheet: String
        let row: Int
        let column: String?
        let message: String
    }

    /// What applying will do to a row that has no problem: for the team that reviews the sheet.
    struct Planned: Codable, Sendable, Equatable {
        let sheet: String
        let row: Int
        let name: String
        let place: String
        let action: String
    }

    var problems: [Problem] = []
    var notes: [Problem] = []
    var planned: [Planned] = []
    var summary = BulkPlan.Summary()
    var mailboxes = 0
    var rows = 0

    var json: String { (try? JSONEncoder().encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}" }

    static func decode(_ text: String) -> BulkReport {
        (try? JSONDecoder().decode(BulkReport.self, from: Data(text.utf8))) ?? BulkReport()
    }
}

/// Whose sheet it is: the head office (pharmacy) or the LA's organisation (accounts), whose local ids key
/// the people, and the organisations its rows may name.
struct BulkOwner: Sendable {
    let kind: BulkSheet.Kind
    let organisation: UUID
    let name: String
    let scope: Scope

    /// The owner for a principal uploading `kind`, or nil when they may not upload it.
    static func of(_ principal: Principal, kind: BulkSheet.Kind, on sql: any SQLDatabase) async throws -> BulkOwner? {
        switch kind {
        case .pharmacyMultiple:
            guard let hq = principal.grants.first(where: { $0.role == .superUser })?.organisationID else { return nil }
            struct Row: Decodable { let name: String }
            guard
                let row = try await sql.raw("SELECT name FROM organisations WHERE id = \(bind: hq)").firstRow(
                    Row.self)
            else { return nil }
            return BulkOwner(kind: kind, organisation: hq, name: row.name, scope: Scope(administering: [hq]))
        case .accounts:
            guard principal.has(.localAdmin) || principal.has(.nationalAdmin) else { return nil }
            return BulkOwner(
                kind: kind, organisation: principal.organisationID, name: principal.organisationName,
                scope: principal.accountScope(includeHelpers: false))
        }
    }
}

/// A store or organisation a sheet names, as the database knows it.
struct BulkPlace: Decodable, Sendable {
    let id: UUID
    let odsCode: String
    let name: String
    let type: String
    let closedAt: Date?
    let igMet: Int
    let inScope: Int
}

/// Someone an organisation registered before, with their account.
struct BulkPerson: Sendable {
    let existing: BulkPlan.Existing
    let account: UUID
    let address: String
}

/// A sheet read, checked against the rules and the database, and planned: everything validation reports and
/// applying needs. Made the same way for both, so what was shown is what is done.
struct BulkPrepared: Sendable {
    var checked: BulkSheet.Checked
    var places: [String: BulkPlace]
    var steps: [BulkPlan.Step]
    /// Locums who already have an account: it is attached to the store, never duplicated.
    var attach: [String: UUID]
    var report: BulkReport
}

enum BulkCheck {
    /// Rows per `IN (…)` list: well inside both databases' bind limits.
    static let batch = 500

    static func prepare(
        _ sheets: [SheetTable], owner: BulkOwner, domain: String, on sql: any SQLDatabase
    ) async throws -> BulkPrepared {
        let checked: BulkSheet.Checked
        switch owner.kind {
        case .pharmacyMultiple:
            checked = BulkSheet.checkPharmacyMultiple(
                stores: sheets.first { $0.name == "stores" } ?? SheetTable(name: "stores", rows: []),
                users: sheets.first { $0.name == "users" } ?? SheetTable(name: "users", rows: []))
        case .accounts:
            checked = BulkSheet.checkAccounts(sheets.first ?? SheetTable(name: "accounts", rows: []))
        }
        var report = BulkReport()
        report.rows = sheets.reduce(0) { $0 + max(0, $1.rows.count - 1) }
        report.problems = checked.problems.map(problem)

        let placeCodes = Set(
            owner.kind == .pharmacyMultiple ? checked.stores.map(\.ods) : checked.users.map(\.storeODS))
        let places = try await loadPlaces(Array(placeCodes), scope: owner.scope, on: sql)
        let placeSheet = owner.kind == .pharmacyMultiple ? "stores" : "accounts"
        let placeColumn = owner.kind == .pharmacyMultiple ? "ods_code" : "organisation_ods_code"
        var placeProblems: [String: String] = [:]
        for code in placeCodes {
            if let message = placeProblem(code, places[code], owner: owner) { placeProblems[code] = message }
        }
        if owner.kind == .pharmacyMultiple {
            for store in checked.stores {
                if let message = placeProblems[store.ods] {
                    report.problems.append(
                        .init(sheet: placeSheet, row: store.row, column: placeColumn, message: message))
                }
            }
        } else {
            for user in checked.users {
                if let message = placeProblems[user.storeODS] {
                    report.problems.append(
                        .init(sheet: placeSheet, row: user.row, column: placeColumn, message: message))
                }
            }
        }

        // Stores: a new mailbox needs a free address; one that has a mailbox keeps it.
        if owner.kind == .pharmacyMultiple {
            let current = try await storeMailboxes(checked.stores.map(\.ods), on: sql).mapValues(\.local)
            let (create, conflicts) = BulkPlan.mailboxes(checked.stores, existing: current)
            report.notes += conflicts.map(problem)
            let wanted = create.map { "\($0.sharedMailbox)@\(domain)" }
            let taken = try await reserved(wanted, on: sql)
            for store in create where taken.contains("\(store.sharedMailbox)@\(domain)") {
                report.problems.append(
                    .init(
                        sheet: "stores", row: store.row, column: "shared_mailbox",
                        message: "\(store.sharedMailbox)@\(domain) is already taken, or was used before. Choose another"
                    ))
            }
            report.mailboxes = create.count
            let creating = Set(create.map(\.ods))
            for store in checked.stores {
                report.planned.append(
                    .init(
                        sheet: "stores", row: store.row, name: store.premisesName, place: store.ods,
                        action: creating.contains(store.ods)
                            ? "New shared mailbox \(store.sharedMailbox)@\(domain)"
                            : "Keeps its shared mailbox \(current[store.ods] ?? store.sharedMailbox)@\(domain)"))
            }
        }

        let existing = try await existingPeople(owner: owner.organisation, on: sql)
        let steps = BulkPlan.users(checked.users, existing: existing)
        report.summary = BulkPlan.summary(steps)
        var attach: [String: UUID] = [:]
        var creates: [BulkSheet.User] = []
        for step in steps {
            switch step {
            case .create(let user): creates.append(user)
            case .leftBefore(let user):
                report.problems.append(
                    .init(
                        sheet: sheetName(owner.kind), row: user.row, column: "local_id",
                        message:
                            "\(user.localID) was marked as a leaver. Bring them back with Accept a joiner, which keeps their address"
                    ))
            default: break
            }
        }
        // Nobody is given a second account: a person who has one is refused, except a locum, whose account
        // is attached to the store.
        let holders = try await accountHolders(creates, on: sql)
        var attachedAddress: [String: String] = [:]
        for user in creates {
            guard
                let holder = holders[user.mobile + "|" + user.firstName.lowercased() + "|" + user.surname.lowercased()]
            else { continue }
            if user.role == .locum {
                attach[user.localID] = holder.id
                attachedAddress[user.localID] = holder.address
                report.notes.append(
                    .init(
                        sheet: "users", row: user.row, column: nil,
                        message: "\(user.firstName) \(user.surname) already has an account, \(holder.address). "
                            + "It will be given access to the store's mailbox"))
            } else {
                report.problems.append(
                    .init(
                        sheet: sheetName(owner.kind), row: user.row, column: "first_name",
                        message: "\(user.firstName) \(user.surname) already has an account, \(holder.address). "
                            + "Remove this row: nobody is given two accounts"))
            }
        }
        let addresses = try await predictAddresses(
            creates.filter { attach[$0.localID] == nil }, domain: domain, on: sql)
        for (user, base, address) in addresses {
            if !address.hasPrefix(base + "@") {
                report.notes.append(
                    .init(
                        sheet: sheetName(owner.kind), row: user.row, column: nil,
                        message: "\(base)@\(domain) is taken, so \(user.firstName) \(user.surname) will be \(address)"))
            }
        }
        let predicted = Dictionary(addresses.map { ($0.0.localID, $0.2) }, uniquingKeysWith: { a, _ in a })
        for step in steps {
            let (user, action): (BulkSheet.User, String) =
                switch step {
                case .create(let user):
                    if attach[user.localID] != nil, let address = attachedAddress[user.localID] {
                        (user, "Existing account \(address) given access to the store's mailbox")
                    } else {
                        (user, "New account \(predicted[user.localID] ?? "")")
                    }
                case .update(let user, let changed):
                    (
                        user,
                        "Update " + changed.map { $0.replacingOccurrences(of: "_", with: " ") }.joined(separator: ", ")
                    )
                case .unchanged(let user): (user, user.leaver ? "Not registered: nothing to do" : "No change")
                case .leave(let user): (user, "Marked as a leaver")
                case .leftBefore(let user): (user, "Refused: marked as a leaver before")
                }
            report.planned.append(
                .init(
                    sheet: sheetName(owner.kind), row: user.row, name: "\(user.firstName) \(user.surname)",
                    place: user.storeODS, action: action))
        }
        report.problems.sort { ($0.sheet, $0.row) < ($1.sheet, $1.row) }
        report.notes.sort { ($0.sheet, $0.row) < ($1.sheet, $1.row) }
        return BulkPrepared(checked: checked, places: places, steps: steps, attach: attach, report: report)
    }

    static func sheetName(_ kind: BulkSheet.Kind) -> String { kind == .pharmacyMultiple ? "users" : "accounts" }

    static func problem(_ p: BulkSheet.Problem) -> BulkReport.Problem {
        .init(sheet: p.sheet, row: p.row, column: p.column, message: p.message)
    }

    static func placeProblem(_ code: String, _ place: BulkPlace?, owner: BulkOwner) -> String? {
        guard let place else {
            return "\(code) is not a registered organisation. Ask the national team to add it first"
        }
        if place.inScope == 0 {
            return owner.kind == .pharmacyMultiple
                ? "\(code) is not one of \(owner.name)'s stores" : "You do not administer \(place.name) (\(code))"
        }
        if owner.kind == .pharmacyMultiple, place.type != OrganisationType.communityPharmacy.rawValue {
            return "\(place.name) (\(code)) is not a community pharmacy"
        }
        if place.closedAt != nil { return "\(place.name) (\(code)) has closed" }
        if place.igMet == 0 {
            return "\(place.name) (\(code)) has not met its information governance requirement: the Data Security "
                + "and Protection Toolkit must be completed, by it or its head office"
        }
        return nil
    }

    static func loadPlaces(_ codes: [String], scope: Scope, on sql: any SQLDatabase) async throws -> [String: BulkPlace]
    {
        var places: [String: BulkPlace] = [:]
        for slice in codes.chunked(batch) {
            let rows = try await sql.raw(
                """
                SELECT o.id, o.ods_code, o.name, o.type, o.closed_at,
                    CASE WHEN o.ig_status = 'completed' OR h.ig_status = 'completed' THEN 1 ELSE 0 END AS ig_met,
                    CASE WHEN \(scope.contains(SQLColumn("id", table: "o"))) THEN 1 ELSE 0 END AS in_scope
                FROM organisations o LEFT JOIN organisations h ON h.id = o.ig_completed_by_id
                WHERE o.ods_code IN (\(binds: slice))
                """
            ).rows(BulkPlace.self)
            for row in rows { places[row.odsCode] = row }
        }
        return places
    }

    /// A store's shared mailbox: its id, and the part of its address before the @.
    struct StoreMailbox: Sendable {
        let id: UUID
        let local: String
    }

    /// Each store's mailbox, by the store's ODS code.
    static func storeMailboxes(_ codes: [String], on sql: any SQLDatabase) async throws -> [String: StoreMailbox] {
        struct Row: Decodable {
            let odsCode: String
            let mailboxID: UUID
            let address: String
        }
        var result: [String: StoreMailbox] = [:]
        for slice in codes.chunked(batch) {
            for row in try await sql.raw(
                """
                SELECT o.ods_code, s.mailbox_id, m.address FROM store_mailboxes s
                JOIN shared_mailboxes m ON m.id = s.mailbox_id JOIN organisations o ON o.id = s.organisation_id
                WHERE o.ods_code IN (\(binds: slice))
                """
            ).rows(Row.self) {
                result[row.odsCode] = StoreMailbox(
                    id: row.mailboxID, local: String(row.address.split(separator: "@").first ?? ""))
            }
        }
        return result
    }

    static func reserved(_ addresses: [String], on sql: any SQLDatabase) async throws -> Set<String> {
        struct Row: Decodable { let address: String }
        var taken = Set<String>()
        for slice in addresses.chunked(batch) {
            taken.formUnion(
                try await sql.raw("SELECT address FROM address_reservations WHERE address IN (\(binds: slice))")
                    .rows(Row.self).map(\.address))
        }
        return taken
    }

    struct PersonRow: Decodable {
        let localID: String
        let accountID: UUID
        let address: String
        let givenName: String
        let familyName: String
        let mobile: String?
        let place: String
        let role: String?
        let state: String
    }

    /// Everyone the owner registered before, by local id.
    static func existingPeople(owner: UUID, on sql: any SQLDatabase, only localIDs: [String]? = nil) async throws
        -> [String: BulkPlan.Existing]
    {
        try await people(owner: owner, on: sql, only: localIDs).mapValues(\.existing)
    }

    static func people(owner: UUID, on sql: any SQLDatabase, only localIDs: [String]? = nil) async throws
        -> [String: BulkPerson]
    {
        var rows: [PersonRow] = []
        let query: (SQLQueryString) async throws -> [PersonRow] = { filter in
            try await sql.raw(
                """
                SELECT b.local_id, b.account_id, a.address, p.given_name, p.family_name, p.mobile, o.ods_code AS place, b.role, a.state
                FROM bulk_people b JOIN accounts a ON a.id = b.account_id JOIN people p ON p.id = a.person_id
                JOIN organisations o ON o.id = b.place_id
                WHERE b.organisation_id = \(bind: owner) \(filter)
                """
            ).rows(PersonRow.self)
        }
        if let localIDs {
            for slice in localIDs.chunked(batch) { rows += try await query("AND b.local_id IN (\(binds: slice))") }
        } else {
            rows = try await query("")
        }
        var result: [String: BulkPerson] = [:]
        for row in rows {
            let left = [AccountState.leaver.rawValue, AccountState.deleted.rawValue].contains(row.state)
            result[row.localID] = BulkPerson(
                existing: BulkPlan.Existing(
                    localID: row.localID, firstName: row.givenName, surname: row.familyName,
                    mobile: row.mobile ?? "",
                    storeODS: row.place, role: row.role.flatMap(BulkSheet.PharmacyRole.init(rawValue:)), left: left),
                account: row.accountID, address: row.address)
        }
        return result
    }

    struct Holder: Decodable {
        let id: UUID
        let address: String
        let givenName: String
        let familyName: String
        let mobile: String
    }

    /// Live accounts whose person has the same mobile and name as a row, keyed "mobile|first|surname".
    static func accountHolders(_ users: [BulkSheet.User], on sql: any SQLDatabase) async throws -> [String: Holder] {
        var result: [String: Holder] = [:]
        let gone = [AccountState.leaver.rawValue, AccountState.deleted.rawValue]
        for slice in Array(Set(users.map(\.mobile))).chunked(batch) {
            for row in try await sql.raw(
                """
                SELECT a.id, a.address, p.given_name, p.family_name, p.mobile FROM people p
                JOIN accounts a ON a.person_id = p.id
                WHERE p.mobile IN (\(binds: slice)) AND a.state NOT IN (\(binds: gone))
                """
            ).rows(Holder.self) {
                result[row.mobile + "|" + row.givenName.lowercased() + "|" + row.familyName.lowercased()] = row
            }
        }
        return result
    }

    /// The address each new person would be given now, in row order, numbering within the file too.
    /// Each new person's base local part and the address they would get now, in row order, numbering
    /// within the file too.
    static func predictAddresses(_ users: [BulkSheet.User], domain: String, on sql: any SQLDatabase) async throws
        -> [(BulkSheet.User, String, String)]
    {
        let bases = users.map { AccountNaming.localPart(givenName: $0.firstName, familyName: $0.surname) ?? "" }
        var taken = try await AccountStore.taken(stems: Set(bases.map { AccountNaming.stem(of: $0) }), on: sql)
        return zip(users, bases).map { user, base in
            let local = AccountNaming.firstFree(base) { taken.contains("\($0)@\(domain)") }
            taken.insert("\(local)@\(domain)")
            return (user, base, "\(local)@\(domain)")
        }
    }
}
