import Foundation

/// Excel workbooks (.xlsx) read into `SheetTable`s and written from them, with no dependency beyond
/// Foundation. Reading is for uploads from anyone, so every size is capped, formulas are never evaluated
/// (only the value Excel saved is used), and a DOCTYPE, the door to entity expansion, is refused outright.
public enum XLSX {
    public struct Limits: Sendable {
        public var maxEntries: Int
        /// Decompressed bytes of any one part.
        public var maxPartBytes: Int
        /// Decompressed bytes of all the parts read, together.
        public var maxTotalBytes: Int
        public var maxSharedStrings: Int
        /// Cells kept, counting the blanks filled in before a cell further along a row.
        public var maxCells: Int

        public init(
            maxEntries: Int = 200, maxPartBytes: Int = 64 << 20, maxTotalBytes: Int = 128 << 20,
            maxSharedStrings: Int = 500_000, maxCells: Int = 1_000_000
        ) {
            self.maxEntries = maxEntries
            self.maxPartBytes = maxPartBytes
            self.maxTotalBytes = maxTotalBytes
            self.maxSharedStrings = maxSharedStrings
            self.maxCells = maxCells
        }
    }

    public enum ReadError: Error, Equatable, Sendable {
        case notZip, notWorkbook, doctype, encrypted, unsupported, tooLarge, tooManyEntries, tooManyCells
        case tooManySharedStrings, malformed

        /// What went wrong, for the person who uploaded the file.
        public var message: String {
            switch self {
            case .notZip: "The file is not an Excel workbook (.xlsx) or CSV file"
            case .notWorkbook:
                "The file is a ZIP archive, not an Excel workbook (.xlsx). Save it from Excel as an Excel Workbook "
                    + "and upload it again"
            case .doctype:
                "The workbook contains a DOCTYPE declaration, which is not allowed. Save it again from Excel and "
                    + "upload it again"
            case .encrypted: "The workbook is password protected. Remove the password and upload it again"
            case .unsupported:
                "The workbook is saved in a way this service cannot read. Save it again from Excel as an Excel "
                    + "Workbook (.xlsx) and upload it again"
            case .tooLarge: "The workbook is too large once decompressed"
            case .tooManyEntries: "The workbook has too many parts. Save it again with only the sheets needed"
            case .tooManyCells: "The workbook has too many cells. Split it into smaller files and upload each one"
            case .tooManySharedStrings:
                "The workbook has too many different pieces of text. Split it into smaller files and upload each one"
            case .malformed: "The workbook is damaged. Save it again from Excel and upload it again"
            }
        }
    }

