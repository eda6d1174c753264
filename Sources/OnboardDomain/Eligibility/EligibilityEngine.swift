import Foundation

/// A rule of the eligibility engine. The raw values are stable ids: decisions record them, so they are
/// never renamed or reused.
public enum EligibilityRule: String, CaseIterable, Sendable, Codable {
    case outsideEngland = "EL-01-outside-england"
    case staffOfJoinedOrganisation = "EL-02-staff-of-joined-organisation"
    case staffOrganisationNotFound = "EL-03-staff-organisation-not-found"
    case hospitalPharmacist = "EL-04-hospital-pharmacist"
    case juniorDoctor = "EL-05-junior-doctor"
    case organisationAlreadyJoined = "EL-06-organisation-already-joined"
    case nhsOrganisationMigrates = "EL-07-nhs-organisation-migrates"
    case nonNHSDeliversFundedCare = "EL-08-non-nhs-delivers-funded-care"
    case nonNHSNoFundedCare = "EL-09-non-nhs-no-funded-care"
    case odIGToolkitIncomplete = "EL-10-od-ig-toolkit-incomplete"
    case odAdHocExchange = "EL-11-od-ad-hoc-exchange"
    case odOtherPublicEmail = "EL-12-od-other-public-email"
    case odApplyIndividually = "EL-13-od-apply-individually"
    case pharmacyProgrammeNotOpen = "EL-14-pharmacy-programme-not-open"
    case pharmacyNUMSAS = "EL-15-pharmacy-numsas"
    case pharmacyQPSEvidence = "EL-16-pharmacy-qps-evidence"
    case pharmacyQPSWaitForPortal = "EL-17-pharmacy-qps-wait-for-portal"
    case pharmacyMultipleSuperUser = "EL-18-pharmacy-multiple-super-user"
    case locumViaPharmacy = "EL-19-locum-via-pharmacy"
    case careHomeLAApproval = "EL-20-care-home-la-approval"
    case gpPracticeViaCommissioner = "EL-21-gp-practice-via-commissioner"
}

public enum EligibilityDecision: String, CaseIterable, Sendable, Codable {
    case eligible
    case notEligible = "not_eligible"
    case redirect
    case needsReview = "needs_review"

    /// When several rules fire, the most restrictive answer wins.
    var severity: Int {
        switch self {
        case .eligible: 0
        case .redirect: 1
        case .needsReview: 2
        case .notEligible: 3
        }
    }
}

public struct EligibilityResult: Sendable, Equatable {
    public let decision: EligibilityDecision
    public let rules: [EligibilityRule]
    public let reasons: [String]
    public let nextStep: String
    public let parameterVersion: String
}

/// The facts a rule needed but did not get, by API field name.
public struct MissingFacts: Error, Equatable, Sendable {
    public let fields: [String]
}

/// Decides who may join and how, and says why in plain words. Pure: the same facts and parameters always
/// give the same answer.
public struct EligibilityEngine: Sendable {
    public let parameters: EligibilityParameters

    public init(parameters: EligibilityParameters) {
        self.parameters = parameters
    }

    private struct Finding {
        let rule: EligibilityRule
        let decision: EligibilityDecision
        let reason: String
        let nextStep: String
    }

    public func decide(_ facts: ApplicantFacts) -> Result<EligibilityResult, MissingFacts> {
        let findings: [Finding]
        switch evaluate(facts) {
        case .success(let found): findings = found
        case .failure(let missing): return .failure(missing)
        }
        let decisive = findings.max { $0.decision.severity < $1.decision.severity }!
        return .success(
            EligibilityResult(
                decision: decisive.decision, rules: findings.map(\.rule), reasons: findings.map(\.reason),
                nextStep: decisive.nextStep, parameterVersion: parameters.version))
    }

