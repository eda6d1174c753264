import Foundation
import Testing

@testable import OnboardDomain

@Suite("XLSX: reading uploaded workbooks safely, writing templates and reports")
struct XLSXTests {
    @Test("Sheets written are read back as they were: names, row numbers, unicode, punctuation and gaps")
    func roundTrip() throws {
        let sheets = [
            SheetTable(
                name: "Users",
                rows: [
                    .init(number: 1, cells: ["local_id", "first_name", "surname", "note"]),
                    .init(number: 2, cells: ["E001", "Siân", "O'Brien", "a, \"quoted\" value"]),
                    .init(number: 4, cells: ["E002", "", "Zoë 日本語 😀", "line one\nline two\r\nthree"]),
                    .init(number: 5, cells: ["  padded  ", "tab\there", "<b>&amp;</b>", "x"]),
                ]),
            SheetTable(
                name: "Stores", rows: [.init(number: 1, cells: ["ods_code"]), .init(number: 2, cells: ["FA001"])]),
        ]
        let read = try XLSX.read(XLSX.write(sheets))
        #expect(read == sheets)
    }

    @Test("A cell that looks like a formula is written as text, never as a formula")
    func neutralised() throws {
        let bytes = XLSX.write([
            SheetTable(
                name: "Report", rows: [.init(number: 1, cells: ["=HYPERLINK(\"http://x\")", "+44", "@SUM(A1)", "-1"])])
        ])
        let read = try XLSX.read(bytes)
        #expect(read.first?.rows.first?.cells == ["'=HYPERLINK(\"http://x\")", "'+44", "'@SUM(A1)", "'-1"])
        let sheet = String(
            decoding: try ZipArchive(bytes, maxEntries: 10).read("xl/worksheets/sheet1.xml", limit: 1 << 20),
            as: UTF8.self)
        #expect(!sheet.contains("<f>"))
    }

