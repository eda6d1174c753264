import Foundation

/// The spreadsheets of bulk registration (issue 5): their columns, and every problem with a file's rows,
/// by row and column, before anything is created. Pure: the app adds what only the database knows
/// (existing accounts, IG status, scope).
public enum BulkSheet {
    /// A pharmacy's user's role, as the chain's spreadsheet names it.
    public enum PharmacyRole: String, CaseIterable, Sendable {
        case pharmacist, technician, staff, locum
    }

    /// The two kinds of sheet: a pharmacy multiple's registration, and an LA's accounts.
    public enum Kind: String, CaseIterable, Sendable, Codable {
        case pharmacyMultiple = "pharmacy_multiple"
        case accounts
    }

    public static let storeColumns = ["ods_code", "premises_name", "gphc_premises_number", "shared_mailbox"]
    public static let userColumns = ["local_id", "first_name", "surname", "mobile", "store_ods_code", "role"]
    public static let accountColumns = ["local_id", "first_name", "surname", "mobile", "organisation_ods_code"]
    /// Optional on both user sheets: "yes" marks someone who has left, on a later sheet.
    public static let leaverColumn = "leaver"
    /// The most rows one file may hold, across its sheets.
    public static let maxRows = 50_000

    /// A problem with one cell (or, with no column, one row), numbered as the spreadsheet shows it: the
    /// header is row 1.
    public struct Problem: Equatable, Sendable {
        public let sheet: String
        public let row: Int
        public let column: String?
        public let message: String

        public init(sheet: String, row: Int, column: String?, message: String) {
            self.sheet = sheet
            self.row = row
            self.column = column
            self.message = message
        }
    }

    public struct Store: Equatable, Sendable {
        public let row: Int
        public let ods: String
        public let premisesName: String
        public let gphcPremisesNumber: String
        public let sharedMailbox: String

        public init(row: Int, ods: String, premisesName: String, gphcPremisesNumber: String, sharedMailbox: String) {
            self.row = row
            self.ods = ods
            self.premisesName = premisesName
            self.gphcPremisesNumber = gphcPremisesNumber
            self.sharedMailbox = sharedMailbox
        }
    }

    public struct User: Equatable, Sendable {
        public let row: Int
        public let localID: String
        public let firstName: String
        public let surname: String
        public let mobile: String
        /// The store (pharmacy sheet) or organisation (accounts sheet) they work at.
        public let storeODS: String
        /// Nil on the accounts sheet, which has no role column.
        public let role: PharmacyRole?
        public let leaver: Bool

        public init(
            row: Int, localID: String, firstName: String, surname: String, mobile: String, storeODS: String,
            role: PharmacyRole?, leaver: Bool = false
        ) {
            self.row = row
            self.localID = localID
            self.firstName = firstName
            self.surname = surname
            self.mobile = mobile
            self.storeODS = storeODS
            self.role = role
            self.leaver = leaver
        }
    }

    public struct Checked: Equatable, Sendable {
        public var stores: [Store] = []
        public var users: [User] = []
        public var problems: [Problem] = []
    }

    /// Headers compared without case, spaces or punctuation, so "First name" matches `first_name`.
    static func key(_ header: String) -> String {
        header.lowercased().filter { $0.isLetter || $0.isNumber }
    }