    private func evaluate(_ facts: ApplicantFacts) -> Result<[Finding], MissingFacts> {
        let p = parameters
        if facts.country != .england {
            let contact =
                switch facts.country {
                case .scotland: "contact \(p.scottishContact)"
                case .wales: "contact \(p.walesContact)"
                default: "contact \(p.northernIrelandContact)"
                }
            return .success([
                Finding(
                    rule: .outsideEngland, decision: .redirect,
                    reason:
                        "This service is for people and organisations in England. \(facts.country.displayName) has its own arrangements.",
                    nextStep: "To join from \(facts.country.displayName), \(contact).")
            ])
        }
        switch facts.applicantType {
        case .staffOfJoinedOrganisation:
            return .success([staffFinding(facts)])
        case .gpPractice:
            return .success([gpPracticeFinding(facts)])
        case .hospitalPharmacist:
            return .success([
                Finding(
                    rule: .hospitalPharmacist, decision: .redirect,
                    reason:
                        "Pharmacists based in NHS trusts get their accounts from their trust, not by applying here.",
                    nextStep: "Contact your trust's Local Administrator through your IT department. "
                        + "If they cannot help, contact the national helpdesk: \(p.nationalHelpdesk).")
            ])
        case .juniorDoctor:
            return .success([
                Finding(
                    rule: .juniorDoctor, decision: .redirect,
                    reason:
                        "Junior doctors get their accounts from the organisation they work for, not by applying here.",
                    nextStep: "Speak to the IT department of the organisation of your first rotation. "
                        + "If you have any issues, contact the national helpdesk: \(p.nationalHelpdesk).")
            ])
        case .nhsOrganisation:
            if let joined = alreadyJoined(facts) { return .success([joined]) }
            return .success([
                Finding(
                    rule: .nhsOrganisationMigrates, decision: .eligible,
                    reason: "NHS organisations can join by moving their email to the service.",
                    nextStep: "Choose a migration option (self-service, partial managed or managed) and apply. "
                        + "An implementation support manager will help you plan.")
            ])
        case .nonNHSOrganisation:
            if let joined = alreadyJoined(facts) { return .success([joined]) }
            guard let funded = facts.deliversNHSFundedCare else {
                return .failure(MissingFacts(fields: ["deliversNhsFundedCare"]))
            }
            if funded {
                return .success([
                    Finding(
                        rule: .nonNHSDeliversFundedCare, decision: .needsReview,
                        reason: "Non-NHS organisations that deliver NHS-funded care can join under the access policy.",
                        nextStep: "Complete the access form and sign the acceptable use policy (\(p.aupVersion)). "
                            + "The national team reviews your application.")
                ])
            }
            return .success([
                Finding(
                    rule: .nonNHSNoFundedCare, decision: .notEligible,
                    reason:
                        "Under the access policy, only non-NHS organisations that deliver NHS-funded care can join.",
                    nextStep: "If you think your organisation qualifies, or have questions about eligibility, "
                        + "contact \(p.eligibilityContact).")
            ])
        case .optometrist, .dentist:
            return optometristOrDentist(facts)
        case .communityPharmacy:
            return communityPharmacy(facts)
        case .pharmacyMultiple:
            return .success([
                Finding(
                    rule: .pharmacyMultipleSuperUser, decision: .redirect,
                    reason: "Pharmacy multiples register all their stores together, not store by store.",
                    nextStep: "Confirm your organisation's intent to provide the service. The national team then "
                        + "invites your lead contact as super user, who sends one registration spreadsheet for every "
                        + "store and user, with the data sharing agreement.")
            ])
        case .locumPharmacist:
            return .success([
                Finding(
                    rule: .locumViaPharmacy, decision: .redirect,
                    reason: "Locum pharmacists' accounts are requested by a participating pharmacy.",
                    nextStep: "Ask a pharmacy you work at to request your account; if you already have one, it is "
                        + "attached, not duplicated. Otherwise wait for the national process, and meanwhile use the "
                        + "encryption tool to send sensitive information.")
            ])
        case .careHome:
            if let joined = alreadyJoined(facts) { return .success([joined]) }
            return .success([
                Finding(
                    rule: .careHomeLAApproval, decision: .needsReview,
                    reason: "Care homes can ask to join. A Local Administrator who looks after your area decides.",
                    nextStep:
                        "Send a request to join. The Local Administrator approves or refuses it and tells you why.")
            ])
        }
    }