    /// Every worksheet, in workbook order and named as in Excel's tabs. Cells hold the text Excel shows for
    /// strings, numbers (whole numbers without a decimal point), booleans and errors; dates as YYYY-MM-DD.
    public static func read(_ bytes: [UInt8], limits: Limits = .init()) throws -> [SheetTable] {
        // Password-protected workbooks are not ZIPs but OLE compound files holding an "EncryptedPackage".
        if bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            let marker: [UInt8] = "EncryptedPackage".utf8.flatMap { [$0, 0] }
            throw bytes.firstRange(of: marker) == nil ? ReadError.notZip : ReadError.encrypted
        }
        var reader = try WorkbookReader(bytes, limits: limits)
        return try reader.sheets()
    }

    /// A workbook of inline-string cells, one sheet per table, its first row bold. Every cell is
    /// `CSV.neutralised` first, so nothing written can run as a formula. Sheet names are made valid and unique.
    public static func write(_ sheets: [SheetTable]) -> [UInt8] {
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let officeDocument = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        let type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        let tables = sheets.isEmpty ? [SheetTable(name: "Sheet1", rows: [])] : sheets
        let names = sheetNames(tables.map(\.name))
        var zip = ZipWriter()
        func add(_ name: String, _ xml: String) {
            zip.add(name, Array(("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" + xml).utf8))
        }
        var types = "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
        types +=
            "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
        types += "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
        types += "<Override PartName=\"/xl/workbook.xml\" ContentType=\"\(type).sheet.main+xml\"/>"
        types += "<Override PartName=\"/xl/styles.xml\" ContentType=\"\(type).styles+xml\"/>"
        var workbook = "<workbook xmlns=\"\(main)\" xmlns:r=\"\(officeDocument)\"><sheets>"
        var rels = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        for (index, name) in names.enumerated() {
            let number = index + 1
            types += "<Override PartName=\"/xl/worksheets/sheet\(number).xml\" ContentType=\"\(type).worksheet+xml\"/>"
            workbook += "<sheet name=\"\(escaped(name))\" sheetId=\"\(number)\" r:id=\"rId\(number)\"/>"
            rels += "<Relationship Id=\"rId\(number)\" Type=\"\(officeDocument)/worksheet\""
            rels += " Target=\"worksheets/sheet\(number).xml\"/>"
        }
        rels += "<Relationship Id=\"rId\(names.count + 1)\" Type=\"\(officeDocument)/styles\" Target=\"styles.xml\"/>"
        add("[Content_Types].xml", types + "</Types>")
        add(
            "_rels/.rels",
            "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                + "<Relationship Id=\"rId1\" Type=\"\(officeDocument)/officeDocument\" Target=\"xl/workbook.xml\"/>"
                + "</Relationships>")
        add("xl/workbook.xml", workbook + "</sheets></workbook>")
        add("xl/_rels/workbook.xml.rels", rels + "</Relationships>")
        add("xl/styles.xml", styles.replacingOccurrences(of: "MAIN", with: main))
        for (index, table) in tables.enumerated() {
            var xml = "<worksheet xmlns=\"\(main)\"><sheetData>"
            // Excel calls a file damaged unless rows rise strictly, so a number out of order moves up one.
            var last = 0
            for (position, row) in table.rows.enumerated() {
                last = min(max(row.number, last + 1), 1_048_576)
                xml += "<row r=\"\(last)\">"
                for (column, cell) in row.cells.enumerated() where !cell.isEmpty {
                    xml += "<c r=\"\(columnName(column))\(last)\"\(position == 0 ? " s=\"1\"" : "") t=\"inlineStr\">"
                    xml += "<is><t xml:space=\"preserve\">\(escaped(CSV.neutralised(cell)))</t></is></c>"
                }
                xml += "</row>"
            }
            add("xl/worksheets/sheet\(index + 1).xml", xml + "</sheetData></worksheet>")
        }
        return zip.finish()
    }

    // Two cell formats: plain (0) and bold for the header row (1), with the fills and border Excel expects.
    private static let styles = """
        <styleSheet xmlns="MAIN"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
        <font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill \
        patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1">\
        <border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf \
        numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" \
        fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" \
        applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>\
        </cellStyles></styleSheet>
        """

    /// Excel's rules for tab names: 1 to 31 characters, none of []:*?/\, no apostrophe at either end, and
    /// unique ignoring case.
    static func sheetNames(_ wanted: [String]) -> [String] {
        var taken = Set<String>()
        return wanted.enumerated().map { index, name in
            var base = String(name.map { "[]:*?/\\".contains($0) || $0.isNewline ? "_" : $0 })
            base = base.trimmingCharacters(in: CharacterSet(charactersIn: "' ").union(.whitespacesAndNewlines))
            if base.isEmpty || base.lowercased() == "history" { base = "Sheet\(index + 1)" }
            var candidate = fitted(base, suffix: "")
            var copy = 2
            while taken.contains(candidate.lowercased()) {
                candidate = fitted(base, suffix: " (\(copy))")
                copy += 1
            }
            taken.insert(candidate.lowercased())
            return candidate
        }
    }

    private static func fitted(_ base: String, suffix: String) -> String {
        var name = base
        while name.utf16.count + suffix.utf16.count > 31 { name.removeLast() }
        return name + suffix
    }

    static func columnName(_ index: Int) -> String {
        var letters: [Character] = []
        var rest = index + 1
        while rest > 0 {
            letters.insert(Character(Unicode.Scalar(UInt8(65 + (rest - 1) % 26))), at: 0)
            rest = (rest - 1) / 26
        }
        return String(letters)
    }

    /// Text as XML character data. Control characters XML 1.0 cannot carry are dropped; a carriage return is
    /// written as a reference because a parser would otherwise turn it into a line feed.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\r": out += "&#13;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// One read of one workbook: the archive, what has been decompressed so far, and the workbook-wide parts.
