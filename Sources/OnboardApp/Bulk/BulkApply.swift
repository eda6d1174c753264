import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Thrown only under the `BULK_STOP_AFTER_CHUNKS` test setting: the worker stops as if killed, leaving its
/// job leased and unfinished, so a restart must resume it.
struct WorkerStoppedDead: Error {}

/// Applies a validated upload as a job: the stores' mailboxes first, then the people in chunks, each chunk
/// one transaction that also moves the upload's progress. Every chunk plans again against what exists, and
/// claims each person's local id before creating anything, so a resumed or concurrent run creates nothing
/// twice.
enum BulkApplyJob {
    static let kind = "bulk.apply"

    struct Payload: Codable { let upload: UUID }

    static func run(_ job: ClaimedJob, _ app: Application) async throws {
        let payload = try JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8))
        do {
            try await apply(payload.upload, job: job, app: app)
        } catch  where !(error is WorkerStoppedDead) && job.attempts >= job.maxAttempts {
            // The queue gives up after this: the upload says it stopped, rather than applying for ever.
            try? await fail(
                payload.upload, "Applying stopped after \(job.attempts) tries", context: .system,
                now: app.clock.now(), on: app.db as! any SQLDatabase)
            throw error
        }
    }

    static func apply(_ id: UUID, job: ClaimedJob, app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        guard let upload = try await BulkUploads.load(id, on: sql, withContent: true),
            [BulkStatus.queued.rawValue, BulkStatus.applying.rawValue].contains(upload.status),
            let content = upload.content, let kind = upload.bulkKind
        else { return }
        let now = app.clock.now()
        try await sql.raw(
            "UPDATE bulk_uploads SET status = 'applying' WHERE id = \(bind: upload.id) AND status IN ('queued', 'applying')"
        ).run()
        let applier = try await PrincipalLoader.load(
            accountID: upload.appliedByID ?? upload.uploadedByID, sessionID: nil, on: sql)
        let context = AuditContext(
            actorAccountID: upload.appliedByID, actorRole: applier?.topRole.rawValue,
            actorScope: applier?.scopeSummary, requestID: "job:\(job.id.uuidString)")
        // The uploader's reach is checked again: it may have changed since the sheet was validated.
        guard let uploader = try await PrincipalLoader.load(accountID: upload.uploadedByID, sessionID: nil, on: sql),
            let owner = try await BulkOwner.of(uploader, kind: kind, on: sql),
            owner.organisation == upload.organisationID
        else {
            return try await fail(
                upload.id, "The person who uploaded the sheet can no longer register these people", context: context,
                now: now, on: sql)
        }
        let sheets: [SheetTable]
        do {
            sheets = try BulkFile.read(Array(content), kind: kind).1
        } catch {
            return try await fail(upload.id, error.message, context: context, now: now, on: sql)
        }
        let settings = app.settings
        // Checked at one moment: a concurrent run of the same rows may be committing stores and people, and
        // a check that saw half of its work would call the other half a conflict.
        let prepared = try await app.db.consistentRead { db in
            try await BulkCheck.prepare(sheets, owner: owner, domain: settings.mailDomain, on: db)
        }
        guard prepared.report.problems.isEmpty else {
            try await sql.raw(
                "UPDATE bulk_uploads SET report = \(bind: prepared.report.json) WHERE id = \(bind: upload.id)"
            ).run()
            return try await fail(
                upload.id, "Something changed since the sheet was checked: \(prepared.report.problems[0].message)",
                context: context, now: now, on: sql)
        }
        let method = ActivationMethod(rawValue: upload.activationMethod ?? "") ?? .assisted
        let write = ChunkWriter(
            upload: upload.id, owner: owner, uploader: upload.uploadedByID, method: method, prepared: prepared,
            domain: settings.mailDomain, context: context)
        if kind == .pharmacyMultiple {
            try await app.db.inTransaction { db in
                try await write.stores(now: app.clock.now(), on: db)
            }
        }
        let mailboxes = try await write.mailboxIDs(on: sql)
        let users = prepared.checked.users
        var done = upload.rowsDone
        var chunks = 0
        while done < users.count {
            let slice = Array(users[done..<min(done + settings.bulk.chunkSize, users.count)])
            let from = done
            try await app.db.inTransaction { db in
                try await write.users(
                    slice, from: from, mailboxes: mailboxes, now: app.clock.now(), on: db)
            }
            done += slice.count
            chunks += 1
            if let stop = settings.bulk.stopAfterChunks, chunks == stop, done < users.count {
                throw WorkerStoppedDead()
            }
        }
        let finished = app.clock.now()
        let closed = try await sql.raw(
            """
            UPDATE bulk_uploads SET status = 'applied', finished_at = \(bind: finished)
            WHERE id = \(bind: upload.id) AND status = 'applying' RETURNING id
            """
        ).first()
        if closed != nil {
            try await AuditLog.record(
                AuditEntry(
                    "bulk.applied", target: "bulk_upload", id: upload.id.uuidString, before: [String: String]?.none,
                    after: ["rows": "\(users.count)"]),
                context: context, at: finished, on: sql)
        }
    }

    static func fail(_ id: UUID, _ reason: String, context: AuditContext, now: Date, on sql: any SQLDatabase)
        async throws
    {
        try await sql.raw(
            "UPDATE bulk_uploads SET status = 'failed', finished_at = \(bind: now) WHERE id = \(bind: id) AND status IN ('queued', 'applying')"
        ).run()
        try await AuditLog.record(
            AuditEntry(
                "bulk.failed", target: "bulk_upload", id: id.uuidString, before: [String: String]?.none,
                after: ["reason": reason]),
            context: context, at: now, on: sql)
    }
}

