import Foundation

/// A small RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF, and a BOM from spreadsheet exports.
/// Spreadsheets set to a European locale write semicolons; `delimiter(of:)` tells which.
public enum CSV {
    /// Comma or semicolon: whichever appears more often outside quotes in the first line.
    public static func delimiter(of text: String) -> Character {
        var commas = 0
        var semicolons = 0
        var inQuotes = false
        for c in text {
            if c == "\"" { inQuotes.toggle() }
            if inQuotes { continue }
            if c == "\n" || c == "\r\n" || c == "\r" { break }
            if c == "," { commas += 1 }
            if c == ";" { semicolons += 1 }
        }
        return semicolons > commas ? ";" : ","
    }

    /// A cell as it is safe to write into a CSV a spreadsheet will open: one that would start a formula
    /// (= + - @, tab, carriage return) is prefixed with an apostrophe, so it is shown, never run.
    public static func neutralised(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return cell }
        return "'" + cell
    }

    /// One row written as CSV: every cell neutralised, and quoted when it needs to be.
    public static func line(_ cells: [String]) -> String {
        cells.map { cell in
            let safe = neutralised(cell)
            return safe.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" })
                ? "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : safe
        }.joined(separator: ",")
    }

    public static func parse(_ text: String) -> [[String]] {
        parse(text, delimiter: ",")
    }

    public static func parse(_ text: String, delimiter: Character) -> [[String]] {
        records(text, delimiter: delimiter).filter { !($0.count == 1 && $0[0].isEmpty) }
    }

    /// Every record, blank ones included, so the n-th is the row a spreadsheet shows as n.
    public static func records(_ text: String, delimiter: Character) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var chars = Substring(text)
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }
        var iterator = chars.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            inQuotes = false
                            pending = next
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"": inQuotes = true
            case delimiter:
                row.append(field)
                field = ""
            case "\n", "\r\n", "\r":
                row.append(field)
                field = ""
                rows.append(row)
                row = []
            default: field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }

    /// A file as one sheet, delimiter detected, rows numbered as a spreadsheet would show them.
    public static func table(_ text: String, name: String) -> SheetTable {
        SheetTable(name: name, cells: records(text, delimiter: delimiter(of: text)))
    }
}

/// Organisation reference data as a CSV: the columns, and what each row becomes.
public enum OrganisationCSV {
    public static let columns = ["ods_code", "name", "type", "postcode", "region", "parent", "status"]

    public struct Row: Equatable, Sendable {
        public let line: Int
        public let draft: OrganisationDraft
    }

    /// Every row validated; problems name the line and column so a person can fix the file.
    public static func read(_ text: String, knownRegions: Set<String>) -> Result<[Row], ValidationErrors> {
        let table = CSV.parse(text)
        var errors = ValidationErrors()
        guard let header = table.first else {
            errors.add("file", "The file is empty. It needs a header row: \(columns.joined(separator: ","))")
            return .failure(errors)
        }
        let names = header.map { $0.tidied.lowercased() }
        let missing = ["ods_code", "name", "type"].filter { !names.contains($0) }
        if !missing.isEmpty {
            errors.add("file", "The header row is missing: \(missing.joined(separator: ", "))")
            return .failure(errors)
        }
        func index(_ name: String) -> Int? { names.firstIndex(of: name) }
        var rows: [Row] = []
        var seen: [String: Int] = [:]
        for (offset, cells) in table.dropFirst().enumerated() {
            let line = offset + 2
            func cell(_ name: String) -> String? {
                guard let i = index(name), i < cells.count else { return nil }
                let value = cells[i].tidied
                return value.isEmpty ? nil : value
            }
            var lineErrors = ValidationErrors()
            let type = cell("type").flatMap { OrganisationType(rawValue: $0.lowercased()) }
            if let raw = cell("type"), type == nil {
                lineErrors.add("line \(line) type", "Line \(line): type \"\(raw)\" is not a known organisation type")
            }
            let status = cell("status").flatMap { OnboardingStatus(rawValue: $0.lowercased()) }
            if let raw = cell("status"), status == nil {
                lineErrors.add("line \(line) status", "Line \(line): status \"\(raw)\" is not a known status")
            }
            let country = cell("country").map { Country(rawValue: $0.lowercased()) } ?? .england
            let draft = OrganisationDraft(
                odsCode: cell("ods_code"), name: cell("name") ?? "", type: type, country: country,
                region: cell("region"), postcode: cell("postcode"), parentODS: cell("parent"),
                administeredByODS: cell("administered_by"), status: status
            )
            if cell("ods_code") == nil {
                lineErrors.add("line \(line) ods_code", "Line \(line): enter the ODS code; the import is keyed by it")
            }
            switch OrganisationRules.validate(draft, knownRegions: knownRegions) {
            case .success(let clean):
                if let ods = clean.odsCode {
                    if let first = seen[ods] {
                        lineErrors.add(
                            "line \(line) ods_code", "Line \(line): ODS code \(ods) is already on line \(first)")
                    }
                    seen[ods] = line
                }
                if lineErrors.isEmpty { rows.append(Row(line: line, draft: clean)) }
            case .failure(let problems):
                for problem in problems.errors where !(problem.field == "type" && type == nil && cell("type") != nil) {
                    lineErrors.add("line \(line) \(problem.field)", "Line \(line): \(problem.message)")
                }
            }
            errors = ValidationErrors(errors.errors + lineErrors.errors)
        }
        return errors.isEmpty ? .success(rows) : .failure(errors)
    }

