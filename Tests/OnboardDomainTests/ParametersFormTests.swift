import Testing

@testable import OnboardDomain

@Suite("Eligibility parameters as a form")
struct ParametersFormTests {
    let seed = EligibilityParameters.seed

    func read(_ change: (inout [String: String]) -> Void) -> Result<EligibilityParameters, ValidationErrors> {
        var form = ParametersForm.values(of: seed)
        change(&form)
        return ParametersForm.read(form, version: "2018-01", current: seed)
    }

    func problems(_ change: (inout [String: String]) -> Void) -> [String: String] {
        guard case .failure(let errors) = read(change) else { return [:] }
        return errors.byField
    }

    @Test("The version in use, sent back unchanged, reads as itself under the new name")
    func roundTrip() throws {
        var expected = seed
        expected.version = "2018-01"
        #expect(try read { _ in }.get() == expected)
    }

    @Test("Dates are read from day, month and year; an empty optional date is none")
    func dates() throws {
        let read = try read {
            $0["programme-numsas-closesOn-day"] = " 1 "
            $0["programme-numsas-closesOn-month"] = "3"
            $0["programme-numsas-closesOn-year"] = "2021"
            $0["programme-qps-evidenceCutoff-day"] = ""
            $0["programme-qps-evidenceCutoff-month"] = ""
            $0["programme-qps-evidenceCutoff-year"] = ""
        }.get()
        #expect(read.programmes[0].closesOn == "2021-03-01")
        #expect(read.programmes[1].evidenceCutoff == nil)
    }

    @Test("A date that does not exist, a missing opening date and a close before the opening are each named")
    func badDates() {
        #expect(
            problems {
                $0["programme-qps-opensOn-day"] = "30"
                $0["programme-qps-opensOn-month"] = "2"
            }[
                "programme-qps-opensOn"] == "Opens on for Quality Payments Scheme must be a real date, like 1 12 2016")
        #expect(
            problems {
                $0["programme-numsas-opensOn-day"] = ""
                $0["programme-numsas-opensOn-month"] = ""
                $0["programme-numsas-opensOn-year"] = ""
            }["programme-numsas-opensOn"]
                == "Enter the date NHS Urgent Medicines Supply Advanced Service (NUMSAS) opens")
        #expect(
            problems {
                $0["programme-numsas-closesOn-day"] = "1"
                $0["programme-numsas-closesOn-month"] = "1"
                $0["programme-numsas-closesOn-year"] = "2016"
            }["programme-numsas-closesOn"]?.contains("must close on or after the day it opens") == true)
    }

    @Test("Contacts cannot be emptied")
    func contacts() {
        #expect(problems { $0["nationalHelpdesk"] = "  " }["nationalHelpdesk"] == "Enter the national helpdesk")
        #expect(problems { $0["aupVersion"] = "" }["aupVersion"] == "Enter the version of the Acceptable Use Policy")
    }

    @Test("A programme is added when its fields are filled in, with a code of its own")
    func addProgramme() throws {
        let added = try read {
            $0["new-code"] = "PQS"
            $0["new-name"] = "Pharmacy Quality Scheme"
            $0["new-opensOn-day"] = "1"
            $0["new-opensOn-month"] = "4"
            $0["new-opensOn-year"] = "2019"
        }.get()
        #expect(
            added.programmes.last
                == ProgrammeParameters(code: "pqs", name: "Pharmacy Quality Scheme", opensOn: "2019-04-01"))
        #expect(
            problems {
                $0["new-code"] = "qps"
                $0["new-name"] = "Again"
            }["new-code"] == "There is already a programme with the code qps")
        #expect(problems { $0["new-name"] = "No code" }["new-code"] != nil)
    }
}
