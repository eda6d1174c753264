import Foundation
import OnboardDomain
import OpenAPIRuntime
import SQLKit
import Vapor

/// The application operations: submit on an applicant's behalf, read one, decide. Scope exactly as the pages.
extension APIHandler {
    func createApplication(_ input: Operations.CreateApplication.Input) async throws
        -> Operations.CreateApplication.Output
    {
        let (req, principal) = try context()
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        guard let kind = ApplicationKind(rawValue: body.kind.rawValue) else {
            throw APIProblem(status: .badRequest, detail: "Unknown kind.")
        }
        let outcome: ApplicationService.SubmitOutcome
        do {
            outcome = try await ApplicationService(req: req).submitOnBehalf(
                kind: kind, email: body.applicantEmail, answers: body.answers.additionalProperties, by: principal)
        } catch let errors as ValidationErrors {
            // Form fields are reported under `answers.` so a caller can tell them from the envelope's.
            throw APIProblem(
                ValidationErrors(
                    errors.errors.map {
                        $0.field == "applicantEmail"
                            ? $0 : FieldError(field: "answers.\($0.field)", message: $0.message)
                    }))
        }
        switch outcome {
        case .previouslySubmitted(let reference):
            throw APIProblem(
                status: .conflict,
                detail: "This was previously submitted as \(reference); the applicant does not need to re-apply.")
        case .submitted(let row):
            return .created(.init(body: .json(try await Self.application(row, on: req.sql))))
        }
    }

    func getApplication(_ input: Operations.GetApplication.Input) async throws -> Operations.GetApplication.Output {
        let (req, principal) = try context()
        let row = try await Self.scopedApplication(input.path.reference, principal: principal, on: req.sql)
        try await req.audit(AuditEntry("application.view", target: "application", id: row.reference), on: req.sql)
        return .ok(.init(body: .json(try await Self.application(row, on: req.sql))))
    }

    func decideApplication(_ input: Operations.DecideApplication.Input) async throws
        -> Operations.DecideApplication.Output
    {
        let (req, principal) = try context()
        let row = try await Self.scopedApplication(input.path.reference, principal: principal, on: req.sql)
        guard case .json(let body) = input.body else { throw APIProblem(status: .badRequest, detail: "Send JSON.") }
        var assignee: String?
        if let ods = body.assigneeOds.flatMap(OrganisationRules.normaliseODS) {
            assignee = try await ApplicationStore.organisationID(ods: ods, on: req.sql)?.uuidString
            if assignee == nil {
                throw APIProblem(
                    ValidationErrors([
                        FieldError(field: "assigneeOds", message: "No organisation has the ODS code \(ods)")
                    ]))
            }
        }
        do {
            let updated = try await ApplicationService(req: req).decide(
                row, by: principal, action: body.action.rawValue, reason: body.reason, assignee: assignee,
                activation: body.activation?.rawValue)
            return .ok(.init(body: .json(try await Self.application(updated, on: req.sql))))
        } catch let errors as ValidationErrors {
            throw APIProblem(
                ValidationErrors(
                    errors.errors.map {
                        $0.field == "assignee" ? FieldError(field: "assigneeOds", message: $0.message) : $0
                    }))
        }
    }

    static func scopedApplication(_ raw: String, principal: Principal, on sql: any SQLDatabase) async throws
        -> ApplicationRow
    {
        let notFound = APIProblem(status: .notFound, detail: "No application with that reference is in your scope.")
        guard let reference = ApplicationReference.normalise(raw) else { throw notFound }
        do {
            return try await ApplicationStore.scoped("a.reference = \(bind: reference)", for: principal, on: sql)
        } catch let abort as Abort where abort.status == .notFound {
            throw notFound
        }
    }

    static func application(_ row: ApplicationRow, on sql: any SQLDatabase) async throws
        -> Components.Schemas.Application
    {
        let history = try await ApplicationStore.events(for: row.id, on: sql).map { event in
            Components.Schemas.Application.HistoryPayloadPayload(
                at: event.occurredAt, action: event.action, state: event.toState, actor: event.actor,
                reason: event.reason)
        }
        return .init(
            reference: row.reference, kind: row.kind, state: .init(rawValue: row.state) ?? .submitted,
            region: row.region,
            submittedAt: row.submittedAt, eligibility: row.decision,
            rules: row.rules.map { $0.split(separator: ",").map(String.init) }, parameterVersion: row.parameterVersion,
            applicantEmail: row.applicantEmail, answers: .init(additionalProperties: row.answerMap), history: history)
    }
}
