import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// "Who are you joining as?": one question per page, answers carried in the address (no account, no
/// stored state, nothing changed), ending at the engine's decision with its reasons and next step.
struct JoinController {
    struct OptionView: Encodable {
        let id: String
        let value: String
        let label: String
        let hint: String?
        let checked: Bool
    }

    struct Hidden: Encodable {
        let name: String
        let value: String
    }

    struct QuestionPage: Encodable {
        let name: String
        let title: String
        let hint: String?
        let options: [OptionView]
        let isText: Bool
        let value: String
        let hidden: [Hidden]
        let error: String?
    }

    struct AnswerRow: Encodable {
        let question: String
        let answer: String
        let changeURL: String
    }

    struct OutcomePage: Encodable {
        let heading: String
        let decision: String
        let reasons: [String]
        let nextStep: String
        let answers: [AnswerRow]
        let rules: String
        let parameterVersion: String
        let guidance: [Guidance.Item]
        let hasGuidance: Bool
        /// Where an applicant who may apply starts their application.
        let applyURL: String?
        let applyLabel: String
    }

    func start(req: Request) async throws -> Response {
        var answers: [String: String] = [:]
        let items = URLComponents(string: req.url.string)?.queryItems ?? []
        for item in items {
            if GuidedStart.Question(rawValue: item.name) != nil, let value = item.value {
                answers[item.name] = String(value.prefix(100))
            }
        }
        // A question's form names itself: sent with nothing chosen, its answer is empty (and refused with a
        // message), not missing (which would only ask it again).
        if let answering = items.first(where: { $0.name == "answering" })?.value,
            GuidedStart.Question(rawValue: answering) != nil, answers[answering] == nil
        {
            answers[answering] = ""
        }
        var known: KnownOrganisation?
        if let ods = answers[GuidedStart.Question.odsCode.rawValue], !ods.isEmpty {
            known = try await EligibilityFactsLoader.knownOrganisation(
                ods: ods, on: req.sql, fallbackHelpdesk: req.settings.nationalHelpdesk)
        }
        let asked = GuidedStart.asked(answers, knownOrganisation: known != nil)
        switch GuidedStart.next(answers, knownOrganisation: known, now: req.now) {
        case .ask(let question, let error):
            return try await ask(req, question: question, error: error, answers: answers, asked: asked)
        case .decide(let facts):
            let engine = EligibilityEngine(parameters: try await EligibilityParameterStore.current(on: req.sql))
            guard case .success(let result) = engine.decide(facts) else {
                throw Abort(.internalServerError, reason: "The guided start asked too little for the engine")
            }
            return try await outcome(req, result: result, answers: answers, asked: asked, facts: facts)
        }
    }

    /// The application's start, carrying what the guided start was told so the form does not ask it again.
    private func applyURL(_ kind: ApplicationKind, _ answers: [String: String]) -> String {
        var components = URLComponents()
        components.path = SiteURL.apply(kind.rawValue).path
        let skipped: Set<GuidedStart.Question> = [.applicantType, .country]
        let items = GuidedStart.Question.allCases.filter { !skipped.contains($0) }.compactMap { question in
            answers[question.rawValue].flatMap { $0.isEmpty ? nil : URLQueryItem(name: question.rawValue, value: $0) }
        }
        components.queryItems = items.isEmpty ? nil : items
        return components.string ?? SiteURL.apply(kind.rawValue).path
    }

    private func url(_ answers: [String: String], keeping: [GuidedStart.Question]) -> String {
        var components = URLComponents()
        components.path = SiteURL.join.path
        let items = keeping.compactMap { q in answers[q.rawValue].map { URLQueryItem(name: q.rawValue, value: $0) } }
        components.queryItems = items.isEmpty ? nil : items
        return components.string ?? SiteURL.join.path
    }

    private func ask(
        _ req: Request, question: GuidedStart.Question, error: String?, answers: [String: String],
        asked: [GuidedStart.Question]
    ) async throws -> Response {
        let before = asked.filter { $0 != question }
        let back = before.isEmpty ? SiteURL.front.path : url(answers, keeping: Array(before.dropLast()))
        let current = answers[question.rawValue] ?? ""
        let options = question.options.enumerated().map { index, option in
            OptionView(
                id: index == 0 ? question.rawValue : "\(question.rawValue)-\(index + 1)", value: option.value,
                label: option.label, hint: option.hint, checked: option.value == current)
        }
        var errors = ValidationErrors()
        if let error { errors.add(question.rawValue, error) }
        return try await req.render(
            "join/question", req.chrome(question.title, backLink: back, errors: errors),
            QuestionPage(
                name: question.rawValue, title: question.title, hint: question.hint, options: options,
                isText: question.options.isEmpty, value: current,
                hidden: before.compactMap { q in answers[q.rawValue].map { Hidden(name: q.rawValue, value: $0) } },
                error: error),
            status: error == nil ? .ok : .unprocessableEntity)
    }

    private func outcome(
        _ req: Request, result: EligibilityResult, answers: [String: String], asked: [GuidedStart.Question],
        facts: ApplicantFacts
    ) async throws -> Response {
        let heading =
            switch result.decision {
            case .eligible: "You can apply"
            case .needsReview: "You can apply, and your application will be reviewed"
            case .redirect: "You do not need to apply here"
            case .notEligible: "You cannot join this way"
            }
        let rows = asked.enumerated().map { index, question in
            let value = answers[question.rawValue] ?? ""
            let label = question.options.first { $0.value == value }?.label ?? (value.isEmpty ? "Not given" : value)
            return AnswerRow(
                question: question.title, answer: label,
                changeURL: url(answers, keeping: Array(asked.prefix(index))) + "#\(question.rawValue)")
        }
        let audiences = ["everyone"] + Self.audiences(for: facts.applicantType)
        let guidance = try await Guidance.items(for: audiences, on: req.sql)
        return try await req.render(
            "join/outcome", req.chrome(heading, backLink: url(answers, keeping: Array(asked.dropLast()))),
            OutcomePage(
                heading: heading, decision: result.decision.rawValue, reasons: result.reasons,
                nextStep: result.nextStep, answers: rows, rules: result.rules.map(\.rawValue).joined(separator: ", "),
                parameterVersion: result.parameterVersion, guidance: guidance, hasGuidance: !guidance.isEmpty,
                applyURL: (result.decision == .eligible || result.decision == .needsReview
                    || facts.applicantType == .pharmacyMultiple)
                    ? ApplicationKind(applicantType: facts.applicantType).map { applyURL($0, answers) } : nil,
                applyLabel: facts.applicantType == .pharmacyMultiple ? "Confirm your intent" : "Start your application")
        )
    }

    static func audiences(for type: ApplicantType) -> [String] {
        switch type {
        case .nhsOrganisation: ["organisations"]
        case .nonNHSOrganisation: ["non_nhs", "organisations"]
        case .communityPharmacy, .pharmacyMultiple, .locumPharmacist, .hospitalPharmacist: ["pharmacies"]
        case .careHome: ["care_homes"]
        case .optometrist, .dentist, .staffOfJoinedOrganisation, .juniorDoctor, .gpPractice: ["users"]
        }
    }
}