    private func staffFinding(_ facts: ApplicantFacts) -> Finding {
        let helpdesk = parameters.nationalHelpdesk
        if let organisation = facts.organisation, organisation.isOnService {
            let contact = organisation.helpdeskContact.map { "Contact \($0)." } ?? "Contact your local IT helpdesk."
            return Finding(
                rule: .staffOfJoinedOrganisation, decision: .redirect,
                reason: "\(organisation.name) already uses the service, so you do not need to apply.",
                nextStep:
                    "\(contact) They can set up an account for you. If they cannot help, contact the national helpdesk: \(helpdesk)."
            )
        }
        return Finding(
            rule: .staffOrganisationNotFound, decision: .redirect,
            reason: "We could not find your organisation on the service.",
            nextStep:
                "Contact your local IT helpdesk first. If they cannot help, contact the national helpdesk: \(helpdesk)."
        )
    }

    /// GP practices do not apply: the Local Administrators of the commissioner that administers them set up
    /// their staff's accounts, so the answer names that commissioner when the practice is on record.
    private func gpPracticeFinding(_ facts: ApplicantFacts) -> Finding {
        let helpdesk = parameters.nationalHelpdesk
        if let practice = facts.organisation, let commissioner = practice.administratorName {
            let contact =
                practice.helpdeskContact.map { "Contact \($0)." } ?? "Contact \(commissioner)'s IT service desk."
            return Finding(
                rule: .gpPracticeViaCommissioner, decision: .redirect,
                reason: "The Local Administrators at \(commissioner) set up accounts for \(practice.name), "
                    + "so you do not need to apply.",
                nextStep: "\(contact) They set up an account for each member of staff. "
                    + "If they cannot help, contact the national helpdesk: \(helpdesk).")
        }
        return Finding(
            rule: .gpPracticeViaCommissioner, decision: .redirect,
            reason: "GP practices get their accounts from the Local Administrators of their integrated care board, "
                + "not by applying here.",
            nextStep: "Contact your integrated care board's IT service desk. "
                + "If you do not know who that is, contact the national helpdesk: \(helpdesk).")
    }

    private func alreadyJoined(_ facts: ApplicantFacts) -> Finding? {
        guard let organisation = facts.organisation, organisation.isOnService else { return nil }
        return Finding(
            rule: .organisationAlreadyJoined, decision: .redirect,
            reason: "\(organisation.name) already uses the service, so it does not need to apply again.",
            nextStep:
                "Staff should contact \(organisation.helpdeskContact ?? "their local IT helpdesk") for an account.")
    }

    private func optometristOrDentist(_ facts: ApplicantFacts) -> Result<[Finding], MissingFacts> {
        var missing: [String] = []
        if facts.exchangesPatientInformation == nil { missing.append("exchangesPatientInformation") }
        if facts.usesOtherPubliclyFundedEmail == nil { missing.append("usesOtherPubliclyFundedEmail") }
        // The record decides when the practice is known; the applicant's word counts only when it is not.
        // Without a known practice, no declaration means the toolkit has not been completed.
        let igComplete = facts.organisation?.igToolkitCompleted ?? (facts.igToolkitCompletedBy != nil)
        guard missing.isEmpty else { return .failure(MissingFacts(fields: missing)) }
        var findings: [Finding] = []
        let regional = "Your regional contact makes the final decision."
        if !igComplete {
            findings.append(
                Finding(
                    rule: .odIGToolkitIncomplete, decision: .notEligible,
                    reason: "The Information Governance toolkit must be completed before you are registered: once "
                        + "per practice, or once by the nominated headquarters of a group of practices.",
                    nextStep: "Complete the Information Governance toolkit (or ask your practice or its nominated "
                        + "headquarters to), then apply."))
        }
        if facts.exchangesPatientInformation == .adHoc {
            findings.append(
                Finding(
                    rule: .odAdHocExchange, decision: .needsReview,
                    reason: "You may not be eligible if you only exchange patient or sensitive information on an "
                        + "infrequent or ad hoc basis.",
                    nextStep: "You can still apply and explain your needs. \(regional)"))
        }
        if facts.usesOtherPubliclyFundedEmail == true {
            findings.append(
                Finding(
                    rule: .odOtherPublicEmail, decision: .needsReview,
                    reason: "You may not be eligible if you already use another publicly funded email service.",
                    nextStep: "You can still apply and explain your needs. \(regional)"))
        }
        if findings.isEmpty {
            findings.append(
                Finding(
                    rule: .odApplyIndividually, decision: .eligible,
                    reason: "Optometrists and dentists in England can join, applying individually, even as part of a "
                        + "national chain.",
                    nextStep: "Fill in the application. Your regional contact reviews it and passes it to a Local "
                        + "Administrator, who will text you a security code and call you with your account details."))
        }
        return .success(findings)
    }

