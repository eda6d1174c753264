import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Single-organisation changes: create, edit, close and merge. Each runs in one transaction with its
/// audit entry, and reports every bad field at once.
struct OrganisationService {
    let req: Request

    struct Extras: Sendable {
        var deliversNHSCare: Bool = true
        var otherPublicEmail: Bool = false
        var helpdeskContact: String?
        var igStatus: IGToolkitStatus = .notStarted
        var igCompletedByODS: String?
        var igCompletedOn: Date?
    }

    struct Snapshot: Encodable {
        let odsCode: String?
        let name: String
        let type: String
        let country: String
        let region: String?
        let postcode: String?
        let status: String
        let parentID: UUID?
        let administeredByID: UUID?
        let successorID: UUID?
        let igStatus: String
        let helpdeskContact: String?

        init(_ o: Organisation) {
            odsCode = o.odsCode
            name = o.name
            type = o.type.rawValue
            country = o.country.rawValue
            region = o.region
            postcode = o.postcode
            status = o.status.rawValue
            parentID = o.$parent.id
            administeredByID = o.$administeredBy.id
            successorID = o.$successor.id
            igStatus = o.igStatus.rawValue
            helpdeskContact = o.helpdeskContact
        }
    }

    func validate(_ draft: OrganisationDraft, extras: Extras, existing: Organisation?) async throws -> (
        OrganisationDraft, parent: UUID?, administrator: UUID?, igBy: UUID?
    ) {
        let regions = try await RegionDirectory.codes(on: req.sql)
        var errors = ValidationErrors()
        var clean = draft
        switch OrganisationRules.validate(draft, knownRegions: regions) {
        case .success(let ok): clean = ok
        case .failure(let problems): errors = problems
        }
        func lookup(_ ods: String?, field: String) async throws -> UUID? {
            guard let ods = OrganisationRules.normaliseODS(ods), errors.message(for: field) == nil else { return nil }
            guard let found = try await Organisation.query(on: req.db).filter(\.$odsCode == ods).first() else {
                errors.add(field, "No organisation has the ODS code \(ods)")
                return nil
            }
            if let existing, found.id == existing.id { return nil }
            if let existing, let id = existing.id, try await isBelow(found.requireID(), root: id) {
                errors.add(field, "\(found.name) is already under this organisation, so it cannot be above it")
                return nil
            }
            return found.id
        }
        let parent = try await lookup(clean.parentODS, field: "parentOds")
        let administrator = try await lookup(clean.administeredByODS, field: "administeredByOds")
        var igBy: UUID?
        if extras.igStatus == .completed {
            if let code = OrganisationRules.normaliseODS(extras.igCompletedByODS), code != clean.odsCode {
                igBy = try await lookup(code, field: "igCompletedByOds")
            } else {
                igBy = existing?.id
            }
            if extras.igCompletedOn == nil {
                errors.add("igCompletedOn", "Enter the date the IG toolkit was completed, for example 27 3 2026")
            }
        }
        if let ods = clean.odsCode, errors.message(for: "odsCode") == nil,
            let other = try await Organisation.query(on: req.db).filter(\.$odsCode == ods).first(),
            other.id != existing?.id
        {
            errors.add("odsCode", "ODS code \(ods) is already used by \(other.name)")
        }
        try errors.throwIfAny()
        return (clean, parent, administrator, igBy)
    }

    /// Whether `candidate` is `root` or somewhere below it, by either edge.
    private func isBelow(_ candidate: UUID, root: UUID) async throws -> Bool {
        try await req.sql.raw(
            """
            WITH RECURSIVE tree(id) AS (
                SELECT id FROM organisations WHERE id = \(bind: root)
                UNION
                SELECT c.id FROM organisations c JOIN tree t ON c.parent_id = t.id OR c.administered_by_id = t.id
            ) SELECT id FROM tree WHERE id = \(bind: candidate)
            """
        ).first() != nil
    }

    func create(_ draft: OrganisationDraft, extras: Extras) async throws -> Organisation {
        let (clean, parent, administrator, _) = try await validate(draft, extras: extras, existing: nil)
        let organisation = Organisation(draft: clean, now: req.now)
        organisation.$parent.id = parent
        organisation.$administeredBy.id = administrator
        apply(extras, to: organisation)
        try await saving {
            try await req.db.transaction { db in
                try await organisation.save(on: db)
                if extras.igStatus == .completed, organisation.$igCompletedBy.id == nil {
                    organisation.$igCompletedBy.id = organisation.id
                    try await organisation.save(on: db)
                }
                try await req.audit(
                    AuditEntry(
                        "organisation.create", target: "organisation", id: organisation.id?.uuidString,
                        before: Snapshot?.none, after: Snapshot(organisation)), on: db as! any SQLDatabase)
            }
        }
        return organisation
    }