    @Test("The header row is bold, names are made valid for Excel, and the same sheets give the same bytes")
    func writtenShape() throws {
        let tables = [
            SheetTable(name: "Users", rows: [.init(number: 1, cells: ["a"]), .init(number: 2, cells: ["b"])]),
            SheetTable(name: "users", rows: []),
            SheetTable(name: "A/B: [draft]?", rows: []),
            SheetTable(name: String(repeating: "x", count: 40), rows: []),
            SheetTable(name: "", rows: []),
        ]
        let bytes = XLSX.write(tables)
        #expect(bytes == XLSX.write(tables))
        let zip = try ZipArchive(bytes, maxEntries: 20)
        let sheet = String(decoding: try zip.read("xl/worksheets/sheet1.xml", limit: 1 << 20), as: UTF8.self)
        #expect(sheet.contains("<c r=\"A1\" s=\"1\" t=\"inlineStr\">"))
        #expect(sheet.contains("<c r=\"A2\" t=\"inlineStr\">"))
        #expect(
            try XLSX.read(bytes).map(\.name) == [
                "Users", "users (2)", "A_B_ _draft__", String(repeating: "x", count: 31), "Sheet5",
            ])
    }

    @Test("Raw DEFLATE from zlib inflates: fixed Huffman, dynamic Huffman and stored blocks")
    func inflate() throws {
        #expect(
            try Inflate.decompress(Self.fixedDeflate, limit: 1000)
                == Array("Hello, hello, hello! Onboarding spreadsheets.".utf8))
        #expect(try Inflate.decompress(Self.storedDeflate, limit: 1000) == Array("Stored: Siân O'Brien, 日本語".utf8))
        let csv = String(decoding: try Inflate.decompress(Self.dynamicDeflate, limit: 10_000), as: UTF8.self)
        #expect(
            csv.hasPrefix(
                "local_id,first_name,surname,mobile,store_ods_code,role\nE000,Name0,Surname0,07700900000,FA000,pharmacist\n"
            ))
        #expect(csv.hasSuffix("E039,Name0,Surname4,07700900039,FA004,locum\n"))
        #expect(csv.split(separator: "\n").count == 41)
        let periodic = (0..<70_000).map { UInt8($0 * 7 % 251) }
        #expect(try Inflate.decompress(Self.periodicDeflate, limit: 70_000) == periodic)
    }

    @Test("Inflating stops at the limit, and damaged or cut-off data throws rather than crashing")
    func inflateRefuses() throws {
        #expect(throws: Inflate.Failure.tooLarge) { try Inflate.decompress(Self.periodicDeflate, limit: 69_999) }
        #expect(throws: Inflate.Failure.tooLarge) { try Inflate.decompress(Self.storedDeflate, limit: 10) }
        #expect(throws: Inflate.Failure.self) {
            try Inflate.decompress(Array(Self.dynamicDeflate.prefix(200)), limit: 10_000)
        }
        #expect(throws: Inflate.Failure.self) { try Inflate.decompress([], limit: 10) }
        #expect(throws: Inflate.Failure.malformed) { try Inflate.decompress([0x07], limit: 10) }  // block type 3
        // A stored block whose length check does not match.
        #expect(throws: Inflate.Failure.malformed) {
            try Inflate.decompress([0x01, 0x05, 0x00, 0x00, 0x00], limit: 10)
        }
        // Corrupting any of the first 200 bytes (block headers and code tables) inflates to something or throws.
        for fixture in [Self.fixedDeflate, Self.dynamicDeflate, Self.storedDeflate, Self.periodicDeflate] {
            for index in fixture.indices.prefix(200) {
                for flip: UInt8 in [0x01, 0xFF] {
                    var damaged = fixture
                    damaged[index] ^= flip
                    _ = try? Inflate.decompress(damaged, limit: 5_000)
                }
            }
        }
    }

    @Test(
        "A workbook as Excel saves it: shared and rich strings, numbers, dates, inline strings, formulas, row numbers")
    func realWorkbook() throws {
        let sheets = try XLSX.read(Self.workbook)
        #expect(sheets.map(\.name) == ["Users & roles", "Stores"])
        let users = try #require(sheets.first)
        #expect(users.rows.map(\.number) == [1, 2, 5, 6])
        #expect(users.rows[0].cells == ["local_id", "first_name", "surname", "mobile", "start", "note"])
        #expect(users.rows[1].cells == ["E001", "Siân ", "O'Brien", "7700900123", "2023-03-15", "2"])
        #expect(users.rows[2].cells == ["  two  spaces <&> 😀", "", "TRUE", "1234567", "1900-03-01", "ab"])
        #expect(users.rows[3].cells == ["#N/A", "0.1", "FALSE", "45000", "", "rich inline"])
        #expect(
            sheets.last?.rows == [.init(number: 1, cells: ["ods_code"]), .init(number: 2, cells: ["FA001", "-3.5"])])
    }

    @Test("Excel serial days become dates, with the phantom 1900-02-29 and the 1904 system")
    func dates() {
        #expect(WorkbookReader.date(1, false) == "1900-01-01")
        #expect(WorkbookReader.date(59, false) == "1900-02-28")
        #expect(WorkbookReader.date(60, false) == "1900-02-29")
        #expect(WorkbookReader.date(61, false) == "1900-03-01")
        #expect(WorkbookReader.date(45000.75, false) == "2023-03-15")
        #expect(WorkbookReader.date(0, true) == "1904-01-01")
        #expect(WorkbookReader.date(43_538, true) == "2023-03-15")
        #expect(WorkbookReader.date(0, false) == nil)
        let dates = ["dd/mm/yyyy;@", "m/d/yy", "[$-409]mmmm d, yyyy", "yyyy-mm-dd hh:mm", "mmm"]
        let others = ["0.00", "h:mm", "mm:ss", "[h]:mm", "\"days\" 0", "General", "[Red]0.0", "0_m"]
        #expect(dates.allSatisfy(WorkbookReader.isDateFormat))
        #expect(!others.contains(where: WorkbookReader.isDateFormat))
    }

    @Test("A part with a DOCTYPE is refused, whatever its case, package parts included")
    func doctype() {
        var zip = ZipWriter()
        zip.add("xl/workbook.xml", Array("<workbook><sheets><sheet name=\"A\"/></sheets></workbook>".utf8))
        zip.add(
            "xl/worksheets/sheet1.xml",
            Array("<?xml version=\"1.0\"?><!doctype x [<!ENTITY a \"aaaa\">]><worksheet/>".utf8))
        #expect(throws: XLSX.ReadError.doctype) { try XLSX.read(zip.finish()) }
        var types = ZipWriter()
        types.add("[Content_Types].xml", Array("<?xml version=\"1.0\"?><!DOCTYPE Types><Types/>".utf8))
        types.add("xl/workbook.xml", Array("<workbook/>".utf8))
        #expect(throws: XLSX.ReadError.doctype) { try XLSX.read(types.finish()) }
    }

    @Test("A zip bomb is stopped at the byte limit even though its directory claims a small size")
    func bomb() {
        #expect(throws: XLSX.ReadError.tooLarge) { try XLSX.read(Self.bomb, limits: .init(maxPartBytes: 1_000_000)) }
        #expect(throws: XLSX.ReadError.tooLarge) { try XLSX.read(Self.bomb, limits: .init(maxTotalBytes: 1_500_000)) }
        // With room for it, the lie is caught as damage.
        #expect(throws: XLSX.ReadError.malformed) { try XLSX.read(Self.bomb) }
    }

    @Test("Files that are not workbooks are refused, each with its own reason")
    func notWorkbooks() {
        #expect(throws: XLSX.ReadError.notZip) { try XLSX.read(Array("local_id,first_name\nE001,Siân\n".utf8)) }
        #expect(throws: XLSX.ReadError.notZip) { try XLSX.read([]) }
        let ole: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 512)
        #expect(throws: XLSX.ReadError.notZip) { try XLSX.read(ole) }
        #expect(throws: XLSX.ReadError.encrypted) { try XLSX.read(ole + "EncryptedPackage".utf8.flatMap { [$0, 0] }) }
        var document = ZipWriter()
        document.add("word/document.xml", Array("<document/>".utf8))
        #expect(throws: XLSX.ReadError.notWorkbook) { try XLSX.read(document.finish()) }
        #expect(XLSX.ReadError.notZip.message == "The file is not an Excel workbook (.xlsx) or CSV file")
    }

    @Test("Too many entries, cells or shared strings are refused")
    func limits() {
        var zip = ZipWriter()
        for index in 1...5 { zip.add("xl/part\(index).xml", []) }
        #expect(throws: XLSX.ReadError.tooManyEntries) { try XLSX.read(zip.finish(), limits: .init(maxEntries: 4)) }
        #expect(throws: XLSX.ReadError.tooManyCells) { try XLSX.read(Self.workbook, limits: .init(maxCells: 15)) }
        #expect(throws: XLSX.ReadError.tooManySharedStrings) {
            try XLSX.read(Self.workbook, limits: .init(maxSharedStrings: 8))
        }
        #expect((try? XLSX.read(Self.workbook, limits: .init(maxSharedStrings: 9, maxCells: 27))) != nil)
    }

    @Test("Damaged archives throw: corrupt deflate data, a wrong CRC, an encrypted entry, any flipped byte")
    func damaged() throws {
        let name = Array("xl/worksheets/sheet2.xml".utf8)
        let local = try #require(Self.workbook.firstRange(of: name)).lowerBound - 30
        let central = try #require(Self.workbook[(local + 31)...].firstRange(of: name)).lowerBound - 46
        var corrupt = Self.workbook
        for index in (local + 30 + name.count + 10)..<(local + 30 + name.count + 60) { corrupt[index] = 0xFF }
        #expect(throws: XLSX.ReadError.malformed) { try XLSX.read(corrupt) }
        var crc = Self.workbook
        crc[central + 16] ^= 0x01
        #expect(throws: XLSX.ReadError.malformed) { try XLSX.read(crc) }
        var encrypted = Self.workbook
        encrypted[central + 8] |= 0x01
        #expect(throws: XLSX.ReadError.encrypted) { try XLSX.read(encrypted) }
        // Every byte of one directory entry and of the end record, and a sample of everything else.
        let directory = central..<(central + 70)
        for index in Self.workbook.indices
        where index % 11 == 0 || directory.contains(index) || index >= Self.workbook.count - 22 {
            var damaged = Self.workbook
            damaged[index] ^= 0x55
            do { _ = try XLSX.read(damaged) } catch { #expect(error is XLSX.ReadError) }
        }
    }

    @Test("An 11,000-row sheet of shared strings reads quickly")
    func large() throws {
        var strings = "<sst>"
        var sheet = "<worksheet><sheetData>"
        for row in 1...11_000 {
            sheet += "<row r=\"\(row)\">"
            for column in 0..<6 {
                strings += "<si><t>r\(row)c\(column)</t></si>"
                sheet += "<c r=\"\(XLSX.columnName(column))\(row)\" t=\"s\"><v>\((row - 1) * 6 + column)</v></c>"
            }
            sheet += "</row>"
        }
        var zip = ZipWriter()
        zip.add("xl/workbook.xml", Array("<workbook><sheets><sheet name=\"Users\"/></sheets></workbook>".utf8))
        zip.add("xl/sharedStrings.xml", Array((strings + "</sst>").utf8))
        zip.add("xl/worksheets/sheet1.xml", Array((sheet + "</sheetData></worksheet>").utf8))
        let bytes = zip.finish()
        let started = ContinuousClock.now
        let read = try XLSX.read(bytes)
        // Far under this even in a debug build; the bound is there to catch work that grows with the square.
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(read.first?.rows.count == 11_000)
        #expect(read.first?.rows.last?.cells == (0..<6).map { "r11000c\($0)" })
    }

    static func bytes(_ base64: String) -> [UInt8] {
        Array(Data(base64Encoded: base64, options: .ignoreUnknownCharacters) ?? Data())
    }

    // Made with Python's zipfile (ZIP_DEFLATED). Workbook "Users & roles" (r:id rId7 → worksheets/sheet2.xml)
    // then "Stores" (rId2 → the absolute /xl/worksheets/sheet1.xml, every element prefixed "x:"). Shared
    // strings with a rich-text run and an <rPh> phonetic run; styles with numFmtId 14, a custom dd/mm/yyyy;@,
    // a custom "[>=100]0" that is not a date, and 49 (text). Sheet2: header; row 2 shared, rich, inlineStr,
    // 7700900123, 45000 as a date, a formula with cached 2; row 3 blank; row 5 with a gap at B; a row with no r.
    static let workbook = bytes(
        """
        UEsDBBQAAAAIAPKVeV1EF/yl8wAAAKcBAAATAAAAW0NvbnRlbnRfVHlwZXNdLnhtbH2QzU7DMBCE70i8g+Urih04IISS9FDgCBzK
        Ayz2JrHiP3ndkr49TlouqHCy1jOz32ibzewsO2AiE3zLb0XNGXoVtPFDyz92L9UDZ5TBa7DBY8uPSHzTXV81u2NEYiXtqeVjzvFR
        SlIjOiARIvqi9CE5yGVMg4ygJhhQ3tX1vVTBZ/S5yssO3jVP2MPeZvY8l+9Tk4SWONuejAur5RCjNQpy0eXB61+U6kwQJbl6aDSR
        boqBy4uERfkbcM69ldMko5G9Q8qv4IpLzlZ+hTR9hjCJ/5dcaBn63ijUQe1diQiKCUHTiJidFesrHBj/01uuZ+6+AVBLAwQUAAAA
        CADylXldNG8DrbMAAAApAQAACwAAAF9yZWxzLy5yZWxzjc+xDoIwEAbg3cR3aG6XgoMxhsJiTFgNPkAtBzRAr2mrwtvbUYyD4+X+
        +/5cXs7TyJ7ovCYjIEtSYGgUNdp0Am71ZXcE5oM0jRzJoIAFPZTFdpNfcZQhHvleW8+iYryAPgR74tyrHifpE7Jo4qYlN8kQR9dx
        K9UgO+T7ND1w92lAsTJZ1QhwVZMBqxeL/9jUtlrhmdRjQhN+VHwloixdh0HAPPIXueFONCQRBV7kfPVg8QZQSwMEFAAAAAgA8pV5
        XZHQ6iztAAAAgAEAAA8AAAB4bC93b3JrYm9vay54bWyNj01PwzAMhu9I/IfIB24s7UADlba7IKTdkNi4h8ZdoyVxZWd8/HvCPiq4
        cbItv378vvXyM3j1jiyOYgPlrACFsSPr4raBzfrp+h6UJBOt8RSxgS8UWLaXF/UH8e6NaKcyIEoDQ0pjpbV0AwYjMxox5k1PHEzK
        I2+1jIzGyoCYgtfzoljoYFyEI6Hi/zCo712Hj9TtA8Z0hDB6k7J9Gdwo0E7OnllZ7M3ep3Xm4esUcnFblCXotj54kVNV0YQccCNZ
        p65MGB8Uk89x1WG9sg3cgOLK5YZX9m4CnA5fEvEfdflLPf9R6/M/fbbYfgNQSwMEFAAAAAgA8pV5Xfpu913mAAAAxwIAABoAAAB4
        bC9fcmVscy93b3JrYm9vay54bWwucmVsc7WSUUsDMQyA3wX/Q8m7l9spKrLeXkTYq84fUNrc9VivLU3V3b+3DGQ7GcOH+RSSkC8f
        JMvVbnTikxIPwUtYVDUI8jqYwfcS3jcvN48gOCtvlAueJEzEsGqvr5av5FQuQ2yHyKJQPEuwOccnRNaWRsVViORLpwtpVLmkqceo
        9Fb1hE1d32M6ZkA7Y4q1kZDWpgGxmSL9hR26btD0HPTHSD6fWIFfIW3ZEuUCVamnLAF37lBm3IdFVciAp4Ue/lnot0xzTub2kjJs
        VSLzllM5Ph+EZuVzMncXlcmTo2OLff6zHmfv134DUEsDBBQAAAAIAPKVeV1YI16uEQEAABICAAANAAAAeGwvc3R5bGVzLnhtbH2R
        TUvDMBjH74LfIeSwm0s6uqJr0wlCwYuXKQjDQ9Y8fYG81CaV9dubrtJ1TswlL09+f35PkmyPSqIvaG1tNMPBkmIEOjei1iXDb6/Z
        3T1G1nEtuDQaGO7B4m16e5NY10vYVQAO+QhtGa6cazaE2LwCxe3SNKB9pTCt4s5v25LYpgUu7AApSVaURkTxWuM00Z3KlLMoN512
        DK+mIzROz8LLRSFGY9yTEd5FCKIU6f2IHzH5k1hfEvtF6WIWUPpB48VnZ1wseD8u6JBAfjzSJAcpd0OL78VkFXirYzHLH5n51RGc
        MetrxhvpM35RDMJ5FfGmkf1Lpw7QZqcuBocrJgr/jfRv8PssfJjET87k/JnpN1BLAwQUAAAACADylXld5OOKASQBAAABAgAAFAAA
        AHhsL3NoYXJlZFN0cmluZ3MueG1sbZFfb8IgFMXfl+w7EEz6NqE+mM22+GA028vWZO7ZYIuWhD8d99a5bz+sW3RqQoD7O4cbOOTT
        vTVkpwJo7wqaDjklylW+1m5b0I/l4uGREkDpamm8UwX9VkCn4v4uB0ASzzooaIPYThiDqlFWwtC3ykVl44OVGMuwZdAGJWtolEJr
        2IjzMbNSO0oq3zks6BMlndOfnZr91SIHLXIUxlfSrHSdMxQ5O7Aj3+gAuHLSqksFunALW7/W5tqMMuAldB6vjHPO0/8sxFHGac0i
        7Hco3vXRE3q5D2gCraxicDEBUGGnqEgGo9E4c+RkLRsC64Ieso9LSg+tyue31/nyZfbrKpvz69xuTAh+eUJ6DiQxmCXStlmyxYwk
        g326GHOenR7B4heKH1BLAwQUAAAACADylXldRmRH9fsBAADABAAAGAAAAHhsL3dvcmtzaGVldHMvc2hlZXQyLnhtbHVUTY/bIBC9
        V+p/QPTQrdoGbK+dbWSzymdPTQ67Vc/EwTFqDBagbPffF0ziEG/25pk3H2/ejMkf/zUHcGRKcykKGI0wBEyUcsfFvoC/n1ffHyDQ
        hoodPUjBCvjKNHwkHz/kL1L91TVjBtgKQhewNqadIKTLmjVUj2TLhEUqqRpqrKn2SLeK0V2X1BxQjHGGGsoFJPmON0w4CkCxqoDT
        aLJKISJ5F7ughpJcyRegLENLp6WuXzTJbGbpnFPrNQXU1j4SnKMjyVF5wmYhFl1j8xCLr7FFiCXX2DLE7q+xVYilPYYs/36IuCce
        B8HZgHiIjQfEPcbFgQv2ZJSN4Zrkhmw+zxRnIkfGRjvXZZ7YFxpj/APjKB6OZCs6Uf1IKcYDGVcuvSLRVythdUOunz4/cVu7mjXp
        Z01uc3b3M7E7Le112QPRTB0ZJACAG0PMkhPLYZe075IGqj0MVPPY9tYpLFLvHcXJfZqNl4NlLNOusdcwG+SuTj27mSoy36zn0+c7
        SOE32+vLSS+6fXsLLt8msq7qpzWaXup2lzwKG/XMw81oL/CblTke682fO9/9wjS7uQPlTkfxsvaSK+95ZzE+uY/sF+SnQsEv29I9
        +0XVngsNDqyyjfFoDIHi+/r8bWTbfVkFt9IY2Zyt2r4UTDnLrryS0pwNt/n+7SH/AVBLAwQUAAAACADylXld+TRGL+AAAACBAQAA
        GAAAAHhsL3dvcmtzaGVldHMvc2hlZXQxLnhtbH2Q3U7EIBCF7018BzL3W2j9iWkKm91s9gXUa0PacUss0DCkW99eIF5UY7wZOBzO
        NwPdfrUTWzCQ8U5CXQlg6Ho/GHeR8Ppy3j0Bo6jdoCfvUMInEuzV7U23tlcfPmhEjCwxHLWrhDHGueWc+hGtpsrP6JL37oPVMclw
        4TQH1EOJ2Yk3Qjxyq40DlYDl9KSjziL4KwtpouL0eXuogUUJxk3G4XMMxTGUa1R+oLc0NnY8q1yzk5a+1ETbQJsNtPkHej4IUf9F
        /A4fU5gk3JfQonZ31UO+sPxuzH+8jW++Tn0BUEsBAhQDFAAAAAgA8pV5XUQX/KXzAAAApwEAABMAAAAAAAAAAAAAAIABAAAAAFtD
        b250ZW50X1R5cGVzXS54bWxQSwECFAMUAAAACADylXldNG8DrbMAAAApAQAACwAAAAAAAAAAAAAAgAEkAQAAX3JlbHMvLnJlbHNQ
        SwECFAMUAAAACADylXldkdDqLO0AAACAAQAADwAAAAAAAAAAAAAAgAEAAgAAeGwvd29ya2Jvb2sueG1sUEsBAhQDFAAAAAgA8pV5
        Xfpu913mAAAAxwIAABoAAAAAAAAAAAAAAIABGgMAAHhsL19yZWxzL3dvcmtib29rLnhtbC5yZWxzUEsBAhQDFAAAAAgA8pV5XVgj
        Xq4RAQAAEgIAAA0AAAAAAAAAAAAAAIABOAQAAHhsL3N0eWxlcy54bWxQSwECFAMUAAAACADylXld5OOKASQBAAABAgAAFAAAAAAA
        AAAAAAAAgAF0BQAAeGwvc2hhcmVkU3RyaW5ncy54bWxQSwECFAMUAAAACADylXldRmRH9fsBAADABAAAGAAAAAAAAAAAAAAAgAHK
        BgAAeGwvd29ya3NoZWV0cy9zaGVldDIueG1sUEsBAhQDFAAAAAgA8pV5Xfk0Ri/gAAAAgQEAABgAAAAAAAAAAAAAAIAB+wgAAHhs
        L3dvcmtzaGVldHMvc2hlZXQxLnhtbFBLBQYAAAAACAAIAAgCAAARCgAAAAA=
        """)

    // xl/workbook.xml and an xl/worksheets/sheet1.xml of 2,000,000 spaces (deflated to about 2 KB), whose
    // uncompressed size was then patched to 100 in both its central-directory entry and its local header.
    static let bomb = bytes(
        """
        UEsDBBQAAAAIAPKVeV1i+flokAAAAOIAAAAPAAAAeGwvd29ya2Jvb2sueG1sjY8xDoMwDEWvEvkANXTogICh6sIxApgmAsfITtUe
        vwjK3sn+/8vvy/VbdO5FZvfhJVkDIee1QrQhEHu7yEppSyZR9nmT+kRblfxogSjzgteiuCH7mOAgVPoPQ6YpDvSQ4cWU8gFRWnyO
        kizE1aCt9wb7TZc8UwN34R7c7nRjAyU4reK2aDeWgG2N5xGef7VfUEsDBBQAAAAIAPKVeV0v0Nv6ywcAAGQAAAAYAAAAeGwvd29y
        a3NoZWV0cy9zaGVldDEueG1s7cexCcAgFEDBVbKBC3ysXMRCECwEFbJ+wDVy1zxevHON3Vs7OW5KPTU/AAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAADA70TavbVT6qk50jvXuJ8/UEsBAhQDFAAAAAgA
        8pV5XWL5+WiQAAAA4gAAAA8AAAAAAAAAAAAAAIABAAAAAHhsL3dvcmtib29rLnhtbFBLAQIUAxQAAAAIAPKVeV0v0Nv6ywcAAGQA
        AAAYAAAAAAAAAAAAAACAAb0AAAB4bC93b3Jrc2hlZXRzL3NoZWV0MS54bWxQSwUGAAAAAAIAAgCDAAAAvggAAAAA
        """)

    // zlib.compressobj(9, zlib.DEFLATED, -15) of the texts expected above (level 0 for the stored block); the
    // periodic one is bytes(i * 7 % 251 for i in range(70000)).
    static let fixedDeflate = bytes(
        """
        80jNycnXUchAohQV/POS8hOLUjLz0hWKC4pSE1OKM1JTS4r1AA==
        """)

    static let dynamicDeflate = bytes(
        """
        bZTBjptAEETv+RYO093AwHEPyTGXfIBFMNYiYRNh7//HDPRsdWt8sGWpyq6hXs2yjsNyma/Vbd6er8tjuE/V82tLn/f177y8v77W
        bbqs1+dlXK9Tta3L9ONnCKH6/RaF6s+hDlWIMYQ+7K/q18f+/u9z2O7DOD9fu4GSIaqBCByUHFS9pvHzMY/z8NgdnBykjgYMnAz8
        DjfcbrtWkrbLv96CWJJYqmUdv+67uE5izmIMXydx7cI3ydGrowZDc57WZm+TQfJfYPj2PG0OH4+D5ofZgzieJ83huySuVSug7c6D
        2uz98ev5ORKm78/jmvR0lNuoo/s2kJar4enolfLTZBBrrxqejkrbHAXSk3Zq0pNYziIYtFebvXacgUG7zdkbSxhhdu01Z28tYkAY
        aaM2erSYAWWkrdronaUMJ0Labc7eW8IAMNJSNToHBxjOg4tzZbKY4Ua4OFdmxxlgxn6vLJYw3Af7vXLtEIN9cHGv3FjOADMu7pVb
        ixluhP1eOVrEYB7s58qdRQwI4+JcuXc3GWYvrlWC5QwmIn6tQg4x0PqxCrs7DLJLcawijjPATIprldpiBpSJX6s0/iLD9H6u0lrC
        ADApzlWiowxHIsXBSueuM4zvByu9RQwIEzvY/w==
        """)

    static let storedDeflate = bytes(
        """
        ASAA3/9TdG9yZWQ6IFNpw6JuIE8nQnJpZW4sIOaXpeacrOiqng==
        """)

    static let periodicDeflate = bytes(
        """
        7c9DghAAAADAzba52bZt27Zt12bbtm3btm1bp17RbeYHExAmcqyEydNlzVO4VMUa9Zu17dJ70Ijx0+YuWb1p54Hj567eefzq449g
        YaPETpQifba8RUpXqtmgebuufQaPnDB93tI1m3cdPHH+2t0nrz/9DB4uapzEKTNkz1e0TOVaDVu079Z3yKiJM+YvW7tl96GTF67f
        e/rm868Q4aPFDUyVMUf+YmWr1G7UskP3fkNHT5q5YPm6rXsOn7p44/6zt19+h4wQPV6S1JlyFihermqdxq069ug/bMzkWQtXrN+2
        98jpSzcfPH/39U+oiDHiJ02TOVfBEuWr1W3SulPPAUFjp8xetHLD9n1Hz1y+9fDF+29/Q0eKmSBZ2iy5C5WsUL1e0zadew0cPm7q
        nMWrNu7Yf+zslduPXn74HqCurq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urv6/6v8A
        """)

}
