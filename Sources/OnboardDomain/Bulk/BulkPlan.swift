import Foundation

/// What applying a checked sheet would do, row by row, given what already exists. Users are keyed by
/// their organisation and local id, so a sheet sent twice changes nothing the second time, and someone
/// who moved store is updated, never duplicated.
public enum BulkPlan {
    /// A user the organisation registered before, as stored.
    public struct Existing: Equatable, Sendable {
        public let localID: String
        public let firstName: String
        public let surname: String
        public let mobile: String
        public let storeODS: String
        public let role: BulkSheet.PharmacyRole?
        /// Marked as a leaver by an earlier sheet, or since.
        public let left: Bool

        public init(
            localID: String, firstName: String, surname: String, mobile: String, storeODS: String,
            role: BulkSheet.PharmacyRole?, left: Bool = false
        ) {
            self.localID = localID
            self.firstName = firstName
            self.surname = surname
            self.mobile = mobile
            self.storeODS = storeODS
            self.role = role
            self.left = left
        }
    }

    public enum Step: Equatable, Sendable {
        case create(BulkSheet.User)
        /// The fields that differ, by column name, in sheet order.
        case update(BulkSheet.User, changed: [String])
        case unchanged(BulkSheet.User)
        /// Someone registered before, marked on this sheet as having left.
        case leave(BulkSheet.User)
        /// Someone who left is on the sheet again: they come back through the joiner route, keeping their
        /// address, rather than being given a second account.
        case leftBefore(BulkSheet.User)
    }

    public static func users(_ rows: [BulkSheet.User], existing: [String: Existing]) -> [Step] {
        rows.map { row in
            guard let before = existing[row.localID] else { return row.leaver ? .unchanged(row) : .create(row) }
            if before.left { return .leftBefore(row) }
            if row.leaver { return .leave(row) }
            var changed: [String] = []
            if before.firstName != row.firstName { changed.append("first_name") }
            if before.surname != row.surname { changed.append("surname") }
            if before.mobile != row.mobile { changed.append("mobile") }
            if before.storeODS != row.storeODS { changed.append("store_ods_code") }
            if before.role != row.role { changed.append("role") }
            return changed.isEmpty ? .unchanged(row) : .update(row, changed: changed)
        }
    }

    /// Stores whose shared mailbox does not exist yet. A store keeps the mailbox it was given first: a
    /// different name in a later sheet is reported, not applied, because addresses are never reused.
    public static func mailboxes(_ stores: [BulkSheet.Store], existing: [String: String]) -> (
        create: [BulkSheet.Store], conflicts: [BulkSheet.Problem]
    ) {
        var create: [BulkSheet.Store] = []
        var conflicts: [BulkSheet.Problem] = []
        for store in stores {
            switch existing[store.ods] {
            case nil: create.append(store)
            case store.sharedMailbox: break
            case let current?:
                conflicts.append(
                    BulkSheet.Problem(
                        sheet: "stores", row: store.row, column: "shared_mailbox",
                        message: "\(store.ods) already has the shared mailbox \(current). It keeps that one"))
            }
        }
        return (create, conflicts)
    }

    /// Counts for the check page: what would be created, updated, left alone and marked as leavers.
    public struct Summary: Equatable, Sendable, Codable {
        public var create = 0
        public var update = 0
        public var unchanged = 0
        public var leave = 0

        public init(create: Int = 0, update: Int = 0, unchanged: Int = 0, leave: Int = 0) {
            self.create = create
            self.update = update
            self.unchanged = unchanged
            self.leave = leave
        }
    }

    public static func summary(_ steps: [Step]) -> Summary {
        steps.reduce(into: Summary()) { counts, step in
            switch step {
            case .create: counts.create += 1
            case .update: counts.update += 1
            case .unchanged, .leftBefore: counts.unchanged += 1
            case .leave: counts.leave += 1
            }
        }
    }
}