    func update(_ organisation: Organisation, draft: OrganisationDraft, extras: Extras) async throws {
        let before = Snapshot(organisation)
        let (clean, parent, administrator, igBy) = try await validate(draft, extras: extras, existing: organisation)
        organisation.apply(clean)
        organisation.$parent.id = parent
        organisation.$administeredBy.id = administrator
        apply(extras, to: organisation)
        if extras.igStatus == .completed { organisation.$igCompletedBy.id = igBy ?? organisation.id }
        organisation.updatedAt = req.now
        try await saving {
            try await req.db.transaction { db in
                try await organisation.save(on: db)
                try await req.audit(
                    AuditEntry(
                        "organisation.update", target: "organisation", id: organisation.id?.uuidString,
                        before: before, after: Snapshot(organisation)), on: db as! any SQLDatabase)
            }
        }
    }

    private func apply(_ extras: Extras, to organisation: Organisation) {
        organisation.deliversNHSCare = extras.deliversNHSCare
        organisation.otherPublicEmail = extras.otherPublicEmail
        organisation.helpdeskContact =
            extras.helpdeskContact?.tidied.isEmpty == false ? extras.helpdeskContact?.tidied : nil
        organisation.igStatus = extras.igStatus
        organisation.igCompletedOn = extras.igStatus == .completed ? extras.igCompletedOn : nil
        if extras.igStatus != .completed { organisation.$igCompletedBy.id = nil }
    }

    /// A race between two people saving the same ODS code ends in the database's unique index.
    private func saving(_ work: () async throws -> Void) async throws {
        do {
            try await work()
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw ValidationErrors([FieldError(field: "odsCode", message: "That ODS code is already used")])
        }
    }

    /// Closes an organisation. Its accounts, sites, administered organisations and role grants move to the
    /// successor; an organisation with accounts cannot close without one.
    func close(_ organisation: Organisation, successorODS: String?, action: String = "organisation.close") async throws
    {
        var errors = ValidationErrors()
        let id = try organisation.requireID()
        guard organisation.status != .closed else {
            throw ValidationErrors([FieldError(field: "successorOds", message: "This organisation is already closed")])
        }
        var successor: Organisation?
        if let code = OrganisationRules.normaliseODS(successorODS) {
            successor = try await Organisation.query(on: req.db).filter(\.$odsCode == code).first()
            if successor == nil {
                errors.add("successorOds", "No organisation has the ODS code \(code)")
            } else if successor?.id == id {
                errors.add("successorOds", "An organisation cannot be its own successor")
            } else if successor?.status == .closed {
                errors.add("successorOds", "\(successor!.name) is closed. Choose an open organisation")
            } else if try await isBelow(successor!.requireID(), root: id) {
                errors.add("successorOds", "\(successor!.name) is under this organisation. Choose one outside it")
            }
        }
        let accounts = try await Account.query(on: req.db).filter(\.$organisation.$id == id).count()
        if successor == nil, accounts > 0, errors.isEmpty {
            errors.add(
                "successorOds",
                "This organisation has \(accounts) account\(accounts == 1 ? "" : "s"). Enter the ODS code of the organisation they move to"
            )
        }
        try errors.throwIfAny()
        let before = Snapshot(organisation)
        let now = req.now
        let successorID = successor?.id
        try await req.db.transaction { db in
            let sql = db as! any SQLDatabase
            if let successorID {
                try await sql.raw(
                    "UPDATE accounts SET organisation_id = \(bind: successorID), updated_at = \(bind: now) WHERE organisation_id = \(bind: id)"
                ).run()
                try await sql.raw(
                    "UPDATE organisations SET parent_id = \(bind: successorID) WHERE parent_id = \(bind: id)"
                ).run()
                try await sql.raw(
                    "UPDATE organisations SET administered_by_id = \(bind: successorID) WHERE administered_by_id = \(bind: id)"
                ).run()
                try await sql.raw(
                    "UPDATE role_grants SET organisation_id = \(bind: successorID) WHERE organisation_id = \(bind: id) AND revoked_at IS NULL"
                ).run()
            }
            organisation.status = .closed
            organisation.closedAt = now
            organisation.$successor.id = successorID
            organisation.updatedAt = now
            try await organisation.save(on: db)
            try await req.audit(
                AuditEntry(
                    action, target: "organisation", id: id.uuidString, before: before,
                    after: Snapshot(organisation)), on: sql)
        }
    }
}
