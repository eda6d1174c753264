import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Applications made before the service existed, from CSV. Every row is checked first and nothing is saved
/// while any row is wrong. A row that matches a live application (or an earlier row) is not created
/// again: it is reported with the reference it matched.
struct ApplicationImporter {
    let req: Request

    struct Outcome: Encodable {
        var created: [String] = []
        var matched: [String] = []
        /// Stored rather than computed so that templates see it.
        var createdCount = 0
    }

    func importCSV(_ text: String, by principal: Principal) async throws -> Outcome {
        let rows: [PriorApplicationCSV.Row]
        switch PriorApplicationCSV.read(text) {
        case .success(let read): rows = read
        case .failure(let errors): throw errors
        }
        guard rows.count <= 5000 else {
            throw ValidationErrors([FieldError(field: "file", message: "Import at most 5000 applications a file")])
        }
        let service = ApplicationService(req: req)
        var errors = ValidationErrors()
        var outcome = Outcome()
        var ready: [(PriorApplicationCSV.Row, ApplicationService.Prepared)] = []
        var seen: [String: Int] = [:]
        for row in rows {
            do {
                let submitted = EligibilityEngine.londonNoon(of: row.submittedOn) ?? req.now
                switch try await service.prepare(
                    kind: row.kind, email: row.email, answers: row.answers, submittedAt: submitted)
                {
                case .previouslySubmitted(let reference):
                    outcome.matched.append("Line \(row.line): previously submitted as \(reference)")
                case .ready(let prepared):
                    if let first = seen[prepared.duplicateKey] {
                        outcome.matched.append("Line \(row.line): the same as line \(first)")
                    } else {
                        seen[prepared.duplicateKey] = row.line
                        ready.append((row, prepared))
                    }
                }
            } catch let problems as ValidationErrors {
                for problem in problems.errors {
                    errors.add(
                        "line \(row.line) \(problem.field)", "Line \(row.line): \(problem.field): \(problem.message)")
                }
            }
        }
        try errors.throwIfAny()
        let key = req.settings.sessionSecret
        let context = req.auditContext
        let secrets = req.application.dependencies.secrets
        var planned: [(UUID, String, PriorApplicationCSV.Row, ApplicationService.Prepared)] = []
        for (row, prepared) in ready {
            planned.append(
                (UUID(), try await ApplicationStore.newReference(secrets: secrets, on: req.sql), row, prepared))
        }
        let actor = "Imported by \(principal.name) (\(principal.topRole.displayName))"
        let account = principal.accountID
        let work = planned
        try await req.inTransaction { sql in
            for (id, reference, row, prepared) in work {
                let draft = try await ApplicationStore.insertDraft(
                    id: id, reference: reference, kind: row.kind, email: row.email, key: key, at: prepared.recordedAt,
                    on: sql)
                try await ApplicationService.apply(
                    prepared, to: draft, submittedBy: account, actor: actor, context: context, on: sql)
            }
        }
        outcome.created = work.map { "Line \($0.2.line): \($0.1)" }
        outcome.createdCount = work.count
        return outcome
    }
}
