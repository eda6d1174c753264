import Foundation

/// The spreadsheets of bulk registration (issue 5): their columns, and every problem with a file's rows,
/// by row and column, before anything is created. Pure: the app adds what only the database knows
/// (existing accounts, IG status, scope).
public enum BulkSheet {
    /// A pharmacy's user's role, as the chain's spreadsheet names it.
    public enum PharmacyRole: String, CaseIterable, Sendable {
        case pharmacist, technician, staff, locum
    }

    public static let storeColumns = ["ods_code", "premises_name", "gphc_premises_number", "shared_mailbox"]
    public static let userColumns = ["local_id", "first_name", "surname", "mobile", "store_ods_code", "role"]

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
    }

    public struct User: Equatable, Sendable {
        public let row: Int
        public let localID: String
        public let firstName: String
        public let surname: String
        public let mobile: String
        public let storeODS: String
        public let role: PharmacyRole
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
    public static func columns(_ header: [String], expected: [String], sheet: String) -> ([String: Int], [Problem]) {
        var index: [String: Int] = [:]
        var problems: [Problem] = []
        for (position, name) in header.enumerated() {
            let typed = key(name)
            if typed.isEmpty { continue }
            if let match = expected.first(where: { key($0) == typed }) {
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

    /// Checks a pharmacy multiple's two sheets. Each row's problems are all reported, and cross-row ones too:
    /// a store or user twice in the file, a user at a store the file does not list.
    public static func checkPharmacyMultiple(stores storeRows: [[String]], users userRows: [[String]]) -> Checked {
        var checked = Checked()
        guard let storeHeader = storeRows.first, let userHeader = userRows.first else {
            checked.problems.append(
                Problem(
                    sheet: storeRows.isEmpty ? "stores" : "users", row: 1, column: nil, message: "The sheet is empty"))
            return checked
        }
        let (storeIndex, storeHeaderProblems) = columns(storeHeader, expected: storeColumns, sheet: "stores")
        let (userIndex, userHeaderProblems) = columns(userHeader, expected: userColumns, sheet: "users")
        checked.problems += storeHeaderProblems + userHeaderProblems
        guard storeHeaderProblems.isEmpty, userHeaderProblems.isEmpty else { return checked }

        var seenStores: [String: Int] = [:]
        var seenMailboxes: [String: Int] = [:]
        for (offset, cells) in storeRows.dropFirst().enumerated() {
            let row = offset + 2
            func cell(_ name: String) -> String {
                storeIndex[name].flatMap { $0 < cells.count ? cells[$0] : nil }?.tidied ?? ""
            }
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

        var seenUsers: [String: Int] = [:]
        for (offset, cells) in userRows.dropFirst().enumerated() {
            let row = offset + 2
            func cell(_ name: String) -> String {
                userIndex[name].flatMap { $0 < cells.count ? cells[$0] : nil }?.tidied ?? ""
            }
            var problems: [Problem] = []
            func add(_ column: String, _ message: String) {
                problems.append(Problem(sheet: "users", row: row, column: column, message: message))
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
            if first.isEmpty && surname.isEmpty { add("first_name", "Enter a first name or a surname") }
            if !(first.isEmpty && surname.isEmpty),
                AccountNaming.localPart(givenName: first, familyName: surname) == nil
            {
                add("first_name", "This name cannot be made into an address. Add this person on the accounts page")
            }
            let mobile = Identifiers.normaliseUKMobile(cell("mobile"))
            if mobile == nil {
                add(
                    "mobile",
                    cell("mobile").isEmpty
                        ? "Enter a UK mobile number: their security code is sent to it"
                        : "Enter a UK mobile number, like 07700 900123")
            }
            let store = OrganisationRules.normaliseODS(cell("store_ods_code")) ?? ""
            if store.isEmpty {
                add("store_ods_code", "Enter the ODS code of the store they work at")
            } else if seenStores[store] == nil {
                add("store_ods_code", "\(store) is not on the stores sheet")
            }
            let role = PharmacyRole(rawValue: cell("role").lowercased())
            if role == nil {
                add("role", "Enter the role as pharmacist, technician, staff or locum")
            }
            if !localID.isEmpty, seenUsers[localID] == nil { seenUsers[localID] = row }
            if problems.isEmpty, let mobile, let role {
                checked.users.append(
                    User(
                        row: row, localID: localID, firstName: first, surname: surname, mobile: mobile,
                        storeODS: store, role: role))
            }
            checked.problems += problems
        }
        return checked
    }
}
