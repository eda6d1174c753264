import Testing

@testable import OnboardDomain

@Suite("CSV reader")
struct CSVTests {
    @Test("Quoted fields may hold commas, doubled quotes and line breaks")
    func quotes() {
        let text = "a,\"b,c\",\"say \"\"hi\"\"\"\n\"two\nlines\",x,\"\"\n"
        #expect(CSV.parse(text) == [["a", "b,c", "say \"hi\""], ["two\nlines", "x", ""]])
    }

    @Test("CRLF, LF and CR all end a row")
    func lineEndings() {
        #expect(CSV.parse("a,b\r\nc,d\re,f\ng,h") == [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]])
    }

    @Test("A byte-order mark from a spreadsheet export is dropped")
    func byteOrderMark() {
        #expect(CSV.parse("\u{FEFF}ods_code,name\r\nRR8,Leeds\r\n") == [["ods_code", "name"], ["RR8", "Leeds"]])
    }

    @Test("Blank lines are skipped and empty trailing fields kept")
    func blanks() {
        #expect(CSV.parse("a,\n\n\nb,c\n") == [["a", ""], ["b", "c"]])
        #expect(CSV.parse("").isEmpty)
    }
}

@Suite("Organisation CSV")
struct OrganisationCSVTests {
    let regions: Set<String> = ["north_east_and_yorkshire", "north_west"]
    let header = "ods_code,name,type,postcode,region,parent,status"

    @Test("Good rows become clean drafts with their line numbers")
    func goodRows() throws {
        let text = """
            \(header)
            rr8,Leeds Teaching Hospitals NHS Trust,nhs_trust,ls97tf,north_east_and_yorkshire,,live
            RR801,St James's,TRUST_SITE,LS9 7TF,north_east_and_yorkshire,RR8,
            """
        let rows = try OrganisationCSV.read(text, knownRegions: regions).get()
        #expect(rows.map(\.line) == [2, 3])
        #expect(rows[0].draft.odsCode == "RR8")
        #expect(rows[0].draft.postcode == "LS9 7TF")
        #expect(rows[0].draft.status == .live)
        #expect(rows[1].draft.type == .trustSite)
        #expect(rows[1].draft.parentODS == "RR8")
        #expect(rows[1].draft.status == nil)
    }

    @Test("Problems name their line, and all of them are reported")
    func lineNumberedErrors() {
        let text = """
            \(header)
            RR8,Leeds,nhs_trust,,,,
            R0A,Manchester,hospital,,,,
            ,No code,nhs_trust,,,,
            QWO,West Yorkshire,commissioner,,,,sleeping
            """
        guard case .failure(let errors) = OrganisationCSV.read(text, knownRegions: regions) else {
            Issue.record("a file with bad rows was accepted")
            return
        }
        let fields = errors.errors.map(\.field)
        #expect(fields.contains("line 3 type"))
        #expect(fields.contains("line 4 ods_code"))
        #expect(fields.contains("line 5 status"))
        #expect(!fields.contains { $0.hasPrefix("line 2") })
        #expect(errors.errors.allSatisfy { $0.message.hasPrefix("Line ") })
        #expect(errors.message(for: "line 3 type")?.contains("hospital") == true)
    }

    @Test("An ODS code twice in one file is refused, naming the first line")
    func duplicateODS() {
        let text = "\(header)\nRR8,Leeds,nhs_trust,,,,\nR0A,Manchester,nhs_trust,,,,\n rr8 ,Leeds again,nhs_trust,,,,\n"
        guard case .failure(let errors) = OrganisationCSV.read(text, knownRegions: regions) else {
            Issue.record("a duplicate ODS code was accepted")
            return
        }
        #expect(errors.errors.count == 1)
        #expect(errors.message(for: "line 4 ods_code") == "Line 4: ODS code RR8 is already on line 2")
    }

    @Test("A file without the required columns, or empty, is refused as a whole")
    func badHeader() {
        guard case .failure(let missing) = OrganisationCSV.read("ods_code,postcode\nRR8,LS1 1AA", knownRegions: regions)
        else {
            Issue.record("a header without name and type was accepted")
            return
        }
        #expect(missing.message(for: "file")?.contains("name, type") == true)
        guard case .failure(let empty) = OrganisationCSV.read("", knownRegions: regions) else {
            Issue.record("an empty file was accepted")
            return
        }
        #expect(empty.message(for: "file") != nil)
    }

    @Test("Rows are ordered so parents and administrators come first")
    func dependencyOrder() throws {
        let text = """
            ods_code,name,type,parent,administered_by
            RR801,Site,trust_site,RR8,
            B86001,Practice,gp_practice,,QWO
            RR8,Trust,nhs_trust,X26,
            QWO,Commissioner,commissioner,,
            X26,National,national_body,,
            """
        let rows = try OrganisationCSV.read(text, knownRegions: regions).get()
        let ordered = OrganisationCSV.dependencyOrdered(rows).compactMap(\.draft.odsCode)
        #expect(Set(ordered) == ["RR801", "B86001", "RR8", "QWO", "X26"])
        func position(_ ods: String) -> Int { ordered.firstIndex(of: ods)! }
        #expect(position("X26") < position("RR8"))
        #expect(position("RR8") < position("RR801"))
        #expect(position("QWO") < position("B86001"))
    }

    @Test("Optional country column sets the country")
    func countryColumn() throws {
        let text = "ods_code,name,type,country\nS08,NHS Lothian,nhs_trust,Scotland\n"
        let rows = try OrganisationCSV.read(text, knownRegions: regions).get()
        #expect(rows.first?.draft.country == .scotland)
    }
}