    private func communityPharmacy(_ facts: ApplicantFacts) -> Result<[Finding], MissingFacts> {
        guard let code = facts.programme, let programme = parameters.programme(code) else {
            return .failure(MissingFacts(fields: ["programme"]))
        }
        let day = Self.londonDate(facts.submittedAt)
        if day < programme.opensOn {
            return .success([
                Finding(
                    rule: .pharmacyProgrammeNotOpen, decision: .notEligible,
                    reason: "\(programme.name) opens on \(Self.readable(programme.opensOn)).",
                    nextStep: "Apply on or after \(Self.readable(programme.opensOn)).")
            ])
        }
        let igTerms =
            " The pharmacy must meet the information governance requirements of its terms of service to get the "
            + "premises shared mailbox."
        guard let cutoff = programme.evidenceCutoff else {
            return .success([
                Finding(
                    rule: .pharmacyNUMSAS, decision: .eligible,
                    reason: "Community pharmacies can join through \(programme.name). Each pharmacy gets a shared "
                        + "mailbox for its premises, and staff get their own accounts to reach it." + igTerms,
                    nextStep: "Contact your local NHS England pharmacy team for your registration link. If you "
                        + "have already applied, you do not need to apply again.")
            ])
        }
        if day <= cutoff {
            return .success([
                Finding(
                    rule: .pharmacyQPSEvidence, decision: .eligible,
                    reason: "An application made on or before \(Self.readable(cutoff)) counts as evidence for "
                        + "\(programme.evidenceFor ?? programme.name)." + igTerms,
                    nextStep: "Apply now. Your request is recorded and you will be invited to complete your "
                        + "registration.")
            ])
        }
        return .success([
            Finding(
                rule: .pharmacyQPSWaitForPortal, decision: .redirect,
                reason: "Applications after \(Self.readable(cutoff)) do not count as evidence for "
                    + "\(programme.evidenceFor ?? programme.name).",
                nextStep: "Apply through \(programme.laterApplicantsWaitFor ?? "the next registration route").")
        ])
    }

    /// Noon in London on a YYYY-MM-DD day, or nil when it is not a real date: a day given without a time is read
    /// at noon so that it is the same date wherever it is read.
    public static func londonNoon(of day: String) -> Date? {
        let parts = day.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard day.count == 10, parts.count == 3, let year = parts[0], let month = parts[1], let date = parts[2],
            (1900...2200).contains(year)
        else { return nil }
        var london = Calendar(identifier: .gregorian)
        london.timeZone = TimeZone(identifier: "Europe/London")!
        guard let noon = london.date(from: DateComponents(year: year, month: month, day: date, hour: 12)),
            london.component(.day, from: noon) == date, london.component(.month, from: noon) == month
        else { return nil }
        return noon
    }

    /// The calendar date in London at an instant, as YYYY-MM-DD: the QPS cut-off is a London date.
    public static func londonDate(_ instant: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    public static func readable(_ isoDay: String) -> String {
        let parts = isoDay.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return isoDay }
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ]
        return "\(parts[2]) \(months[parts[1] - 1]) \(parts[0])"
    }
}