/// One run's writes, set-based: a few multi-row statements per chunk, whatever its size.
struct ChunkWriter: Sendable {
    let upload: UUID
    let owner: BulkOwner
    let uploader: UUID
    let method: ActivationMethod
    let prepared: BulkPrepared
    let domain: String
    let context: AuditContext

    /// Each store without a mailbox gets the one its row names, owned by the uploader.
    func stores(now: Date, on sql: any SQLDatabase) async throws {
        let current = try await BulkCheck.storeMailboxes(prepared.checked.stores.map(\.ods), on: sql).mapValues(\.local)
        let (create, _) = BulkPlan.mailboxes(prepared.checked.stores, existing: current)
        var created = Set<String>()
        if !create.isEmpty {
            let rows: [[any Encodable & Sendable]] = create.map { store in
                let address = "\(store.sharedMailbox)@\(domain)"
                return [address, AccountNaming.stem(of: address), "shared", now]
            }
            created = Set(
                try await sql.insertRows(
                    "address_reservations", ["address", "stem", "kind", "reserved_at"], rows, returning: "address"))
        }
        var mailboxes: [[any Encodable & Sendable]] = []
        var links: [[any Encodable & Sendable]] = []
        var members: [[any Encodable & Sendable]] = []
        var audits: [AuditEntry] = []
        for store in create where created.contains("\(store.sharedMailbox)@\(domain)") {
            guard let place = prepared.places[store.ods] else { continue }
            let id = UUID()
            let address = "\(store.sharedMailbox)@\(domain)"
            let display = SharedMailboxRules.displayName(store.premisesName, organisation: place.name)
            mailboxes.append([id, place.id, address, display, uploader, now])
            links.append([place.id, id, now])
            members.append([id, uploader, true, true, true, now])
            audits.append(
                AuditEntry(
                    "mailbox.create", target: "mailbox", id: id.uuidString, before: [String: String]?.none,
                    after: [
                        "address": address, "displayName": display, "organisation": place.id.uuidString,
                        "bulkUpload": upload.uuidString,
                    ]))
        }
        try await sql.insertRows(
            "shared_mailboxes", ["id", "organisation_id", "address", "display_name", "created_by_id", "created_at"],
            mailboxes)
        try await sql.insertRows("store_mailboxes", ["organisation_id", "mailbox_id", "created_at"], links)
        try await sql.insertRows(
            "shared_mailbox_members", ["mailbox_id", "account_id", "full_access", "send_as", "owner", "added_at"],
            members,
            ignoringConflicts: true)
        if !created.isEmpty {
            try await sql.raw(
                """
                UPDATE address_reservations SET mailbox_id = (SELECT m.id FROM shared_mailboxes m WHERE m.address = address_reservations.address)
                WHERE kind = 'shared' AND mailbox_id IS NULL AND address IN (\(binds: Array(created)))
                """
            ).run()
        }
        try await AuditLog.record(audits, context: context, at: now, on: sql)
        let after = try await BulkCheck.storeMailboxes(prepared.checked.stores.map(\.ods), on: sql).mapValues(\.local)
        let results: [[any Encodable & Sendable]] = prepared.checked.stores.map { store in
            let status =
                created.contains("\(store.sharedMailbox)@\(domain)")
                ? "created"
                : after[store.ods] != nil ? "unchanged" : "failed: the address was taken"
            return [upload, "stores", store.row, store.ods, status, after[store.ods].map { "\($0)@\(domain)" }]
        }
        try await sql.insertRows(
            "bulk_results", ["upload_id", "sheet", "sheet_row", "local_key", "status", "address"], results,
            ignoringConflicts: true)
        try await sql.raw(
            "UPDATE bulk_uploads SET mailboxes_created = mailboxes_created + \(bind: mailboxes.count) WHERE id = \(bind: upload)"
        ).run()
    }