struct WorkbookReader {
    let zip: ZipArchive
    let limits: XLSX.Limits
    var total = 0
    var shared: [String] = []
    var dateStyles: [Bool] = []
    var date1904 = false

    init(_ bytes: [UInt8], limits: XLSX.Limits) throws {
        self.limits = limits
        do {
            zip = try ZipArchive(bytes, maxEntries: limits.maxEntries)
        } catch let failure as ZipArchive.Failure {
            throw Self.map(failure)
        }
        guard zip.contains("xl/workbook.xml") else { throw XLSX.ReadError.notWorkbook }
    }

    static func map(_ failure: ZipArchive.Failure) -> XLSX.ReadError {
        switch failure {
        case .notZip: .notZip
        case .encrypted: .encrypted
        case .unsupported: .unsupported
        case .tooManyEntries: .tooManyEntries
        case .malformed: .malformed
        case .tooLarge: .tooLarge
        }
    }

    /// A part's bytes, counted against both byte limits and checked for a DOCTYPE before anything parses it.
    mutating func part(_ name: String) throws -> [UInt8]? {
        guard zip.contains(name) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try zip.read(name, limit: min(limits.maxPartBytes, limits.maxTotalBytes - total))
        } catch let failure as ZipArchive.Failure {
            throw Self.map(failure)
        }
        total += bytes.count
        // UTF-16 would slip past the byte-wise DOCTYPE check below; Excel writes only UTF-8.
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0x3C, 0]) {
            throw XLSX.ReadError.malformed
        }
        try bytes.withUnsafeBufferPointer { buffer in
            let doctype = Array("doctype".utf8)
            for index in 0..<max(buffer.count - 8, 0) where buffer[index] == 0x3C && buffer[index + 1] == 0x21 {
                if (0..<7).allSatisfy({ buffer[index + 2 + $0] | 0x20 == doctype[$0] }) {
                    throw XLSX.ReadError.doctype
                }
            }
        }
        return bytes
    }

    mutating func sheets() throws -> [SheetTable] {
        guard let workbook = try part("xl/workbook.xml") else { throw XLSX.ReadError.notWorkbook }
        // Not needed to find the sheets, but read so that a DOCTYPE in the package's own parts is refused too.
        _ = try part("[Content_Types].xml")
        _ = try part("_rels/.rels")
        var targets: [String: String] = [:]
        if let rels = try part("xl/_rels/workbook.xml.rels") {
            try XML.parse(rels) { xml in
                while let token = try xml.next() {
                    guard case .open(let name, let attributes, _) = token, xml.is(name, "Relationship"),
                        let id = try xml.attribute("Id", attributes),
                        let target = try xml.attribute("Target", attributes)
                    else { continue }
                    // Chart sheets and macro sheets have no cells: they are listed with no part to read.
                    let type = try xml.attribute("Type", attributes) ?? ""
                    targets[id] = type.hasSuffix("/worksheet") ? Self.resolve(target) : ""
                }
            }
        }
        var listed: [(name: String, path: String)] = []
        try XML.parse(workbook) { xml in
            while let token = try xml.next() {
                guard case .open(let name, let attributes, _) = token else { continue }
                if xml.is(name, "workbookPr"), let value = try xml.attribute("date1904", attributes) {
                    date1904 = value == "1" || value == "true"
                }
                guard xml.is(name, "sheet") else { continue }
                let fallback = "xl/worksheets/sheet\(listed.count + 1).xml"
                let path = try xml.attribute("id", attributes).flatMap { targets[$0] } ?? fallback
                if path.isEmpty { continue }
                listed.append((try xml.attribute("name", attributes) ?? "Sheet\(listed.count + 1)", path))
            }
        }
        if let strings = try part("xl/sharedStrings.xml") { try readSharedStrings(strings) }
        if let styles = try part("xl/styles.xml") { try readStyles(styles) }
        var cells = 0
        return try listed.map { sheet in
            guard let bytes = try part(sheet.path) else { throw XLSX.ReadError.malformed }
            return SheetTable(name: sheet.name, rows: try readSheet(bytes, cells: &cells))
        }
    }

    /// A relationship target is relative to xl/ unless it starts with a slash; ".." climbs.
    static func resolve(_ target: String) -> String {
        var parts: [Substring] = target.hasPrefix("/") ? [] : ["xl"]
        for piece in target.split(separator: "/") where piece != "." {
            if piece == ".." { _ = parts.popLast() } else { parts.append(piece) }
        }
        return parts.joined(separator: "/")
    }

    mutating func readSharedStrings(_ bytes: [UInt8]) throws {
        try XML.parse(bytes) { xml in
            var text: [UInt8] = []
            var phonetic = false
            while let token = try xml.next() {
                switch token {
                case .open(let name, _, let empty):
                    if xml.is(name, "si") {
                        text.removeAll(keepingCapacity: true)
                        if empty { shared.append("") }
                    } else if xml.is(name, "rPh") {
                        phonetic = !empty
                    } else if xml.is(name, "t") && !empty && !phonetic {
                        try xml.text(until: "t", into: &text)
                    }
                case .close(let name):
                    if xml.is(name, "rPh") { phonetic = false }
                    if xml.is(name, "si") { shared.append(String(decoding: text, as: UTF8.self)) }
                case .text: break
                }
                guard shared.count <= limits.maxSharedStrings else { throw XLSX.ReadError.tooManySharedStrings }
            }
        }
    }

    mutating func readStyles(_ bytes: [UInt8]) throws {
        var custom: [Int: Bool] = [:]
        var inCellXfs = false
        try XML.parse(bytes) { xml in
            while let token = try xml.next() {
                guard case .open(let name, let attributes, let empty) = token else {
                    if case .close(let name) = token, xml.is(name, "cellXfs") { inCellXfs = false }
                    continue
                }
                if xml.is(name, "numFmt"), let id = try xml.attribute("numFmtId", attributes).flatMap({ Int($0) }) {
                    custom[id] = Self.isDateFormat(try xml.attribute("formatCode", attributes) ?? "")
                } else if xml.is(name, "cellXfs") {
                    inCellXfs = !empty
                } else if inCellXfs && xml.is(name, "xf") {
                    let id = try xml.range("numFmtId", attributes).map(xml.integer) ?? 0
                    dateStyles.append(custom[id] ?? ((14...22).contains(id) || (45...47).contains(id)))
                }
            }
        }
    }

    /// A format shows a date when it has d, m or y outside quotes, brackets and escapes, unless its only
    /// letters beside m are hours or seconds (then m is minutes), or an elapsed-time bracket like [h].
    static func isDateFormat(_ code: String) -> Bool {
        var letters = Set<Character>()
        var quoted = false
        var bracket: String?
        var skipNext = false
        for character in code.lowercased() {
            if skipNext {
                skipNext = false
            } else if quoted {
                quoted = character != "\""
            } else if var inside = bracket {
                if character == "]" {
                    if !inside.isEmpty && inside.allSatisfy({ "hms".contains($0) }) { letters.insert("h") }
                    bracket = nil
                } else {
                    inside.append(character)
                    bracket = inside
                }
            } else {
                switch character {
                case "\"": quoted = true
                case "[": bracket = ""
                case "\\", "_", "*": skipNext = true
                default: letters.insert(character)
                }
            }
        }
        if letters.contains("d") || letters.contains("y") { return true }
        return letters.contains("m") && !letters.contains("h") && !letters.contains("s")
    }

    private enum Kind {
        case number, shared, boolean, text
    }

    func readSheet(_ bytes: [UInt8], cells: inout Int) throws -> [SheetTable.Row] {
        var rows: [SheetTable.Row] = []
        var row: [String] = []
        var rowNumber = 0
        var column = -1
        var style = 0
        var kind = Kind.number
        var value: [UInt8] = []
        var hasValue = false
        var inCell = false
        try XML.parse(bytes) { xml in
            while let token = try xml.next() {
                switch token {
                case .open(let name, let attributes, let empty):
                    if xml.is(name, "row") {
                        rowNumber = try xml.range("r", attributes).map(xml.integer) ?? rowNumber + 1
                        guard rowNumber > 0, rowNumber <= 1_048_576 else { throw XLSX.ReadError.malformed }
                        row.removeAll()
                        column = -1
                        inCell = false
                    } else if xml.is(name, "c") {
                        column = xml.range("r", attributes).map(xml.column) ?? column + 1
                        guard column >= 0, column < 16_384 else { throw XLSX.ReadError.malformed }
                        kind = .number
                        if let type = xml.range("t", attributes) {
                            kind = xml.is(type, "s") ? .shared : xml.is(type, "b") ? .boolean : .text
                            if xml.is(type, "n") { kind = .number }
                        }
                        style = try xml.range("s", attributes).map(xml.integer) ?? 0
                        hasValue = false
                        inCell = !empty
                    } else if inCell && (xml.is(name, "v") || xml.is(name, "t")) && !empty {
                        // An inline string may be split into rich-text runs, each its own <t>.
                        if !hasValue || xml.is(name, "v") { value.removeAll(keepingCapacity: true) }
                        try xml.text(until: xml.is(name, "v") ? "v" : "t", into: &value)
                        hasValue = true
                    } else if inCell && xml.is(name, "rPh") && !empty {
                        var phonetic: [UInt8] = []
                        try xml.text(until: "rPh", into: &phonetic)
                    }
                case .close(let name):
                    if xml.is(name, "c") && inCell {
                        inCell = false
                        guard hasValue else { continue }
                        let cell = try self.cell(kind, value, style: style)
                        guard !cell.isEmpty, column >= 0 else { continue }
                        guard cells + max(row.count, column + 1) <= limits.maxCells else {
                            throw XLSX.ReadError.tooManyCells
                        }
                        while row.count <= column { row.append("") }
                        row[column] = cell
                    } else if xml.is(name, "row") {
                        if row.contains(where: { !Self.isBlank($0) }) {
                            cells += row.count
                            rows.append(SheetTable.Row(number: rowNumber, cells: row))
                        }
                        row.removeAll()
                    }
                case .text: break
                }
            }
        }
        return rows
    }

    /// Blank as `SheetTable` judges it, answered from the bytes when a visible ASCII character settles it.
    static func isBlank(_ text: String) -> Bool {
        !text.utf8.contains(where: { $0 > 0x20 && $0 < 0x7F })
            && text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    private func cell(_ kind: Kind, _ value: [UInt8], style: Int) throws -> String {
        switch kind {
        case .shared:
            var index = 0
            for byte in value {
                guard (0x30...0x39).contains(byte), index < shared.count else { throw XLSX.ReadError.malformed }
                index = index * 10 + Int(byte - 0x30)
            }
            guard !value.isEmpty, index < shared.count else { throw XLSX.ReadError.malformed }
            return shared[index]
        case .boolean: return value == [0x31] ? "TRUE" : "FALSE"
        case .text: return String(decoding: value, as: UTF8.self)
        case .number:
            let text = String(decoding: value, as: UTF8.self)
            let isDate = style >= 0 && style < dateStyles.count && dateStyles[style]
            // Most numbers in a sheet are small whole numbers, already written as they should be shown.
            if !isDate && value.count < 16 && value.first != 0x30 && value.allSatisfy({ (0x30...0x39).contains($0) }) {
                return text
            }
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite else { return text }
            if isDate, let date = Self.date(number, date1904) { return date }
            if number == number.rounded() {
                return abs(number) < 9e18 ? String(Int64(number)) : String(format: "%.0f", number)
            }
            return "\(number)"
        }
    }

    /// Excel's serial day as YYYY-MM-DD. The 1900 system counts 1900-02-29, a day that never was (Lotus's
    /// leap-year bug, kept for compatibility), so serials from 61 on are a day behind a true count.
    static func date(_ serial: Double, _ date1904: Bool) -> String? {
        let whole = Int(serial.rounded(.down))
        guard whole >= (date1904 ? 0 : 1), whole <= 2_958_465 else { return nil }
        if !date1904 && whole == 60 { return "1900-02-29" }
        // Days from 1970-01-01 to the system's day zero: 1904-01-01, or 1899-12-31 (1899-12-30 after the bug).
        let days = whole + (date1904 ? -24_107 : (whole < 60 ? -25_568 : -25_569))
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02d", year, month, day)
    }
}

