import Testing

@testable import OnboardDomain

@Suite("Bulk sheets: reading and checking")
struct BulkSheetTests {
    let storeCells = [
        ["ODS code", "Premises name", "GPhC premises number", "Shared mailbox"],
        ["FA001", "Northern Pharmacy Armley", "1234567", "armley.pharmacy"],
        ["FA002", "Northern Pharmacy Bramley", "1234568", "bramley.pharmacy"],
    ]
    var stores: SheetTable { SheetTable(name: "stores", cells: storeCells) }

    func users(_ rows: [[String]]) -> SheetTable {
        SheetTable(
            name: "users", cells: [["local_id", "first_name", "surname", "mobile", "store_ods_code", "role"]] + rows)
    }

    @Test("A clean pair of sheets gives its stores and users, and no problems")
    func clean() {
        let checked = BulkSheet.checkPharmacyMultiple(
            stores: stores,
            users: users([
                ["E001", "Siân", "O'Brien", "07700 900123", "FA001", "Pharmacist"],
                ["E002", "Tom", "Reed", "+44 7700 900124", "fa002", "locum"],
            ]))
        #expect(checked.problems.isEmpty)
        #expect(checked.stores.map(\.ods) == ["FA001", "FA002"])
        #expect(checked.users.map(\.mobile) == ["+447700900123", "+447700900124"])
        #expect(checked.users.map(\.role) == [.pharmacist, .locum])
    }

    @Test("A row with one name empty is refused: a sheet never makes an address of one name")
    func bothNames() {
        let checked = BulkSheet.checkPharmacyMultiple(
            stores: stores, users: users([["E003", "Cara", "", "07700 900125", "FA001", "staff"]]))
        #expect(checked.problems.map(\.column) == ["surname"])
        #expect(checked.problems.first?.message.hasPrefix("Enter the surname") == true)
        #expect(checked.users.isEmpty)
    }

    @Test("Every problem is named by sheet, row and column")
    func problems() {
        let checked = BulkSheet.checkPharmacyMultiple(
            stores: SheetTable(name: "stores", cells: storeCells + [["FA001", "", "12", "Bad Name!"]]),
            users: users([
                ["E001", "Ann", "Lee", "01132 000000", "FA009", "manager"],
                ["E001", "", "", "07700 900123", "FA001", "staff"],
            ]))
        let cells = checked.problems.map { "\($0.sheet):\($0.row):\($0.column ?? "-")" }
        #expect(
            cells == [
                "stores:4:ods_code", "stores:4:premises_name", "stores:4:gphc_premises_number",
                "stores:4:shared_mailbox",
                "users:2:mobile", "users:2:store_ods_code", "users:2:role", "users:3:local_id", "users:3:first_name",
                "users:3:surname",
            ])
        #expect(checked.problems[0].message == "FA001 is in the file twice: rows 2 and 4")
        #expect(checked.problems[5].message == "FA009 is not on the stores sheet")
        #expect(checked.users.isEmpty)
    }

    @Test("A name with a hidden character (NUL, a right-to-left override) is a problem in its own column")
    func hiddenCharacters() {
        let checked = BulkSheet.checkPharmacyMultiple(
            stores: stores,
            users: users([
                ["E001", "Ann\u{0}", "Lee", "07700 900123", "FA001", "Pharmacist"],
                ["E002", "Tom", "Re\u{202E}ed", "07700 900124", "FA002", "locum"],
            ]))
        #expect(checked.problems.map { "\($0.row):\($0.column ?? "-")" } == ["2:first_name", "3:surname"])
        #expect(checked.problems.allSatisfy { $0.message.contains("hidden or control character") })
    }

    @Test("A wrong header suggests the nearest expected one, and a missing one is named")
    func headers() {
        let (_, problems) = BulkSheet.columns(
            ["local_id", "first name", "surnmae", "mobile", "store_ods_code"], expected: BulkSheet.userColumns,
            sheet: "users")
        #expect(
            problems.map(\.message) == [
                "surnmae is not a column of this sheet. Did you mean surname?", "The surname column is missing",
                "The role column is missing",
            ])
    }

    @Test("Excel's number cells lose a mobile's leading zero; it is put back")
    func droppedZero() {
        let checked = BulkSheet.checkPharmacyMultiple(
            stores: stores, users: users([["E001", "Ann", "Lee", "7700900123", "FA001", "staff"]]))
        #expect(checked.users.map(\.mobile) == ["+447700900123"])
    }

    @Test("A CSV holds the pharmacy sheets as two sections, and rows keep the file's numbers")
    func sections() {
        let table = SheetTable(
            name: "sheet",
            cells: storeCells + [[""], ["local_id", "first_name", "surname", "mobile", "store_ods_code", "role"]]
                + [["E001", "Ann", "Lee", "07700900123", "FA009", "staff"]])
        let (stores, users) = BulkSheet.pharmacySections(table)
        #expect(stores.rows.count == 3)
        let checked = BulkSheet.checkPharmacyMultiple(stores: stores, users: users)
        #expect(checked.problems.map { "\($0.sheet):\($0.row):\($0.column ?? "")" } == ["users:6:store_ods_code"])
    }

    @Test("The accounts sheet takes an organisation per row, and an optional leaver column")
    func accounts() {
        let checked = BulkSheet.checkAccounts(
            SheetTable(
                name: "accounts",
                cells: [
                    ["local_id", "first_name", "surname", "mobile", "organisation_ods_code", "leaver"],
                    ["P1", "Ann", "Lee", "07700900123", "b86001", ""],
                    ["P2", "Bob", "Day", "07700900124", "B86002", "yes"],
                    ["P3", "Cy", "Fox", "07700900125", "B86002", "maybe"],
                ]))
        #expect(checked.users.map(\.storeODS) == ["B86001", "B86002"])
        #expect(checked.users.map(\.leaver) == [false, true])
        #expect(checked.problems.map(\.column) == ["leaver"])
    }

    @Test("Semicolon files, a BOM and quoted newlines are read")
    func dialects() {
        let text = "\u{FEFF}local_id;first_name\r\nE001;\"Ann\nMarie\"\r\n"
        #expect(CSV.delimiter(of: text) == ";")
        #expect(CSV.delimiter(of: "a,b;c,d\n") == ",")
        #expect(CSV.parse(text, delimiter: ";") == [["local_id", "first_name"], ["E001", "Ann\nMarie"]])
    }

    @Test(
        "Cells that a spreadsheet would run as formulas are written as text",
        arguments: ["=SUM(A1)", "+44", "-1", "@cmd", "\tx", "\rx"])
    func injection(cell: String) {
        #expect(CSV.neutralised(cell) == "'" + cell)
        #expect(CSV.line([cell, "plain"]).hasPrefix("'") || CSV.line([cell, "plain"]).hasPrefix("\"'"))
    }

    @Test("Ordinary cells are written unchanged, and quoted only when they must be")
    func quoting() {
        #expect(CSV.line(["a", "b c", "d,e", "say \"hi\""]) == "a,b c,\"d,e\",\"say \"\"hi\"\"\"")
    }
}
