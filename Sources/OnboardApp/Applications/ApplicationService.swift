import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Everything that changes an application: start, verify, answer, submit, decide. Each change commits with
/// its history row, its audit entry and (for decisions) the job that tells the applicant.
struct ApplicationService {
    let req: Request

    static let codeLifetime: TimeInterval = 15 * 60
    static let codeAttempts = 5

    enum StartOutcome {
        case started(id: UUID, resumeToken: String)
        /// The email belongs to an account: a person who already has one joins a new organisation as a joiner.
        case hasAccount
    }

    struct Snapshot: Encodable {
        let reference: String
        let kind: String
        let state: String
        let region: String?
        let assignedOrganisationID: UUID?
        let reason: String?
    }

    var applicantContext: AuditContext {
        AuditContext(actorRole: Reviewer.applicant.rawValue, requestID: req.requestID, clientAddress: req.clientAddress)
    }

    // MARK: Applicant

    /// Starts a draft for `email`, holding `answers` the applicant already gave (to the guided start).
    func start(kind: ApplicationKind, email rawEmail: String, answers: [String: String] = [:]) async throws
        -> StartOutcome
    {
        let email = Identifiers.normaliseEmail(rawEmail)
        var errors = ValidationErrors()
        if email.isEmpty {
            errors.add("email", "Enter your email address")
        } else if !Identifiers.isValidEmail(email) {
            errors.add("email", "Enter an email address in the correct format, like name@example.org")
        }
        try errors.throwIfAny()
        if try await ApplicationStore.hasAccount(email: email, on: req.sql) {
            return .hasAccount
        }
        let id = UUID()
        let resume = req.application.dependencies.secrets.token()
        let reference = try await ApplicationStore.newReference(
            secrets: req.application.dependencies.secrets, on: req.sql)
        let now = req.now
        try await req.inTransaction { sql in
            try await ApplicationStore.insertDraft(
                id: id, reference: reference, kind: kind, email: email, resumeHash: SecretHash.sha256Hex(resume),
                answers: answers, key: req.settings.sessionSecret, at: now, on: sql)
            try await AuditLog.record(
                AuditEntry("application.start", target: "application", id: reference), context: applicantContext,
                at: now, on: sql)
        }
        try await sendCode(id: id, email: email, reference: reference)
        return .started(id: id, resumeToken: resume)
    }

    /// Spends a registration link: once, before it expires. The link went to the pharmacy's email, so the
    /// draft starts verified, with the premises and programme filled in. Returns the resume token.
    func startFromRegistration(token: String) async throws -> String? {
        struct Invitation: Decodable {
            let id: UUID
            let email: String
            let programme: String?
            let odsCode: String?
            let organisationID: UUID?
            let expiresAt: Date
            let usedAt: Date?
        }
        guard token.count >= 40, token.count <= 64,
            let invitation = try await req.sql.raw(
                """
                SELECT id, email, programme, ods_code, organisation_id, expires_at, used_at FROM invitations
                WHERE token_hash = \(bind: SecretHash.sha256Hex(token)) AND kind = 'registration'
                """
            ).firstRow(Invitation.self),
            invitation.usedAt == nil, invitation.expiresAt > req.now
        else { return nil }
        struct Premises: Decodable {
            let name: String
            let postcode: String?
            let region: String?
        }
        var answers: [String: String] = ["odsCode": invitation.odsCode ?? "", "programme": invitation.programme ?? ""]
        if let organisation = invitation.organisationID,
            let premises = try await req.sql.raw(
                "SELECT name, postcode, region FROM organisations WHERE id = \(bind: organisation)"
            ).firstRow(Premises.self)
        {
            answers["premisesName"] = premises.name
            answers["postcode"] = premises.postcode
            answers["region"] = premises.region
        }
        let id = UUID()
        let resume = req.application.dependencies.secrets.token()
        let reference = try await ApplicationStore.newReference(
            secrets: req.application.dependencies.secrets, on: req.sql)
        let now = req.now
        let key = req.settings.sessionSecret
        let context = applicantContext
        let prefilled = answers
        struct AlreadySpent: Error {}
        do {
            try await req.inTransaction { sql in
                try await ApplicationStore.insertDraft(
                    id: id, reference: reference, kind: .communityPharmacy, email: invitation.email, verifiedAt: now,
                    resumeHash: SecretHash.sha256Hex(resume), answers: prefilled, key: key, at: now, on: sql)
                struct Used: Decodable { let id: UUID }
                // Spending the link and creating the draft commit together; a second press finds it spent.
                let used = try await sql.raw(
                    """
                    UPDATE invitations SET used_at = \(bind: now), application_id = \(bind: id)
                    WHERE id = \(bind: invitation.id) AND used_at IS NULL RETURNING id
                    """
                ).firstRow(Used.self)
                guard used != nil else { throw AlreadySpent() }
                try await AuditLog.record(
                    AuditEntry(
                        "application.start_from_registration", target: "application", id: reference,
                        before: [String: String]?.none, after: ["invitation": invitation.id.uuidString]),
                    context: context, at: now, on: sql)
            }
        } catch is AlreadySpent {
            return nil
        }
        return resume
    }

