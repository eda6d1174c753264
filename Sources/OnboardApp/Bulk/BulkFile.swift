import Foundation
import OnboardDomain

/// The file an uploaded sheet came in.
enum BulkFormat: String, Sendable, Codable {
    case csv, xlsx

    var contentType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
    }
}

/// A file that cannot be read at all: it gets one message, never a half-read report.
struct UnreadableSheet: Error, Sendable {
    let message: String
}

/// Turns an upload's bytes into the sheets of its kind, and sheets back into a file. Reading refuses what
/// it cannot read safely, before any row is looked at.
enum BulkFile {
    static let maxBytes = 10 * 1024 * 1024

    static func read(_ bytes: [UInt8], kind: BulkSheet.Kind) throws(UnreadableSheet) -> (BulkFormat, [SheetTable]) {
        guard !bytes.isEmpty else { throw UnreadableSheet(message: "The file is empty") }
        guard bytes.count <= maxBytes else {
            throw UnreadableSheet(message: "The file is larger than 10 MB. Split it into smaller files")
        }
        let format: BulkFormat
        var sheets: [SheetTable]
        // A password-protected workbook is an OLE file, not a zip: the reader says so in its own words.
        let ole = bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0])
        if ole, case .failure(let error as XLSX.ReadError) = Result(catching: { try XLSX.read(bytes) }),
            error == .encrypted
        {
            throw UnreadableSheet(message: error.message)
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            format = .xlsx
            do {
                sheets = try XLSX.read(bytes)
            } catch let error as XLSX.ReadError {
                throw UnreadableSheet(message: error.message)
            } catch {
                throw UnreadableSheet(
                    message: "The workbook could not be read. Save it again from Excel and upload it again")
            }
            sheets = try pick(sheets, kind: kind)
        } else {
            format = .csv
            let head = bytes.prefix(8192)
            if head.contains(0) || bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0])
                || bytes.starts(with: Array("%PDF".utf8))
            {
                throw UnreadableSheet(
                    message:
                        "The file must be an Excel workbook (.xlsx) or a CSV file. Save older .xls workbooks as .xlsx")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw UnreadableSheet(
                    message:
                        "The file is not saved as UTF-8 text. In Excel, choose Save As, then CSV UTF-8 (Comma delimited)"
                )
            }
            let table = CSV.table(text, name: kind == .accounts ? "accounts" : "sheet")
            if kind == .pharmacyMultiple {
                let (stores, users) = BulkSheet.pharmacySections(table)
                sheets = [stores, users]
            } else {
                sheets = [table]
            }
        }
        guard sheets.contains(where: { !$0.rows.isEmpty }) else { throw UnreadableSheet(message: "The file is empty") }
        let rows = sheets.reduce(0) { $0 + max(0, $1.rows.count - 1) }
        guard rows <= BulkSheet.maxRows else {
            throw UnreadableSheet(
                message: "The file has \(rows) rows. A file can have at most 50,000: split it into smaller files")
        }
        return (format, sheets)
    }

    /// The template's sheets by name, else the first ones in order.
    static func pick(_ sheets: [SheetTable], kind: BulkSheet.Kind) throws(UnreadableSheet) -> [SheetTable] {
        func named(_ name: String) -> SheetTable? { sheets.first { $0.name.lowercased() == name } }
        switch kind {
        case .pharmacyMultiple:
            if let stores = named("stores"), let users = named("users") {
                return [SheetTable(name: "stores", rows: stores.rows), SheetTable(name: "users", rows: users.rows)]
            }
            guard sheets.count >= 2 else {
                throw UnreadableSheet(
                    message: "The workbook needs two sheets, stores and users. Start from the template")
            }
            return [
                SheetTable(name: "stores", rows: sheets[0].rows), SheetTable(name: "users", rows: sheets[1].rows),
            ]
        case .accounts:
            guard let first = named("accounts") ?? sheets.first else {
                throw UnreadableSheet(message: "The file is empty")
            }
            return [SheetTable(name: "accounts", rows: first.rows)]
        }
    }

    /// Sheets as a file of `format`. A CSV holds several sheets as sections separated by a blank row, the
    /// way the pharmacy template's CSV is laid out. Every cell is neutralised against formulas.
    static func write(_ sheets: [SheetTable], as format: BulkFormat) -> [UInt8] {
        switch format {
        case .xlsx:
            return XLSX.write(sheets)
        case .csv:
            var text = "\u{FEFF}"
            for (index, sheet) in sheets.enumerated() {
                if index > 0 { text += "\r\n" }
                for row in sheet.rows { text += CSV.line(row.cells) + "\r\n" }
            }
            return Array(text.utf8)
        }
    }

    /// The blank templates, with one example row each so the expected shape is plain.
    static func template(_ kind: BulkSheet.Kind) -> [SheetTable] {
        switch kind {
        case .pharmacyMultiple:
            return [
                SheetTable(
                    name: "stores",
                    cells: [
                        BulkSheet.storeColumns, ["FA001", "Northern Pharmacy Armley", "1234567", "armley.pharmacy"],
                    ]),
                SheetTable(
                    name: "users",
                    cells: [
                        BulkSheet.userColumns + [BulkSheet.leaverColumn],
                        ["E0001", "Jane", "Doe", "07700 900123", "FA001", "pharmacist", ""],
                    ]),
            ]
        case .accounts:
            return [
                SheetTable(
                    name: "accounts",
                    cells: [
                        BulkSheet.accountColumns + [BulkSheet.leaverColumn],
                        ["P0001", "Jane", "Doe", "07700 900123", "B86001", ""],
                    ])
            ]
        }
    }

    static func filename(_ kind: BulkSheet.Kind, _ suffix: String, format: BulkFormat) -> String {
        "\(kind.rawValue.replacingOccurrences(of: "_", with: "-"))-\(suffix).\(format.rawValue)"
    }
}