/// A small XML tokenizer over UTF-8 bytes: tags with their attribute bytes, and text. Names are matched by
/// local name, so `x:row` and `row` are the same. It reads what well-formed workbook parts contain and
/// throws on anything else; entities beyond the five predefined ones and character references are refused.
/// It reads through an unsafe buffer because checked array access is many times slower in debug builds;
/// every index is checked against `bytes.count` by hand, and the tests corrupt inputs byte by byte.
private struct XML {
    enum Token {
        case open(name: Range<Int>, attributes: Range<Int>, empty: Bool)
        case close(name: Range<Int>)
        case text(Range<Int>)
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    static func parse<T>(_ bytes: [UInt8], _ body: (inout XML) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            var xml = XML(bytes: buffer)
            return try body(&xml)
        }
    }

    mutating func next() throws -> Token? {
        // Declarations and comments are skipped in a loop, not by recursion, however many there are.
        while position < bytes.count {
            if bytes[position] != 0x3C {
                let start = position
                while position < bytes.count && bytes[position] != 0x3C { position += 1 }
                return .text(start..<position)
            }
            guard position + 1 < bytes.count else { throw XLSX.ReadError.malformed }
            switch bytes[position + 1] {
            case 0x3F:  // <? ... ?>
                try skip(past: "?>")
            case 0x21 where matches(at: position, "<!--"):
                try skip(past: "-->")
            case 0x21:
                guard matches(at: position, "<![CDATA[") else { throw XLSX.ReadError.malformed }
                let start = position + 9
                try skip(past: "]]>")
                return .text(start..<(position - 3))
            case 0x2F:  // </name>
                let name = localName(from: position + 2)
                while position < bytes.count && bytes[position] != 0x3E { position += 1 }
                guard position < bytes.count else { throw XLSX.ReadError.malformed }
                position += 1
                return .close(name: name)
            default:
                let name = localName(from: position + 1)
                var quote: UInt8 = 0
                position = name.upperBound
                let attributesStart = position
                // A ">" may stand inside a quoted attribute value, as in a number format's "[>=100]".
                while position < bytes.count {
                    let byte = bytes[position]
                    if quote != 0 {
                        if byte == quote { quote = 0 }
                    } else if byte == 0x22 || byte == 0x27 {
                        quote = byte
                    } else if byte == 0x3E {
                        break
                    }
                    position += 1
                }
                guard position < bytes.count, !name.isEmpty else { throw XLSX.ReadError.malformed }
                let empty = bytes[position - 1] == 0x2F
                position += 1
                return .open(name: name, attributes: attributesStart..<(position - (empty ? 2 : 1)), empty: empty)
            }
        }
        return nil
    }