    /// The expected header nearest to one that is not expected, for "did you mean".
    public static func nearest(to header: String, among expected: [String]) -> String? {
        let typed = key(header)
        let scored = expected.map { ($0, distance(typed, key($0))) }.min { $0.1 < $1.1 }
        guard let best = scored, best.1 <= max(2, typed.count / 3) else { return nil }
        return best.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a)
        let y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }

    /// Maps the header row to the expected columns, or says what is missing and what was not expected.
    public static func columns(
        _ header: [String], expected: [String], optional: [String] = [], sheet: String
    ) -> ([String: Int], [Problem]) {
        var index: [String: Int] = [:]
        var problems: [Problem] = []
        for (position, name) in header.enumerated() {
            let typed = key(name)
            if typed.isEmpty { continue }
            if let match = (expected + optional).first(where: { key($0) == typed }) {
                index[match] = position
            } else {
                let hint = nearest(to: name, among: expected).map { ". Did you mean \($0)?" } ?? ""
                problems.append(
                    Problem(sheet: sheet, row: 1, column: name, message: "\(name) is not a column of this sheet\(hint)")
                )
            }
        }
        for column in expected where index[column] == nil {
            problems.append(Problem(sheet: sheet, row: 1, column: column, message: "The \(column) column is missing"))
        }
        return (index, problems)
    }

    /// A CSV file holds both of the pharmacy template's sheets as two sections, one after the other, each
    /// with its header row: the stores, then the users (docs/bulk.md). The users section starts at the
    /// first row that looks like the users' header.
    public static func pharmacySections(_ table: SheetTable) -> (stores: SheetTable, users: SheetTable) {
        let userKeys = Set(userColumns.map(key))
        let split = table.rows.dropFirst().firstIndex { row in
            let keys = Set(row.cells.map(key).filter { !$0.isEmpty })
            return keys.intersection(userKeys).count >= 4
        }
        guard let split else {
            return (SheetTable(name: "stores", rows: table.rows), SheetTable(name: "users", rows: []))
        }
        return (
            SheetTable(name: "stores", rows: Array(table.rows[..<split])),
            SheetTable(name: "users", rows: Array(table.rows[split...]))
        )
    }

    /// Checks a pharmacy multiple's two sheets. Each row's problems are all reported, and cross-row ones too:
    /// a store or user twice in the file, a user at a store the file does not list.
    public static func checkPharmacyMultiple(stores: SheetTable, users: SheetTable) -> Checked {
        var checked = Checked()
        guard let storeHeader = stores.rows.first else {
            checked.problems.append(
                Problem(
                    sheet: "stores", row: 1, column: nil, message: "The stores sheet is empty: it needs a header row"))
            return checked
        }
        let (storeIndex, headerProblems) = columns(storeHeader.cells, expected: storeColumns, sheet: "stores")
        checked.problems += headerProblems
        guard headerProblems.isEmpty else { return checked }

        var seenStores: [String: Int] = [:]
        var seenMailboxes: [String: Int] = [:]
        for line in stores.rows.dropFirst() {
            let row = line.number
            let cell = reader(line.cells, storeIndex)
            var problems: [Problem] = []
            func add(_ column: String, _ message: String) {
                problems.append(Problem(sheet: "stores", row: row, column: column, message: message))
            }
            let ods = OrganisationRules.normaliseODS(cell("ods_code")) ?? ""
            if ods.isEmpty {
                add("ods_code", "Enter the store's ODS code")
            } else if !OrganisationRules.isValidODS(ods) {
                add("ods_code", "\(ods) is not an ODS code: 3 to 10 letters and numbers")
            } else if let first = seenStores[ods] {
                add("ods_code", "\(ods) is in the file twice: rows \(first) and \(row)")
            }
            let name = cell("premises_name")
            if name.isEmpty { add("premises_name", "Enter the premises name") }
            let gphc = Identifiers.normaliseGPhCPremises(cell("gphc_premises_number"))
            if gphc == nil { add("gphc_premises_number", "Enter the GPhC premises number: 7 digits, like 1234567") }
            let mailbox = cell("shared_mailbox").lowercased()
            if !AccountNaming.isValidLocalPart(mailbox) {
                add(
                    "shared_mailbox",
                    mailbox.isEmpty
                        ? "Enter the part before the @ for the store's shared mailbox, like armley.pharmacy"
                        : "\(mailbox) cannot be an address: use lower-case letters, digits, dots and hyphens")
            } else if let first = seenMailboxes[mailbox] {
                add("shared_mailbox", "\(mailbox) is used twice: rows \(first) and \(row)")
            }
            if !ods.isEmpty, seenStores[ods] == nil { seenStores[ods] = row }
            if !mailbox.isEmpty, seenMailboxes[mailbox] == nil { seenMailboxes[mailbox] = row }
            if problems.isEmpty, let gphc {
                checked.stores.append(
                    Store(row: row, ods: ods, premisesName: name, gphcPremisesNumber: gphc, sharedMailbox: mailbox))
            }
            checked.problems += problems
        }
        checkUsers(users, kind: .pharmacyMultiple, knownStores: seenStores, into: &checked)
        return checked
    }

    /// Checks an LA's accounts sheet: one row per person, at an organisation named by ODS code. Whether
    /// the LA administers it is the app's check.
    public static func checkAccounts(_ table: SheetTable) -> Checked {
        var checked = Checked()
        checkUsers(table, kind: .accounts, knownStores: nil, into: &checked)
        return checked
    }

    static func reader(_ cells: [String], _ index: [String: Int]) -> (String) -> String {
        { name in index[name].flatMap { $0 < cells.count ? cells[$0] : nil }?.tidied ?? "" }
    }

    /// Spreadsheets drop a mobile number's leading zero when the cell is a number: 7700900123.
    static func mobile(_ raw: String) -> String? {
        let digits = raw.filter { !$0.isWhitespace }
        if digits.count == 10, digits.hasPrefix("7"), digits.allSatisfy(\.isNumber) {
            return Identifiers.normaliseUKMobile("0" + digits)
        }
        return Identifiers.normaliseUKMobile(raw)
    }

    static func checkUsers(_ table: SheetTable, kind: Kind, knownStores: [String: Int]?, into checked: inout Checked) {
        let sheet = table.name
        let expected = kind == .pharmacyMultiple ? userColumns : accountColumns
        let placeColumn = kind == .pharmacyMultiple ? "store_ods_code" : "organisation_ods_code"
        guard let header = table.rows.first else {
            checked.problems.append(
                Problem(
                    sheet: sheet, row: 1, column: nil, message: "The \(sheet) sheet is empty: it needs a header row"))
            return
        }
        let (index, headerProblems) = columns(header.cells, expected: expected, optional: [leaverColumn], sheet: sheet)
        checked.problems += headerProblems
        guard headerProblems.isEmpty else { return }
        if table.rows.count == 1 {
            checked.problems.append(
                Problem(sheet: sheet, row: 2, column: nil, message: "There are no people on the \(sheet) sheet"))
        }
        var seenUsers: [String: Int] = [:]
        for line in table.rows.dropFirst() {
            let row = line.number
            let cell = reader(line.cells, index)
            var problems: [Problem] = []
            func add(_ column: String, _ message: String) {
                problems.append(Problem(sheet: sheet, row: row, column: column, message: message))
            }
            let localID = cell("local_id")
            if localID.isEmpty {
                add("local_id", "Enter the person's id in your own records, so a later sheet updates them")
            } else if localID.count > 50 {
                add("local_id", "The local id must be 50 characters or fewer")
            } else if let first = seenUsers[localID] {
                add("local_id", "\(localID) is in the file twice: rows \(first) and \(row)")
            }
            let first = cell("first_name")
            let surname = cell("surname")
            // A sheet needs both names: an empty cell is far likelier a slip than a single name, and would make
            // an address of one name (cara@…). People with one name are added on the account page.
            if first.isEmpty { add("first_name", "Enter the first name") }
            if surname.isEmpty {
                add("surname", "Enter the surname. Someone with only one name is added on the accounts page")
            }
            for problem in AccountNaming.nameProblems(givenName: first, familyName: surname)
            where !(first.isEmpty || surname.isEmpty) || !problem.message.hasPrefix("Enter") {
                add(problem.field == "firstName" ? "first_name" : "surname", problem.message)
            }
            if !first.isEmpty, !surname.isEmpty,
                AccountNaming.localPart(givenName: first, familyName: surname) == nil
            {
                add("first_name", "This name cannot be made into an address. Add this person on the accounts page")
            }
            let mobile = Self.mobile(cell("mobile"))
            if mobile == nil {
                add(
                    "mobile",
                    cell("mobile").isEmpty
                        ? "Enter a UK mobile number: their security code is sent to it"
                        : "Enter a UK mobile number, like 07700 900123")
            }
            let place = OrganisationRules.normaliseODS(cell(placeColumn)) ?? ""
            if place.isEmpty {
                add(
                    placeColumn,
                    kind == .pharmacyMultiple
                        ? "Enter the ODS code of the store they work at" : "Enter the ODS code of their organisation")
            } else if let knownStores, knownStores[place] == nil {
                add(placeColumn, "\(place) is not on the stores sheet")
            }
            var role: PharmacyRole?
            if kind == .pharmacyMultiple {
                role = PharmacyRole(rawValue: cell("role").lowercased())
                if role == nil { add("role", "Enter the role as pharmacist, technician, staff or locum") }
            }
            let leaverText = cell(leaverColumn).lowercased()
            let leaver = ["yes", "y", "true", "left"].contains(leaverText)
            if !leaver, !["", "no", "n", "false"].contains(leaverText) {
                add(leaverColumn, "Enter yes for someone who has left, or leave it empty")
            }
            if !localID.isEmpty, seenUsers[localID] == nil { seenUsers[localID] = row }
            if problems.isEmpty, let mobile, kind == .accounts || role != nil {
                checked.users.append(
                    User(
                        row: row, localID: localID, firstName: first, surname: surname, mobile: mobile,
                        storeODS: place, role: role, leaver: leaver))
            }
            checked.problems += problems
        }
    }
}