    /// Store ODS code → its mailbox id, for making staff members.
    func mailboxIDs(on sql: any SQLDatabase) async throws -> [String: UUID] {
        guard owner.kind == .pharmacyMultiple else { return [:] }
        return try await BulkCheck.storeMailboxes(prepared.checked.stores.map(\.ods), on: sql).mapValues(\.id)
    }

    func users(
        _ users: [BulkSheet.User], from: Int, mailboxes: [String: UUID], now: Date, on sql: any SQLDatabase
    ) async throws {
        let sheet = BulkCheck.sheetName(owner.kind)
        let fresh = try await BulkCheck.people(owner: owner.organisation, on: sql, only: users.map(\.localID))
        let steps = BulkPlan.users(users, existing: fresh.mapValues(\.existing))
        var results: [[any Encodable & Sendable]] = []
        func result(_ user: BulkSheet.User, _ status: String, _ address: String?) {
            results.append([upload, sheet, user.row, user.localID, status, address])
        }
        var counts = BulkPlan.Summary()
        var creates: [BulkSheet.User] = []
        for step in steps {
            switch step {
            case .create(let user): creates.append(user)
            case .update(let user, let changed):
                guard let person = fresh[user.localID] else { continue }
                try await update(user, person: person, changed: changed, mailboxes: mailboxes, now: now, on: sql)
                counts.update += 1
                result(user, "updated: " + changed.joined(separator: ", "), person.address)
            case .leave(let user):
                guard let person = fresh[user.localID],
                    let account = try await AccountStore.summary(person.account, on: sql)
                else { continue }
                do {
                    if account.accountState == .pendingActivation {
                        // Never activated: closed the way an unused invitation expires, with its access removed.
                        try await AccountService.transition(
                            account.id, from: .pendingActivation, on: .expire, context: context, now: now,
                            reason: "left before activating", on: sql)
                        try await AccountService.removeOrganisationAccess(
                            account.id, by: context.actorAccountID, now: now, on: sql)
                        result(user, "left: closed before it was activated", person.address)
                    } else {
                        try await AccountService.markLeaver(account, context: context, now: now, on: sql)
                        result(user, "left", person.address)
                    }
                    counts.leave += 1
                } catch is ValidationErrors {
                    counts.unchanged += 1
                    result(user, "unchanged: the account is \(account.stateLabel)", person.address)
                }
            case .unchanged(let user), .leftBefore(let user):
                counts.unchanged += 1
                result(
                    user, fresh[user.localID] == nil ? "unchanged: not registered" : "unchanged",
                    fresh[user.localID]?.address)
            }
        }
        let created = try await create(creates, mailboxes: mailboxes, now: now, on: sql)
        for user in creates {
            if let address = created[user.localID] {
                counts.create += 1
                result(user, prepared.attach[user.localID] == nil ? "created" : "attached", address)
            } else {
                counts.unchanged += 1
                result(user, "unchanged: registered at the same time by another sheet", nil)
            }
        }
        try await sql.insertRows(
            "bulk_results", ["upload_id", "sheet", "sheet_row", "local_key", "status", "address"], results,
            ignoringConflicts: true)
        // Progress moves with the rows, guarded by where this chunk started: a second worker on the same
        // upload rolls its chunk back instead of counting it twice.
        let moved = try await sql.raw(
            """
            UPDATE bulk_uploads SET rows_done = \(bind: from + users.count),
                created_count = created_count + \(bind: counts.create), updated_count = updated_count + \(bind: counts.update),
                unchanged_count = unchanged_count + \(bind: counts.unchanged), left_count = left_count + \(bind: counts.leave)
            WHERE id = \(bind: upload) AND rows_done = \(bind: from) RETURNING id
            """
        ).first()
        guard moved != nil else { throw Abort(.conflict, reason: "Another worker applied this chunk") }
    }