    /// The name starting at `start` without its namespace prefix; it ends at whitespace, "/" or ">".
    private func localName(from start: Int) -> Range<Int> {
        var local = start
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == 0x3E || byte == 0x2F || byte <= 0x20 { break }
            if byte == 0x3A { local = end + 1 }
            end += 1
        }
        return local..<end
    }

    func `is`(_ name: Range<Int>, _ expected: StaticString) -> Bool {
        let length = expected.utf8CodeUnitCount
        guard name.upperBound - name.lowerBound == length, name.upperBound <= bytes.count else { return false }
        var offset = 0
        while offset < length {
            if bytes[name.lowerBound + offset] != expected.utf8Start[offset] { return false }
            offset += 1
        }
        return true
    }

    private func matches(at start: Int, _ text: StaticString) -> Bool {
        `is`(start..<(start + text.utf8CodeUnitCount), text)
    }

    private mutating func skip(past end: StaticString) throws {
        while position < bytes.count {
            if matches(at: position, end) {
                position += end.utf8CodeUnitCount
                return
            }
            position += 1
        }
        throw XLSX.ReadError.malformed
    }

    /// The raw bytes of an attribute's value (entities not decoded), found by the attribute's local name.
    func range(_ wanted: StaticString, _ attributes: Range<Int>) -> Range<Int>? {
        var index = attributes.lowerBound
        while index < attributes.upperBound {
            if bytes[index] <= 0x20 {
                index += 1
                continue
            }
            var local = index
            var nameEnd = index
            while nameEnd < attributes.upperBound && bytes[nameEnd] != 0x3D && bytes[nameEnd] > 0x20 {
                if bytes[nameEnd] == 0x3A { local = nameEnd + 1 }
                nameEnd += 1
            }
            var quote = nameEnd
            while quote < attributes.upperBound && bytes[quote] != 0x22 && bytes[quote] != 0x27 { quote += 1 }
            var close = quote + 1
            while close < attributes.upperBound && bytes[close] != bytes[quote] { close += 1 }
            guard close < attributes.upperBound else { return nil }
            if `is`(local..<nameEnd, wanted) { return (quote + 1)..<close }
            index = close + 1
        }
        return nil
    }

    func attribute(_ wanted: StaticString, _ attributes: Range<Int>) throws -> String? {
        guard let value = range(wanted, attributes) else { return nil }
        var decoded: [UInt8] = []
        try decode(value, into: &decoded)
        return String(decoding: decoded, as: UTF8.self)
    }

    /// A whole number written in decimal digits, as row numbers and indexes are.
    func integer(_ range: Range<Int>) throws -> Int {
        var value = 0
        for index in range {
            guard (0x30...0x39).contains(bytes[index]), value < 1 << 40 else { throw XLSX.ReadError.malformed }
            value = value * 10 + Int(bytes[index] - 0x30)
        }
        guard !range.isEmpty else { throw XLSX.ReadError.malformed }
        return value
    }

    /// The zero-based column of a cell reference such as "AB12" (27), from its letters.
    func column(_ range: Range<Int>) -> Int {
        var index = 0
        for position in range {
            let letter = Int(bytes[position] | 0x20)
            guard (0x61...0x7A).contains(letter), index <= 16_384 else { break }
            index = index * 26 + letter - 0x60
        }
        return index - 1
    }

    /// Appends the text up to the matching close tag; tags nested inside are skipped.
    mutating func text(until end: StaticString, into text: inout [UInt8]) throws {
        var depth = 0
        while let token = try next() {
            switch token {
            case .text(let range): try decode(range, into: &text)
            case .open(_, _, let empty): if !empty { depth += 1 }
            case .close(let name):
                if depth == 0 {
                    guard `is`(name, end) else { throw XLSX.ReadError.malformed }
                    return
                }
                depth -= 1
            }
        }
        throw XLSX.ReadError.malformed
    }

    /// Character data with the predefined entities and character references decoded, and line ends
    /// normalised to LF as XML requires.
    func decode(_ range: Range<Int>, into out: inout [UInt8]) throws {
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == 0x0D {
                out.append(0x0A)
                index += index + 1 < range.upperBound && bytes[index + 1] == 0x0A ? 2 : 1
                continue
            }
            guard byte == 0x26 else {
                out.append(byte)
                index += 1
                continue
            }
            var semicolon = index + 1
            while semicolon < range.upperBound && semicolon - index < 12 && bytes[semicolon] != 0x3B { semicolon += 1 }
            guard semicolon < range.upperBound, bytes[semicolon] == 0x3B else { throw XLSX.ReadError.malformed }
            let name = (index + 1)..<semicolon
            let predefined: [(StaticString, UInt8)] = [
                ("lt", 0x3C), ("gt", 0x3E), ("amp", 0x26), ("quot", 0x22), ("apos", 0x27),
            ]
            if let entity = predefined.first(where: { `is`(name, $0.0) }) {
                out.append(entity.1)
            } else {
                let reference = String(decoding: UnsafeBufferPointer(rebasing: bytes[name]), as: UTF8.self)
                let scalar =
                    reference.hasPrefix("#x")
                    ? UInt32(reference.dropFirst(2), radix: 16) : UInt32(reference.dropFirst(), radix: 10)
                guard reference.hasPrefix("#"), let value = scalar.flatMap(Unicode.Scalar.init) else {
                    throw XLSX.ReadError.malformed
                }
                out.append(contentsOf: String(Character(value)).utf8)
            }
            index = semicolon + 1
        }
    }
}
