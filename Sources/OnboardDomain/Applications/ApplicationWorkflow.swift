import Foundation

/// What is being applied for. Each applicant type of the guided start that applies maps to one kind.
public enum ApplicationKind: String, CaseIterable, Sendable, Codable {
    case nhsOrganisation = "nhs_organisation"
    case nonNHSOrganisation = "non_nhs_organisation"
    case optometrist
    case dentist
    case communityPharmacy = "community_pharmacy"
    case careHome = "care_home"
    /// Not an application to join as such: the chain confirms its intent, and its lead contact is invited as
    /// super user to register every store by spreadsheet.
    case pharmacyMultiple = "pharmacy_multiple"

    public init?(applicantType: ApplicantType) {
        switch applicantType {
        case .nhsOrganisation: self = .nhsOrganisation
        case .nonNHSOrganisation: self = .nonNHSOrganisation
        case .optometrist: self = .optometrist
        case .dentist: self = .dentist
        case .communityPharmacy: self = .communityPharmacy
        case .careHome: self = .careHome
        case .pharmacyMultiple: self = .pharmacyMultiple
        default: return nil
        }
    }

    public var applicantType: ApplicantType {
        switch self {
        case .nhsOrganisation: .nhsOrganisation
        case .nonNHSOrganisation: .nonNHSOrganisation
        case .optometrist: .optometrist
        case .dentist: .dentist
        case .communityPharmacy: .communityPharmacy
        case .careHome: .careHome
        case .pharmacyMultiple: .pharmacyMultiple
        }
    }

    public var displayName: String {
        switch self {
        case .nhsOrganisation: "NHS organisation"
        case .nonNHSOrganisation: "Non-NHS organisation"
        case .optometrist: "Optometrist"
        case .dentist: "Dentist"
        case .communityPharmacy: "Community pharmacy"
        case .careHome: "Care home"
        case .pharmacyMultiple: "Pharmacy multiple"
        }
    }

    /// Who reviews it first (DOMAIN.md, "Actors").
    public var reviewer: Reviewer {
        switch self {
        case .nhsOrganisation, .nonNHSOrganisation, .pharmacyMultiple: .nationalAdmin
        case .optometrist, .dentist: .regionalContact
        case .communityPharmacy: .pharmacyTeam
        case .careHome: .localAdmin
        }
    }

    /// Approval creates (or links) an organisation record and invites its first Local Administrator.
    public var approvalCreatesOrganisation: Bool {
        self == .nhsOrganisation || self == .nonNHSOrganisation || self == .pharmacyMultiple
    }

    /// Approval sets up what the application asked for (an organisation when needed, the applicant's account,
    /// a premises mailbox) and so completes it: nothing is left for anyone to do by hand.
    public var approvalSetsUp: Bool { self == .careHome || self == .communityPharmacy }

    /// An optometrist or dentist is set up by the Local Administrator the application is passed to: completing
    /// it makes the applicant's account in the practice from the application's answers.
    public var completionSetsUp: Bool { self == .optometrist || self == .dentist }

    /// Organisations sign the AUP on their application; people accept it at first sign-in.
    public var signsAUP: Bool { self == .nhsOrganisation || self == .nonNHSOrganisation }
}

/// not submitted (draft) → submitted → in review → approved | rejected | more information needed →
/// passed to an LA → completed; waitlisted for programme cohorts; withdrawn by the applicant.
public enum ApplicationState: String, CaseIterable, Sendable, Codable {
    case draft
    case submitted
    case inReview = "in_review"
    case moreInformationNeeded = "more_information_needed"
    case approved
    case rejected
    case passedToLA = "passed_to_la"
    case completed
    case waitlisted
    case withdrawn

    public var displayName: String {
        switch self {
        case .draft: "Not yet submitted"
        case .submitted: "Submitted"
        case .inReview: "In review"
        case .moreInformationNeeded: "More information needed"
        case .approved: "Approved"
        case .rejected: "Not approved"
        case .passedToLA: "Passed to a Local Administrator"
        case .completed: "Completed"
        case .waitlisted: "On the waiting list"
        case .withdrawn: "Withdrawn"
        }
    }

    public var isFinished: Bool { self == .rejected || self == .completed || self == .withdrawn }

    /// A live application holds its premises or person: a second one for the same finds it instead.
    public var holdsItsPlace: Bool { self != .draft && self != .rejected && self != .withdrawn }
}

/// Who acts on an application. Staff reviewers are derived from roles by the app; the applicant proves
/// themselves by their verified email or tracking link.
public enum Reviewer: String, Sendable, Codable, CaseIterable {
    case applicant
    case nationalAdmin = "national_admin"
    case regionalContact = "regional_contact"
    case localAdmin = "local_admin"
    case pharmacyTeam = "pharmacy_team"
}

public enum ApplicationAction: String, CaseIterable, Sendable, Codable {
    case submit
    case startReview = "start_review"
    case requestInformation = "request_information"
    case reply
    case approve
    case reject
    case passToLA = "pass_to_la"
    case complete
    case waitlist
    case release
    case withdraw

