import FluentKit
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// The changes bulk registration makes, for its pages and the API alike: accepting the data sharing
/// agreement, taking in a sheet with its report, and queueing a checked sheet to be applied. Each runs in one
/// transaction at the service's moment and under its audit context. Like `SignInService` it takes its
/// context explicitly and renders nothing.
struct BulkRegistration: Sendable {
    let db: any Database
    let settings: Settings
    let now: Date
    let context: AuditContext

    private var sql: any SQLDatabase { db as! any SQLDatabase }

    /// A super user owes the agreement's current version before sending staff details.
    func agreementOwed(by principal: Principal) async throws -> Bool {
        guard let owner = try await BulkOwner.of(principal, kind: .pharmacyMultiple, on: sql) else { return false }
        return !(try await DataSharingAgreement.accepted(by: owner.organisation, on: sql))
    }

    /// The organisation accepts the agreement's current version (once: accepting again changes nothing).
    func acceptAgreement(for owner: BulkOwner, by account: UUID) async throws {
        let (context, now) = (context, now)
        try await db.inTransaction { sql in
            try await DataSharingAgreement.accept(
                organisation: owner.organisation, by: account, context: context, now: now, on: sql)
        }
    }

    /// Checks a sheet and keeps it with its report (`BulkUploads.receive`). A file that cannot be read at
    /// all is refused with `UnreadableSheet`.
    func receive(_ bytes: [UInt8], filename: String, kind: BulkSheet.Kind, principal: Principal) async throws
        -> BulkUploads.Received
    {
        let (settings, context, now) = (settings, context, now)
        return try await db.inTransaction { sql in
            try await BulkUploads.receive(
                bytes, filename: filename, kind: kind, principal: principal, settings: settings, context: context,
                now: now, on: sql)
        }
    }

    /// Queues a checked sheet to be applied. False when it is not this person's to apply, or already was.
    func apply(_ upload: BulkUploadRow, method: ActivationMethod, principal: Principal) async throws -> Bool {
        let (context, now) = (context, now)
        return try await db.inTransaction { sql in
            try await BulkUploads.apply(
                upload, method: method, principal: principal, context: context, now: now, on: sql)
        }
    }
}

extension BulkUploads {
    /// The name a download of the sheet's report or results is saved under: the uploaded name, made safe.
    static func downloadName(_ upload: BulkUploadRow, _ suffix: String) -> String {
        let base = upload.filename.split(separator: ".").dropLast().joined(separator: ".")
        let safe = String(
            (base.isEmpty ? "sheet" : base).filter { $0.isLetter || $0.isNumber || "-_ ".contains($0) }.prefix(80))
        return "\(safe.isEmpty ? "sheet" : safe)-\(suffix).\(upload.bulkFormat.rawValue)"
    }
}

extension Request {
    /// Bulk registration's changes, in this request's context.
    var bulkRegistration: BulkRegistration {
        BulkRegistration(db: db, settings: settings, now: now, context: auditContext)
    }
}