    /// Orders rows so that each parent or administrator in the file comes before the rows naming it.
    public static func dependencyOrdered(_ rows: [Row]) -> [Row] {
        let byODS = Dictionary(
            rows.compactMap { row in row.draft.odsCode.map { ($0, row) } }, uniquingKeysWith: { a, _ in a })
        var placed = Set<String>()
        var visiting = Set<String>()
        var ordered: [Row] = []
        func place(_ row: Row) {
            guard let ods = row.draft.odsCode, !placed.contains(ods), !visiting.contains(ods) else { return }
            visiting.insert(ods)
            for dep in [row.draft.parentODS, row.draft.administeredByODS].compactMap({ $0 }) {
                if let other = byODS[dep] { place(other) }
            }
            visiting.remove(ods)
            placed.insert(ods)
            ordered.append(row)
        }
        rows.forEach(place)
        return ordered
    }
}

/// Applications made before the service existed: one per row. `kind`, `applicant_email` and
/// `submitted_on` (YYYY-MM-DD, London) are required; every other column is a form answer named as on the
/// form (`odsCode`, `mobile`, …). The answers themselves are checked by the form's own validation.
public enum PriorApplicationCSV {
    public static let required = ["kind", "applicant_email", "submitted_on"]

    public struct Row: Equatable, Sendable {
        public let line: Int
        public let kind: ApplicationKind
        public let email: String
        public let submittedOn: String
        public let answers: [String: String]
    }

    public static func read(_ text: String) -> Result<[Row], ValidationErrors> {
        let table = CSV.parse(text)
        var errors = ValidationErrors()
        guard let header = table.first else {
            errors.add("file", "The file is empty. It needs a header row starting \(required.joined(separator: ","))")
            return .failure(errors)
        }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        let missing = required.filter { !names.contains($0) }
        if !missing.isEmpty {
            errors.add("file", "The header row is missing: \(missing.joined(separator: ", "))")
            return .failure(errors)
        }
        var rows: [Row] = []
        for (offset, cells) in table.dropFirst().enumerated() {
            let line = offset + 2
            if cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            var values: [String: String] = [:]
            for (index, name) in names.enumerated() where index < cells.count && !name.isEmpty {
                values[name] = cells[index].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let kind = ApplicationKind(rawValue: (values["kind"] ?? "").lowercased())
            if kind == nil {
                errors.add(
                    "line \(line) kind",
                    "Line \(line): kind must be one of \(ApplicationKind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let email = Identifiers.normaliseEmail(values["applicant_email"] ?? "")
            if !Identifiers.isValidEmail(email) {
                errors.add("line \(line) applicant_email", "Line \(line): applicant_email is not an email address")
            }
            let day = values["submitted_on"] ?? ""
            if !isDate(day) {
                errors.add(
                    "line \(line) submitted_on", "Line \(line): submitted_on must be a real date like 2017-01-31")
            }
            if let kind, errors.errors.allSatisfy({ !$0.field.hasPrefix("line \(line) ") }) {
                var answers = values
                for name in required { answers[name] = nil }
                rows.append(Row(line: line, kind: kind, email: email, submittedOn: day, answers: answers))
            }
        }
        if rows.isEmpty && errors.isEmpty { errors.add("file", "The file has a header row but no applications") }
        return errors.isEmpty ? .success(rows) : .failure(errors)
    }

    static func isDate(_ day: String) -> Bool { EligibilityEngine.londonNoon(of: day) != nil }
}