    /// A new 6-digit code replaces any earlier one. Only its keyed hash is stored.
    func sendCode(id: UUID, email: String, reference: String) async throws {
        let bytes = req.application.dependencies.secrets.bytes(4)
        let number = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } % 1_000_000
        let code = String(format: "%06u", number)
        try await req.sql.raw(
            """
            UPDATE applications SET code_hash = \(bind: ApplicationStore.codeHash(code, application: id, key: req.settings.sessionSecret)),
                code_expires_at = \(bind: req.now.addingTimeInterval(Self.codeLifetime)), code_attempts = 0,
                updated_at = \(bind: req.now)
            WHERE id = \(bind: id)
            """
        ).run()
        try await req.application.dependencies.messages.send(
            OutboundMessage(
                to: email, subject: "Your Onboard security code",
                body: """
                    Your security code is \(code). It lasts 15 minutes.
                    Enter it to continue your application \(reference). If you did not start an application, ignore this email.
                    """,
                sentAt: req.now))
    }

    /// Checks a typed code: single-use, time-limited, five tries.
    func verify(_ row: ApplicationRow, code rawCode: String) async throws {
        let code = rawCode.filter(\.isNumber)
        var errors = ValidationErrors()
        guard let hash = row.codeHash, let expires = row.codeExpiresAt else {
            errors.add("code", "Ask for a new code: this one has been used")
            throw errors
        }
        if row.codeAttempts >= Self.codeAttempts {
            errors.add("code", "You have entered a wrong code too many times. Ask for a new code.")
            throw errors
        }
        if expires < req.now {
            errors.add("code", "That code has expired. Ask for a new code.")
            throw errors
        }
        guard code.count == 6 else {
            errors.add("code", "Enter the 6-digit code from the email")
            throw errors
        }
        let matches = SecretHash.constantTimeEquals(
            hash, ApplicationStore.codeHash(code, application: row.id, key: req.settings.sessionSecret))
        if !matches {
            try await req.sql.raw(
                "UPDATE applications SET code_attempts = code_attempts + 1 WHERE id = \(bind: row.id)"
            ).run()
            errors.add("code", "The code is not right. Check the email and try again.")
            throw errors
        }
        let now = req.now
        try await req.inTransaction { sql in
            try await sql.raw(
                """
                UPDATE applications SET email_verified_at = \(bind: now), code_hash = NULL, code_expires_at = NULL,
                    updated_at = \(bind: now)
                WHERE id = \(bind: row.id)
                """
            ).run()
            try await AuditLog.record(
                AuditEntry("application.email_verified", target: "application", id: row.reference),
                context: applicantContext, at: now, on: sql)
        }
        // The link lets the applicant come back to the draft from another browser, and later track it.
        let link =
            req.settings.publicURL
            + SiteURL.track(ApplicationStore.trackingToken(for: row.id, key: req.settings.sessionSecret)).path
        try await req.application.dependencies.messages.send(
            OutboundMessage(
                to: row.applicantEmail, subject: "Your application \(row.reference)",
                body: """
                    You have started application \(row.reference). To come back to it, or later to see its progress, \
                    open this link and press the button: \(link)
                    Do not forward this email: the link is your access to the application.
                    """,
                sentAt: now))
    }

    func saveAnswers(_ row: ApplicationRow, _ answers: [String: String]) async throws {
        var merged = row.answerMap
        merged.merge(answers) { _, new in new }
        let now = req.now
        let text = ApplicationStore.encodeAnswers(merged)
        try await req.inTransaction { sql in
            try await sql.raw(
                "UPDATE applications SET answers = \(bind: text), updated_at = \(bind: now) WHERE id = \(bind: row.id)"
            ).run()
            try await AuditLog.record(
                AuditEntry(
                    "application.answers_saved", target: "application", id: row.reference,
                    before: [String: String]?.none,
                    after: ["fields": answers.keys.sorted().joined(separator: ",")]),
                context: applicantContext, at: now, on: sql)
        }
    }

    enum SubmitOutcome {
        case submitted(ApplicationRow)
        /// The premises, practice-and-person or organisation already has a live application.
        case previouslySubmitted(reference: String)
    }

    /// A checked submission, ready to write.
    struct Prepared: Sendable {
        let kind: ApplicationKind
        let answers: [String: String]
        let duplicateKey: String
        let organisation: UUID?
        let commissioner: UUID?
        let region: String?
        let result: EligibilityResult
        /// When it was submitted: now, or the date on a prior application being imported.
        let at: Date
        /// When the service recorded it, for the audit log and the job queue.
        let recordedAt: Date
    }

    enum Preparation {
        case ready(Prepared)
        case previouslySubmitted(reference: String)
    }

    /// Validates the whole form, finds an earlier live application for the same premises or person, and asks
    /// the engine. Writes nothing.
    func prepare(kind: ApplicationKind, email: String, answers raw: [String: String], submittedAt: Date? = nil)
        async throws -> Preparation
    {
        let parameters = try await EligibilityParameterStore.current(on: req.sql)
        let regions = try await RegionDirectory.codes(on: req.sql)
        let steps = ApplicationForm.steps(
            for: kind, aupVersion: try await SignInService.aupVersion(on: req.sql, fallback: parameters.aupVersion),
            programmes: Self.programmes(parameters, openOn: req.now))
        let answers: [String: String]
        switch ApplicationForm.validateAll(steps, answers: raw, regions: regions) {
        case .success(let clean): answers = clean
        case .failure(let errors): throw errors
        }
        let key = ApplicationForm.duplicateKey(kind: kind, email: email, answers: answers)
        if let first = try await Self.liveApplication(duplicateKey: key, on: req.sql) {
            return .previouslySubmitted(reference: first)
        }
        let ids = try await resolveOrganisations(kind: kind, answers: answers)
        let known =
            try await answers["odsCode"].flatMap { $0.isEmpty ? nil : $0 }.asyncMap {
                try await EligibilityFactsLoader.knownOrganisation(
                    ods: $0, on: req.sql, fallbackHelpdesk: req.settings.nationalHelpdesk)
            } ?? nil
        let now = submittedAt ?? req.now
        let facts = ApplicationForm.facts(kind: kind, answers: answers, organisation: known, submittedAt: now)
        guard case .success(let result) = EligibilityEngine(parameters: parameters).decide(facts) else {
            throw Abort(.internalServerError, reason: "The application form asked too little for the engine")
        }
        // A pharmacy multiple is "redirected" to exactly this intent form (EL-18), so only refusals stop it.
        if result.decision == .notEligible || (result.decision == .redirect && kind != .pharmacyMultiple) {
            var errors = ValidationErrors()
            errors.add("eligibility", (result.reasons + [result.nextStep]).joined(separator: " "))
            throw errors
        }
        return .ready(
            Prepared(
                kind: kind, answers: answers, duplicateKey: key, organisation: ids.organisation,
                commissioner: ids.commissioner, region: ids.region ?? answers["region"], result: result, at: now,
                recordedAt: req.now))
    }

    /// The engine's refusal that no later answer could change, judged with the most favourable answers to
    /// the questions not yet asked; nil when the application can go on.
    func refusalWhateverElse(kind: ApplicationKind, answers: [String: String]) async throws -> String? {
        guard [.optometrist, .dentist, .nhsOrganisation, .nonNHSOrganisation, .careHome].contains(kind),
            let ods = answers["odsCode"], !ods.isEmpty,
            let known = try await EligibilityFactsLoader.knownOrganisation(
                ods: ods, on: req.sql, fallbackHelpdesk: req.settings.nationalHelpdesk)
        else { return nil }
        var hopeful = answers
        hopeful["exchangesPatientInformation"] = hopeful["exchangesPatientInformation"] ?? "regular"
        hopeful["usesOtherPubliclyFundedEmail"] = hopeful["usesOtherPubliclyFundedEmail"] ?? "no"
        let facts = ApplicationForm.facts(kind: kind, answers: hopeful, organisation: known, submittedAt: req.now)
        let engine = EligibilityEngine(parameters: try await EligibilityParameterStore.current(on: req.sql))
        guard case .success(let result) = engine.decide(facts),
            result.decision == .notEligible || result.decision == .redirect
        else { return nil }
        return (result.reasons + [result.nextStep]).joined(separator: " ")
    }

    /// Writes a prepared submission onto a draft, in the caller's transaction. The unique duplicate key
    /// refuses a second live application that raced this one.
    static func apply(
        _ prepared: Prepared, to row: ApplicationRow, submittedBy account: UUID?, actor: String, context: AuditContext,
        on sql: any SQLDatabase
    ) async throws {
        let result = prepared.result
        try await sql.raw(
            """
            UPDATE applications SET state = \(bind: ApplicationState.submitted.rawValue),
                answers = \(bind: ApplicationStore.encodeAnswers(prepared.answers)),
                region = \(bind: prepared.region), organisation_id = \(bind: prepared.organisation),
                commissioner_id = \(bind: prepared.commissioner), duplicate_key = \(bind: prepared.duplicateKey),
                decision = \(bind: result.decision.rawValue), rules = \(bind: result.rules.map(\.rawValue).joined(separator: ",")),
                parameter_version = \(bind: result.parameterVersion), submitted_at = \(bind: prepared.at),
                submitted_by_account_id = \(bind: account), updated_at = \(bind: prepared.recordedAt),
                programme = \(bind: prepared.answers["programme"])
            WHERE id = \(bind: row.id) AND state = \(bind: ApplicationState.draft.rawValue)
            """
        ).run()
        try await recordEvent(
            row, action: .submit, from: .draft, to: .submitted, reason: nil, actor: actor, actorAccount: account,
            context: context, at: prepared.recordedAt, on: sql, occurredAt: prepared.at)
    }

    /// The applicant's own submission from check your answers.
    func submit(_ row: ApplicationRow) async throws -> SubmitOutcome {
        let prepared: Prepared
        switch try await prepare(kind: row.applicationKind, email: row.applicantEmail, answers: row.answerMap) {
        case .previouslySubmitted(let reference): return .previouslySubmitted(reference: reference)
        case .ready(let ready): prepared = ready
        }
        let context = applicantContext
        do {
            try await req.inTransaction { sql in
                try await Self.apply(prepared, to: row, submittedBy: nil, actor: "Applicant", context: context, on: sql)
            }
        } catch let error where (error as? any DatabaseError)?.isConstraintFailure == true {
            if let first = try await Self.liveApplication(duplicateKey: prepared.duplicateKey, on: req.sql) {
                return .previouslySubmitted(reference: first)
            }
            throw error
        }
        guard let updated = try await ApplicationStore.load(id: row.id, on: req.sql) else { throw Abort(.notFound) }
        return .submitted(updated)
    }

    /// Staff submitting for an applicant (phone or paper): the draft and its submission commit together, and
    /// only when the caller could see the result.
    func submitOnBehalf(
        kind: ApplicationKind, email rawEmail: String, answers: [String: String], by principal: Principal
    )
        async throws -> SubmitOutcome
    {
        let email = Identifiers.normaliseEmail(rawEmail)
        guard Identifiers.isValidEmail(email) else {
            throw ValidationErrors([
                FieldError(
                    field: "applicantEmail",
                    message: "Enter an email address in the correct format, like name@example.org")
            ])
        }
        if try await ApplicationStore.hasAccount(email: email, on: req.sql) {
            throw ValidationErrors([
                FieldError(
                    field: "applicantEmail",
                    message: "This person already has an account: their new organisation's LA accepts them as a joiner")
            ])
        }
        let prepared: Prepared
        switch try await prepare(kind: kind, email: email, answers: answers) {
        case .previouslySubmitted(let reference): return .previouslySubmitted(reference: reference)
        case .ready(let ready): prepared = ready
        }
        let id = UUID()
        let reference = try await ApplicationStore.newReference(
            secrets: req.application.dependencies.secrets, on: req.sql)
        let key = req.settings.sessionSecret
        let context = req.auditContext
        let actor = "\(principal.name) (\(principal.topRole.displayName)) for the applicant"
        let visible = ApplicationStore.visible(to: principal)
        do {
            try await req.inTransaction { sql in
                let draft = try await ApplicationStore.insertDraft(
                    id: id, reference: reference, kind: kind, email: email, key: key, at: prepared.recordedAt, on: sql)
                try await Self.apply(
                    prepared, to: draft, submittedBy: principal.accountID, actor: actor, context: context, on: sql)
                let seen = try await sql.raw(
                    "SELECT 1 AS ok FROM applications a WHERE a.id = \(bind: id) AND \(visible)"
                ).first()
                if seen == nil {
                    throw APIProblem(
                        status: .forbidden,
                        detail: "You can submit only applications you would review: this kind, in your region or area.")
                }
            }
        } catch let error where (error as? any DatabaseError)?.isConstraintFailure == true {
            if let first = try await Self.liveApplication(duplicateKey: prepared.duplicateKey, on: req.sql) {
                return .previouslySubmitted(reference: first)
            }
            throw error
        }
        guard let created = try await ApplicationStore.load(id: id, on: req.sql) else { throw Abort(.notFound) }
        return .submitted(created)
    }

    /// The programmes to offer: those open on `day` (a London date), or all of them to show past answers.
    static func programmes(_ parameters: EligibilityParameters, openOn day: Date? = nil) -> [FormOption] {
        parameters.programmes.filter { programme in
            day.map { ProgrammeState.of(programme, on: EligibilityEngine.londonDate($0)) == .open } ?? true
        }.map { FormOption($0.code, $0.name) }
    }

    static func liveApplication(duplicateKey key: String, on sql: any SQLDatabase) async throws -> String? {
        struct Row: Decodable { let reference: String }
        return try await sql.raw("SELECT reference FROM applications WHERE duplicate_key = \(bind: key)")
            .firstRow(Row.self)?.reference
    }

    /// The records an application points at: the practice or premises when on record, the care home's
    /// commissioner (whose LAs decide), and the region they sit in.
    func resolveOrganisations(kind: ApplicationKind, answers: [String: String]) async throws -> (
        organisation: UUID?, commissioner: UUID?, region: String?
    ) {
        struct Row: Decodable {
            let id: UUID
            let region: String?
        }
        func find(_ ods: String?) async throws -> Row? {
            guard let ods, !ods.isEmpty else { return nil }
            return try await req.sql.raw("SELECT id, region FROM organisations WHERE ods_code = \(bind: ods)")
                .firstRow(Row.self)
        }
        let organisation = try await find(answers["odsCode"])
        var commissioner: Row?
        if kind == .careHome {
            commissioner = try await find(answers["commissionerODS"])
            if commissioner == nil {
                var errors = ValidationErrors()
                errors.add(
                    "commissionerODS",
                    "No commissioner on record has the ODS code \(answers["commissionerODS"] ?? ""). Check it with the local authority."
                )
                throw errors
            }
        }
        return (organisation?.id, commissioner?.id, organisation?.region)
    }

    // MARK: Decisions

    struct Decision {
        var action: ApplicationAction
        var reason: String?
        var assignee: UUID?
        /// How a care home manager's account is activated, as the approving LA chooses.
        var activation: ActivationMethod = .automated
    }

    /// A reviewer's (or the applicant's) step through the workflow. Refusals are field errors.
    func decide(_ row: ApplicationRow, _ decision: Decision, as actor: Reviewer, actorLabel: String, account: UUID?)
        async throws -> ApplicationRow
    {
        let state = row.applicationState
        let kind = row.applicationKind
        var errors = ValidationErrors()
        let next: ApplicationState
        switch ApplicationWorkflow.transition(state, decision.action, kind: kind, by: actor, reason: decision.reason) {
        case .success(let to): next = to
        case .failure(let refusal):
            switch refusal {
            case .reasonRequired, .replyRequired, .reasonTooLong: errors.add("reason", refusal.message)
            case .notInThisState, .notYours: errors.add("action", refusal.message)
            }
            throw errors
        }
        var assignee: UUID?
        if decision.action == .passToLA {
            let choices = try await ApplicationStore.localAdministrations(for: row, on: req.sql)
            guard let chosen = decision.assignee, choices.contains(where: { $0.id == chosen }) else {
                errors.add(
                    "assignee",
                    choices.isEmpty
                        ? "No Local Administrator administers this practice yet. Add one before passing it on."
                        : "Select the Local Administrator's organisation that administers this practice")
                throw errors
            }
            assignee = chosen
        }
        let now = req.now
        let reason = decision.reason?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        let context = actor == .applicant ? applicantContext : req.auditContext
        let finalAssignee = assignee
        let settings = req.settings
        try await req.inTransaction { sql in
            var created: UUID?
            var setUp: ApplicationSetUp.Result?
            do {
                if decision.action == .approve, kind == .careHome {
                    setUp = try await ApplicationSetUp.careHome(
                        row, administeredBy: try await Self.organisation(of: account, on: sql),
                        activation: decision.activation, approver: account, settings: settings, context: context,
                        now: now, on: sql)
                } else if decision.action == .approve, kind == .communityPharmacy {
                    setUp = try await ApplicationSetUp.communityPharmacy(
                        row, approver: account, settings: settings, context: context, now: now, on: sql)
                } else if decision.action == .complete, kind.completionSetsUp, row.createdAccountID == nil {
                    setUp = try await ApplicationSetUp.practitioner(
                        row, administeredBy: try await Self.organisation(of: account, on: sql),
                        activation: decision.activation, approver: account, settings: settings, context: context,
                        now: now, on: sql)
                }
            } catch let problems as ValidationErrors {
                // What went wrong belongs to the decision: the form has no field for the account or mailbox.
                let verb = decision.action == .complete ? "completed" : "approved"
                throw ValidationErrors([
                    FieldError(
                        field: "action",
                        message: "This application cannot be \(verb) yet: "
                            + problems.errors.map(\.message).joined(separator: ". "))
                ])
            }
            created = setUp?.organisation
            if decision.action == .approve, kind.approvalCreatesOrganisation {
                created = try await Self.createOrLinkOrganisation(
                    for: row, now: now, context: context, on: sql)
                try await Self.inviteFirstLA(
                    for: row, organisation: created, now: now, secrets: req.application.dependencies.secrets,
                    key: req.settings.sessionSecret, context: context, on: sql)
            }
            // The state check in WHERE makes a second, concurrent decision on the same state a no-op.
            let releaseKey = !next.holdsItsPlace
            try await sql.raw(
                """
                UPDATE applications SET state = \(bind: next.rawValue),
                    assigned_organisation_id = COALESCE(\(bind: finalAssignee), assigned_organisation_id),
                    created_organisation_id = COALESCE(\(bind: created), created_organisation_id),
                    created_account_id = COALESCE(\(bind: setUp?.account?.id), created_account_id),
                    created_mailbox_id = COALESCE(\(bind: setUp?.mailbox), created_mailbox_id),
                    duplicate_key = CASE WHEN \(bind: releaseKey) THEN NULL ELSE duplicate_key END,
                    updated_at = \(bind: now)
                WHERE id = \(bind: row.id) AND state = \(bind: state.rawValue)
                """
            ).run()
            try await Self.recordEvent(
                row, action: decision.action, from: state, to: next, reason: reason, actor: actorLabel,
                actorAccount: account, context: context, at: now, on: sql, assignee: finalAssignee)
        }
        guard let updated = try await ApplicationStore.load(id: row.id, on: req.sql) else { throw Abort(.notFound) }
        guard updated.state == next.rawValue else {
            errors.add("action", "Someone else decided this application at the same moment. Check its history.")
            throw errors
        }
        return updated
    }

    /// The history row, the audit entry and the job that tells the applicant, in the caller's transaction.
    static func recordEvent(
        _ row: ApplicationRow, action: ApplicationAction, from: ApplicationState, to: ApplicationState, reason: String?,
        actor: String, actorAccount: UUID?, context: AuditContext, at now: Date, on sql: any SQLDatabase,
        assignee: UUID? = nil, occurredAt: Date? = nil
    ) async throws {
        let eventID = UUID()
        let occurred = occurredAt ?? now
        try await sql.raw(
            """
            INSERT INTO application_events
                (id, application_id, sequence, occurred_at, action, from_state, to_state, reason, actor, actor_account_id)
            SELECT \(bind: eventID), \(bind: row.id), COALESCE(MAX(sequence), 0) + 1, \(bind: occurred), \(bind: action.rawValue),
                \(bind: from.rawValue), \(bind: to.rawValue), \(bind: reason), \(bind: actor), \(bind: actorAccount)
            FROM application_events WHERE application_id = \(bind: row.id)
            """
        ).run()
        let before = Snapshot(
            reference: row.reference, kind: row.kind, state: from.rawValue, region: row.region,
            assignedOrganisationID: row.assignedOrganisationID, reason: nil)
        let after = Snapshot(
            reference: row.reference, kind: row.kind, state: to.rawValue, region: row.region,
            assignedOrganisationID: assignee ?? row.assignedOrganisationID, reason: reason)
        try await AuditLog.record(
            AuditEntry(
                "application.\(action.rawValue)", target: "application", id: row.reference, before: before, after: after
            ),
            context: context, at: now, on: sql)
        try await JobRunner.enqueue(
            ApplicationMessageJob.kind, payload: ApplicationMessageJob.payload(event: eventID), runAt: now, on: sql)
        if StaffNoticeJob.notifies(action) {
            try await JobRunner.enqueue(
                StaffNoticeJob.kind, payload: StaffNoticeJob.payload(event: eventID), runAt: now, on: sql)
        }
    }

    /// The organisation an approved application is about: the one on record with its ODS code (moved to
    /// onboarding), or a new one of `type`, placed under `parent` and administered by `administeredBy`.
    static func createOrLinkOrganisation(
        for row: ApplicationRow, type: OrganisationType? = nil, parent: UUID? = nil, administeredBy: UUID? = nil,
        igStatus: IGToolkitStatus = .notStarted, now: Date, context: AuditContext, on sql: any SQLDatabase
    ) async throws -> UUID {
        let answers = row.answerMap
        struct Existing: Decodable {
            let id: UUID
            let status: String
        }
        if let ods = answers["odsCode"], !ods.isEmpty,
            let existing = try await sql.raw("SELECT id, status FROM organisations WHERE ods_code = \(bind: ods)")
                .firstRow(Existing.self)
        {
            if OnboardingStatus(rawValue: existing.status) == .notJoined
                || existing.status == OnboardingStatus.applying.rawValue
            {
                try await sql.raw(
                    """
                    UPDATE organisations SET status = \(bind: OnboardingStatus.onboarding.rawValue), updated_at = \(bind: now)
                    WHERE id = \(bind: existing.id)
                    """
                ).run()
            }
            // The reviewer who approves a care home or a pharmacy confirms the toolkit status it gave.
            if igStatus == .completed {
                try await sql.raw(
                    """
                    UPDATE organisations SET ig_status = \(bind: igStatus.rawValue),
                        ig_completed_on = COALESCE(ig_completed_on, \(bind: now))
                    WHERE id = \(bind: existing.id)
                    """
                ).run()
            }
            var after = ["status": OnboardingStatus.onboarding.rawValue, "application": row.reference]
            if igStatus == .completed { after["ig_status"] = igStatus.rawValue }
            try await AuditLog.record(
                AuditEntry(
                    "organisation.link_application", target: "organisation", id: existing.id.uuidString,
                    before: ["status": existing.status], after: after),
                context: context, at: now, on: sql)
            return existing.id
        }
        let id = UUID()
        let type: OrganisationType =
            type
            ?? {
                switch row.applicationKind {
                case .nonNHSOrganisation: .nonNHS
                case .pharmacyMultiple: .pharmacyHeadOffice
                default: .nhsTrust
                }
            }()
        let name = answers["organisationName"] ?? answers["homeName"] ?? answers["premisesName"] ?? row.reference
        try await sql.insert(
            into: "organisations",
            row: [
                "id": id, "ods_code": answers["odsCode"].flatMap { $0.isEmpty ? nil : $0 }, "name": name,
                "type": type.rawValue, "country": Country.england.rawValue, "region": row.region,
                "postcode": answers["postcode"], "status": OnboardingStatus.onboarding.rawValue,
                "ig_status": igStatus.rawValue, "ig_completed_on": igStatus == .completed ? now : nil,
                "delivers_nhs_care": true, "other_public_email": false, "parent_id": parent,
                "administered_by_id": administeredBy, "created_at": now, "updated_at": now,
            ]
        )
        .run()
        try await AuditLog.record(
            AuditEntry(
                "organisation.create_from_application", target: "organisation", id: id.uuidString,
                before: [String: String]?.none,
                after: [
                    "name": name, "type": type.rawValue, "application": row.reference, "ig_status": igStatus.rawValue,
                ]),
            context: context, at: now, on: sql)
        return id
    }

    /// The organisation an approver's account belongs to: a care home is administered from there.
    static func organisation(of account: UUID?, on sql: any SQLDatabase) async throws -> UUID? {
        guard let account else { return nil }
        struct Row: Decodable { let organisationID: UUID }
        return try await sql.raw("SELECT organisation_id FROM accounts WHERE id = \(bind: account)")
            .firstRow(Row.self)?.organisationID
    }

    static let invitationLifetime: TimeInterval = 14 * 24 * 3600

    /// The first LA named on the form is invited; the link is derived from the invitation id, so only its hash is kept.
    static func inviteFirstLA(
        for row: ApplicationRow, organisation: UUID?, now: Date, secrets: SecretGenerator, key: [UInt8],
        context: AuditContext, on sql: any SQLDatabase
    ) async throws {
        let answers = row.answerMap
        let id = UUID()
        // An organisation names its first LA; a pharmacy multiple's lead contact (the applicant) is its super user.
        let kind = row.applicationKind == .pharmacyMultiple ? "super_user" : "local_admin"
        let email = answers["firstLAEmail"] ?? row.applicantEmail
        let name = answers["firstLAName"] ?? answers["applicantName"]
        try await sql.insert(
            into: "invitations",
            row: [
                "id": id, "kind": kind, "email": email, "name": name, "organisation_id": organisation,
                "application_id": row.id,
                "token_hash": SecretHash.sha256Hex(InvitationMessageJob.token(for: id, key: key)),
                "expires_at": now.addingTimeInterval(invitationLifetime), "created_at": now,
            ]
        )
        .run()
        try await AuditLog.record(
            AuditEntry(
                "invitation.create", target: "invitation", id: id.uuidString, before: [String: String]?.none,
                after: [
                    "kind": "local_admin", "organisation": organisation?.uuidString ?? "", "application": row.reference,
                ]),
            context: context, at: now, on: sql)
        try await JobRunner.enqueue(
            InvitationMessageJob.kind, payload: InvitationMessageJob.payload(invitation: id), runAt: now, on: sql)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}
