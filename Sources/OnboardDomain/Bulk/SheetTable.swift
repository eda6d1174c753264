import Foundation

/// One sheet of an uploaded file, as read from CSV or XLSX: rows keep the number the spreadsheet shows, so
/// every problem can name it even after blank rows are skipped. The first row is the header.
public struct SheetTable: Equatable, Sendable {
    public struct Row: Equatable, Sendable {
        public var number: Int
        public var cells: [String]

        public init(number: Int, cells: [String]) {
            self.number = number
            self.cells = cells
        }
    }

    public var name: String
    public var rows: [Row]

    public init(name: String, rows: [Row]) {
        self.name = name
        self.rows = rows
    }

    /// Rows numbered from 1 in order, blank ones dropped (a CSV file's lines).
    public init(name: String, cells: [[String]]) {
        self.name = name
        self.rows = cells.enumerated().map { Row(number: $0.offset + 1, cells: $0.element) }
            .filter { !$0.cells.allSatisfy { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } }
    }
}