    /// New people: local ids claimed first, then addresses reserved, then people, accounts, memberships,
    /// activation messages and audit, each one statement for the chunk. Returns local id → address.
    func create(_ users: [BulkSheet.User], mailboxes: [String: UUID], now: Date, on sql: any SQLDatabase) async throws
        -> [String: String]
    {
        guard !users.isEmpty else { return [:] }
        var accountFor: [String: UUID] = [:]
        for user in users { accountFor[user.localID] = prepared.attach[user.localID] ?? UUID() }
        let claims: [[any Encodable & Sendable]] = users.compactMap { user in
            guard let place = prepared.places[user.storeODS], let account = accountFor[user.localID] else { return nil }
            return [owner.organisation, user.localID, account, place.id, user.role?.rawValue, upload, now]
        }
        let claimed = Set(
            try await sql.insertRows(
                "bulk_people",
                ["organisation_id", "local_id", "account_id", "place_id", "role", "upload_id", "updated_at"],
                claims, returning: "local_id"))
        let mine = users.filter { claimed.contains($0.localID) }
        var addresses: [String: String] = [:]
        let attached = mine.filter { prepared.attach[$0.localID] != nil }
        if !attached.isEmpty {
            struct Row: Decodable {
                let id: UUID
                let address: String
            }
            let ids = attached.compactMap { prepared.attach[$0.localID] }
            let known = Dictionary(
                try await sql.raw("SELECT id, address FROM accounts WHERE id IN (\(binds: ids))").rows(
                    Row.self
                )
                .map { ($0.id, $0.address) }, uniquingKeysWith: { a, _ in a })
            for user in attached { addresses[user.localID] = prepared.attach[user.localID].flatMap { known[$0] } }
        }
        let fresh = mine.filter { prepared.attach[$0.localID] == nil }
        let reserved = try await reserve(fresh, now: now, on: sql)
        var people: [[any Encodable & Sendable]] = []
        var accounts: [[any Encodable & Sendable]] = []
        var audits: [AuditEntry] = []
        var codes: [[any Encodable & Sendable]] = []
        var messages: [(MessageTemplate, String, [String: String], OutboxSecret, UUID, UUID)] = []
        for user in fresh {
            guard let address = reserved[user.localID], let account = accountFor[user.localID],
                let place = prepared.places[user.storeODS]
            else { continue }
            let person = UUID()
            let display = AccountNaming.displayName(
                givenName: user.firstName, familyName: user.surname, organisation: place.name)
            people.append([person, user.firstName, user.surname, user.mobile, now])
            accounts.append([
                account, person, place.id, address, AccountState.pendingActivation.rawValue, 0, 0, display,
                method.rawValue,
                uploader, now, now, now,
            ])
            audits.append(
                AuditEntry(
                    "account.create", target: "account", id: account.uuidString, before: [String: String]?.none,
                    after: [
                        "address": address, "displayName": display, "organisation": place.id.uuidString,
                        "activation": method.rawValue, "mobile": AccountService.masked(user.mobile),
                        "bulkUpload": upload.uuidString, "localID": user.localID,
                    ]))
            if method == .automated {
                let code = UUID()
                codes.append([code, account, "activation", user.mobile, 0, now])
                messages.append((.securityCode, user.mobile, [:], .securityCode, code, account))
                messages.append((.credentials, user.mobile, ["address": address], .temporaryPassword, account, account))
                audits.append(
                    AuditEntry(
                        "account.activation_sent", target: "account", id: account.uuidString,
                        before: [String: String]?.none, after: ["method": "automated"]))
            }
            addresses[user.localID] = address
        }
        try await sql.insertRows("people", ["id", "given_name", "family_name", "mobile", "created_at"], people)
        try await sql.insertRows(
            "accounts",
            [
                "id", "person_id", "organisation_id", "address", "state", "failed_sign_ins", "lock_count",
                "display_name",
                "activation_method", "created_by_id", "state_changed_at", "created_at", "updated_at",
            ], accounts)
        if !reserved.isEmpty {
            try await sql.raw(
                """
                UPDATE address_reservations SET account_id = (SELECT a.id FROM accounts a WHERE a.address = address_reservations.address)
                WHERE address IN (\(binds: Array(reserved.values)))
                """
            ).run()
        }
        try await sql.insertRows(
            "security_codes", ["id", "account_id", "purpose", "mobile", "tries", "created_at"], codes)
        try await Outbox.enqueueMany(messages, now: now, on: sql)
        let members: [[any Encodable & Sendable]] = mine.compactMap { user in
            guard let mailbox = mailboxes[user.storeODS], let account = accountFor[user.localID] else { return nil }
            return [mailbox, account, true, true, false, now]
        }
        try await sql.insertRows(
            "shared_mailbox_members", ["mailbox_id", "account_id", "full_access", "send_as", "owner", "added_at"],
            members,
            ignoringConflicts: true)
        try await AuditLog.record(audits, context: context, at: now, on: sql)
        return addresses
    }