    public var displayName: String {
        switch self {
        case .submit: "Submit"
        case .startReview: "Start review"
        case .requestInformation: "Ask for more information"
        case .reply: "Reply"
        case .approve: "Approve"
        case .reject: "Refuse"
        case .passToLA: "Pass to a Local Administrator"
        case .complete: "Mark as completed"
        case .waitlist: "Put on the waiting list"
        case .release: "Release from the waiting list"
        case .withdraw: "Withdraw"
        }
    }

    /// Decisions need a reason the applicant will read. Replies carry the applicant's answer.
    public var needsReason: Bool { self != .submit && self != .withdraw && self != .startReview }
}

public enum WorkflowRefusal: Error, Equatable, Sendable {
    case notInThisState(ApplicationState, ApplicationAction)
    case notYours(Reviewer, ApplicationAction)
    case reasonRequired
    /// The applicant sent an empty reply.
    case replyRequired
    case reasonTooLong(Int)

    public var message: String {
        switch self {
        case .notInThisState(let state, let action):
            "An application that is \(state.displayName.lowercased()) cannot be given \"\(action.displayName.lowercased())\"."
        case .notYours(_, let action):
            "You cannot \(action.displayName.lowercased()) this application: the decision belongs to someone else."
        case .reasonRequired: "Enter the reason for your decision. The applicant will read it."
        case .replyRequired: "Enter your reply"
        case .reasonTooLong(let limit): "The reason must be \(limit) characters or fewer."
        }
    }
}

/// The one transition table for applications.
public enum ApplicationWorkflow {
    public static let reasonLimit = 2000

    struct Edge {
        let from: Set<ApplicationState>
        let to: ApplicationState
    }

    static func edge(_ action: ApplicationAction) -> Edge {
        switch action {
        case .submit: Edge(from: [.draft], to: .submitted)
        case .startReview: Edge(from: [.submitted, .waitlisted], to: .inReview)
        case .requestInformation: Edge(from: [.submitted, .inReview, .passedToLA], to: .moreInformationNeeded)
        case .reply: Edge(from: [.moreInformationNeeded], to: .inReview)
        case .approve: Edge(from: [.submitted, .inReview, .passedToLA], to: .approved)
        case .reject:
            Edge(from: [.submitted, .inReview, .moreInformationNeeded, .passedToLA, .waitlisted], to: .rejected)
        case .passToLA: Edge(from: [.submitted, .inReview, .approved], to: .passedToLA)
        case .complete: Edge(from: [.approved, .passedToLA], to: .completed)
        case .waitlist: Edge(from: [.submitted, .inReview], to: .waitlisted)
        case .release: Edge(from: [.waitlisted], to: .inReview)
        case .withdraw:
            Edge(
                from: [.draft, .submitted, .inReview, .moreInformationNeeded, .waitlisted, .passedToLA], to: .withdrawn)
        }
    }

    /// Whether `actor` may take `action` on an application of `kind` that is in `state`.
    /// The national administrator may act as any reviewer; an LA acts on care homes and on what is passed to them.
    public static func mayAct(
        _ actor: Reviewer, _ action: ApplicationAction, kind: ApplicationKind, state: ApplicationState
    )
        -> Bool
    {
        switch action {
        case .submit, .reply, .withdraw: return actor == .applicant
        case .passToLA:
            return actor == .nationalAdmin || (actor == .regionalContact && kind.reviewer == .regionalContact)
        case .waitlist, .release:
            return kind == .communityPharmacy && (actor == .pharmacyTeam || actor == .nationalAdmin)
        case .startReview, .requestInformation, .approve, .reject, .complete:
            if actor == .applicant { return false }
            if actor == .nationalAdmin { return true }
            if state == .passedToLA { return actor == .localAdmin }
            return actor == kind.reviewer
        }
    }

    /// The state after `action`, or why it cannot happen.
    public static func transition(
        _ state: ApplicationState, _ action: ApplicationAction, kind: ApplicationKind, by actor: Reviewer,
        reason: String?
    ) -> Result<ApplicationState, WorkflowRefusal> {
        let edge = edge(action)
        guard edge.from.contains(state) else { return .failure(.notInThisState(state, action)) }
        guard mayAct(actor, action, kind: kind, state: state) else { return .failure(.notYours(actor, action)) }
        let text = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if action.needsReason, text.isEmpty { return .failure(action == .reply ? .replyRequired : .reasonRequired) }
        if text.count > reasonLimit { return .failure(.reasonTooLong(reasonLimit)) }
        if action == .approve, kind.approvalSetsUp { return .success(.completed) }
        return .success(edge.to)
    }

    /// What `actor` could do next, in the order a reviewer would read them.
    public static func available(to actor: Reviewer, kind: ApplicationKind, state: ApplicationState)
        -> [ApplicationAction]
    {
        ApplicationAction.allCases.filter { action in
            edge(action).from.contains(state) && mayAct(actor, action, kind: kind, state: state)
        }
    }
}