    /// Addresses for new people, numbered past every reservation with the same stem; a clash with a
    /// reservation made meanwhile takes the next number on the next pass.
    func reserve(_ users: [BulkSheet.User], now: Date, on sql: any SQLDatabase) async throws -> [String: String] {
        var result: [String: String] = [:]
        var pending = users
        for _ in 0..<5 where !pending.isEmpty {
            let predicted = try await BulkCheck.predictAddresses(pending, domain: domain, on: sql)
            let rows: [[any Encodable & Sendable]] = predicted.map { _, _, address in
                [address, AccountNaming.stem(of: address), "primary", now]
            }
            let won = Set(
                try await sql.insertRows(
                    "address_reservations", ["address", "stem", "kind", "reserved_at"], rows, returning: "address"))
            for (user, _, address) in predicted where won.contains(address) { result[user.localID] = address }
            pending = pending.filter { result[$0.localID] == nil }
        }
        guard pending.isEmpty else {
            throw Abort(.conflict, reason: "Could not reserve addresses: too many people are being added at once")
        }
        return result
    }

    /// Someone who moved store, changed number or name: the person, their place and (for a store) their
    /// mailbox membership follow. The address stays: a new one comes only from the accounts page.
    func update(
        _ user: BulkSheet.User, person: BulkPerson, changed: [String], mailboxes: [String: UUID], now: Date,
        on sql: any SQLDatabase
    ) async throws {
        guard let place = prepared.places[user.storeODS] else { return }
        let before = person.existing
        try await sql.raw(
            """
            UPDATE people SET given_name = \(bind: user.firstName), family_name = \(bind: user.surname), mobile = \(bind: user.mobile)
            WHERE id = (SELECT person_id FROM accounts WHERE id = \(bind: person.account))
            """
        ).run()
        let display = AccountNaming.displayName(
            givenName: user.firstName, familyName: user.surname, organisation: place.name)
        let mobileChanged: Date? = changed.contains("mobile") ? now : nil
        try await sql.raw(
            """
            UPDATE accounts SET display_name = \(bind: display), organisation_id = \(bind: place.id), updated_at = \(bind: now),
                mobile_changed_at = COALESCE(\(bind: mobileChanged), mobile_changed_at)
            WHERE id = \(bind: person.account)
            """
        ).run()
        try await sql.raw(
            """
            UPDATE bulk_people SET place_id = \(bind: place.id), role = \(bind: user.role?.rawValue), upload_id = \(bind: upload),
                updated_at = \(bind: now)
            WHERE organisation_id = \(bind: owner.organisation) AND local_id = \(bind: user.localID)
            """
        ).run()
        if changed.contains("store_ods_code"), owner.kind == .pharmacyMultiple {
            if let old = try await BulkCheck.storeMailboxes([before.storeODS], on: sql)[before.storeODS] {
                try await sql.raw(
                    """
                    DELETE FROM shared_mailbox_members
                    WHERE account_id = \(bind: person.account) AND owner = \(bind: false) AND mailbox_id = \(bind: old.id)
                    """
                ).run()
            }
            if let mailbox = mailboxes[user.storeODS] {
                try await sql.insertRows(
                    "shared_mailbox_members",
                    ["mailbox_id", "account_id", "full_access", "send_as", "owner", "added_at"],
                    [[mailbox, person.account, true, true, false, now]], ignoringConflicts: true)
            }
        }
        var was: [String: String] = [:]
        var became: [String: String] = [:]
        for column in changed {
            switch column {
            case "first_name": (was[column], became[column]) = (before.firstName, user.firstName)
            case "surname": (was[column], became[column]) = (before.surname, user.surname)
            case "mobile":
                (was[column], became[column]) = (
                    AccountService.masked(before.mobile), AccountService.masked(user.mobile)
                )
            case "store_ods_code": (was[column], became[column]) = (before.storeODS, user.storeODS)
            case "role": (was[column], became[column]) = (before.role?.rawValue ?? "", user.role?.rawValue ?? "")
            default: break
            }
        }
        try await AuditLog.record(
            AuditEntry("account.update", target: "account", id: person.account.uuidString, before: was, after: became),
            context: context, at: now, on: sql)
    }
}

extension SQLDatabase {
    /// Many rows in few statements, sized to stay inside both databases' bind limits. With `returning`, the
    /// values of that column for the rows actually inserted (conflicts are skipped).
    @discardableResult
    func insertRows(
        _ table: String, _ columns: [String], _ rows: [[any Encodable & Sendable]], ignoringConflicts: Bool = false,
        returning: String? = nil
    ) async throws -> [String] {
        guard !rows.isEmpty else { return [] }
        var out: [String] = []
        for slice in rows.chunked(max(1, 30_000 / columns.count)) {
            let insert = self.insert(into: table).columns(columns)
            for row in slice { insert.values(row.map { SQLBind($0) }) }
            if ignoringConflicts || returning != nil { insert.ignoringConflicts() }
            if let returning {
                out += try await insert.returning(SQLAlias(SQLColumn(returning), as: SQLIdentifier("value")))
                    .rows(ReturnedValue.self).map(\.value)
            } else {
                try await insert.run()
            }
        }
        return out
    }
}

private struct ReturnedValue: Decodable { let value: String }
