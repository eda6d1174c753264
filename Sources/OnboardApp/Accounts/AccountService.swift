import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// How a new account's first sign-in is set up (DOMAIN.md, "Accounts").
enum ActivationMethod: String, Sendable, Codable {
    /// The administrator phones the person, who reads back the code; the page then shows the credentials once.
    case assisted
    /// The code and the credentials go straight to the person's phone, as two messages.
    case automated
}

/// What someone asks for when they create an account, before anything is saved.
struct AccountRequest: Sendable {
    var givenName: String
    var familyName: String
    var mobile: String
    var organisationODS: String
    /// Typed by the LA when the name cannot be folded into an address.
    var localPart: String?
    var method: ActivationMethod

    /// The checked request, or every problem with it, by field.
    func validated() throws(ValidationErrors) -> AccountRequest {
        var errors = ValidationErrors()
        var checked = self
        checked.givenName = givenName.tidied
        checked.familyName = familyName.tidied
        for problem in AccountNaming.nameProblems(givenName: givenName, familyName: familyName) {
            errors.add(problem.field, problem.message)
        }
        if mobile.tidied.isEmpty {
            errors.add("mobile", "Enter a UK mobile number: the security code is sent to it")
        } else if let normalised = Identifiers.normaliseUKMobile(mobile) {
            checked.mobile = normalised
        } else {
            errors.add("mobile", "Enter a UK mobile number, like 07700 900123")
        }
        // An organisation without an ODS code yet (a newly approved one) is named by its id.
        checked.organisationODS =
            UUID(uuidString: organisationODS).map { $0.uuidString.lowercased() }
            ?? OrganisationRules.normaliseODS(organisationODS) ?? ""
        if checked.organisationODS.isEmpty { errors.add("organisation", "Choose the organisation") }
        if let typed = localPart?.tidied.lowercased(), !typed.isEmpty {
            if AccountNaming.isValidLocalPart(typed) {
                checked.localPart = typed
            } else {
                errors.add(
                    "localPart",
                    "Enter the part before the @ using lower-case letters, digits, dots and hyphens, like jane.doe")
            }
        } else {
            checked.localPart = nil
            if !checked.givenName.isEmpty || !checked.familyName.isEmpty,
                AccountNaming.localPart(givenName: checked.givenName, familyName: checked.familyName) == nil
            {
                errors.add(
                    "localPart",
                    "This name cannot be made into an address. Enter the part before the @ yourself, like jane.doe")
            }
        }
        try errors.throwIfAny()
        return checked
    }
}

struct AccountSummary: Decodable, Sendable {
    let id: UUID
    let address: String
    let displayName: String?
    let state: String
    let givenName: String
    let familyName: String
    let mobile: String?
    let organisationID: UUID
    let organisationName: String
    let odsCode: String?
    let activationMethod: String?
    let tempPasswordExpiresAt: Date?
    let codeConfirmedAt: Date?
    let lockedUntil: Date?
    let totpEnrolledAt: Date?
    let lastSignInAt: Date?
    let stateChangedAt: Date?
    let createdAt: Date
    let jobTitle: String?
    let department: String?
    let workPhone: String?

    var accountState: AccountState { AccountState(rawValue: state) ?? .disabled }
}

enum AccountStore {
    static let summaryColumns: SQLQueryString = """
        a.id, a.address, a.display_name, a.state, p.given_name, p.family_name, p.mobile, a.organisation_id,
        o.name AS organisation_name, o.ods_code, a.activation_method, a.temp_password_expires_at,
        a.code_confirmed_at, a.locked_until, a.totp_enrolled_at, a.last_sign_in_at, a.state_changed_at, a.created_at,
        a.job_title, a.department, a.work_phone
        """

    static func summary(_ id: UUID, on sql: any SQLDatabase) async throws -> AccountSummary? {
        try await sql.raw(
            """
            SELECT \(summaryColumns)
            FROM accounts a JOIN people p ON p.id = a.person_id JOIN organisations o ON o.id = a.organisation_id
            WHERE a.id = \(bind: id)
            """
        ).firstRow(AccountSummary.self)
    }

    /// Whether the organisation, or the headquarters it nominated, has completed the IG toolkit.
    static func igRequirementMet(_ organisation: UUID, on sql: any SQLDatabase) async throws -> Bool {
        let row = try await sql.raw(
            """
            SELECT 1 AS ok FROM organisations o LEFT JOIN organisations h ON h.id = o.ig_completed_by_id
            WHERE o.id = \(bind: organisation) AND (o.ig_status = 'completed' OR h.ig_status = 'completed')
            """
        ).first()
        return row != nil
    }

    /// Reserves the first free address from `base` (`base`, `base2`, …) for good. Two creations racing for
    /// the same name meet the primary key, and the loser takes the next number.
    static func reserve(
        base: String, domain: String, kind: String, now: Date, on sql: any SQLDatabase
    ) async throws -> String {
        for _ in 0..<20 {
            let taken = try await taken(stems: [AccountNaming.stem(of: base)], on: sql)
            let local = AccountNaming.firstFree(base) { taken.contains("\($0)@\(domain)") }
            let address = "\(local)@\(domain)"
            let inserted = try await sql.raw(
                """
                INSERT INTO address_reservations (address, stem, kind, reserved_at)
                VALUES (\(bind: address), \(bind: AccountNaming.stem(of: address)), \(bind: kind), \(bind: now))
                ON CONFLICT (address) DO NOTHING RETURNING address
                """
            ).first()
            if inserted != nil { return address }
        }
        throw Abort(.conflict, reason: "Could not reserve an address: too many people are being added at once")
    }

    /// Every reserved address sharing one of these stems: all that a new address from those bases must avoid.
    static func taken(stems: Set<String>, on sql: any SQLDatabase) async throws -> Set<String> {
        struct Row: Decodable { let address: String }
        var taken = Set<String>()
        for slice in Array(stems).chunked(500) {
            taken.formUnion(
                try await sql.raw("SELECT address FROM address_reservations WHERE stem IN (\(binds: slice))")
                    .rows(Row.self).map(\.address))
        }
        return taken
    }

    /// Whether an exact address is free, for shared mailboxes whose name is chosen, not suffixed.
    static func isReserved(_ address: String, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("SELECT 1 AS ok FROM address_reservations WHERE address = \(bind: address)").first() != nil
    }
}

struct CreatedAccount: Sendable {
    let id: UUID
    let address: String
    let displayName: String
}

enum AccountService {
    /// Creates a person and a pending account, reserving the address. The caller checks scope first and
    /// owns the transaction.
    static func create(
        _ request: AccountRequest, organisation: UUID, createdBy: UUID?, settings: Settings,
        context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws -> CreatedAccount {
        struct Org: Decodable {
            let name: String
            let closedAt: Date?
        }
        guard
            let org = try await sql.raw(
                "SELECT name, closed_at FROM organisations WHERE id = \(bind: organisation)"
            ).firstRow(Org.self)
        else { throw Abort(.notFound) }
        var errors = ValidationErrors()
        if org.closedAt != nil {
            errors.add("organisation", "\(org.name) has closed. Accounts cannot be added to it")
        } else if !(try await AccountStore.igRequirementMet(organisation, on: sql)) {
            errors.add(
                "organisation",
                "\(org.name) has not met its information governance requirement: the Data Security and Protection "
                    + "Toolkit must be completed, by the organisation or its headquarters, before accounts are added")
        }
        try errors.throwIfAny()
        guard
            let base = request.localPart
                ?? AccountNaming.localPart(givenName: request.givenName, familyName: request.familyName)
        else { throw ValidationErrors([FieldError(field: "localPart", message: "Enter the part before the @")]) }
        let address = try await AccountStore.reserve(
            base: base, domain: settings.mailDomain, kind: "primary", now: now, on: sql)
        let displayName = AccountNaming.displayName(
            givenName: request.givenName, familyName: request.familyName, organisation: org.name)
        let personID = UUID()
        let accountID = UUID()
        try await sql.insert(
            into: "people",
            row: [
                "id": personID, "given_name": request.givenName, "family_name": request.familyName,
                "mobile": request.mobile, "created_at": now,
            ]
        ).run()
        try await sql.insert(
            into: "accounts",
            row: [
                "id": accountID, "person_id": personID, "organisation_id": organisation, "address": address,
                "state": AccountState.pendingActivation.rawValue, "failed_sign_ins": 0, "lock_count": 0,
                "display_name": displayName, "activation_method": request.method.rawValue, "created_by_id": createdBy,
                "state_changed_at": now, "created_at": now, "updated_at": now,
            ]
        ).run()
        try await sql.raw(
            "UPDATE address_reservations SET account_id = \(bind: accountID) WHERE address = \(bind: address)"
        ).run()
        try await AuditLog.record(
            AuditEntry(
                "account.create", target: "account", id: accountID.uuidString, before: [String: String]?.none,
                after: [
                    "address": address, "displayName": displayName, "organisation": organisation.uuidString,
                    "activation": request.method.rawValue, "mobile": masked(request.mobile),
                ]),
            context: context, at: now, on: sql)
        let created = CreatedAccount(id: accountID, address: address, displayName: displayName)
        if request.method == .automated {
            try await startAutomatedActivation(
                created, mobile: request.mobile, name: request.givenName, organisation: org.name, notify: createdBy,
                context: context, now: now, on: sql)
        }
        return created
    }

    /// The last three digits only: enough to tell numbers apart in the audit log.
    static func masked(_ mobile: String) -> String {
        String(repeating: "•", count: max(0, mobile.count - 3)) + mobile.suffix(3)
    }

    /// Automated activation: a code and the credentials, as two texts, then a note to the administrator.
    static func startAutomatedActivation(
        _ account: CreatedAccount, mobile: String, name: String, organisation: String, notify administrator: UUID?,
        context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws {
        let code = try await newCode(account: account.id, purpose: .activation, mobile: mobile, now: now, on: sql)
        try await Outbox.enqueue(
            .securityCode, to: mobile, secret: .securityCode, secretRef: code, account: account.id,
            client: context.clientAddress, now: now, on: sql)
        try await Outbox.enqueue(
            .credentials, to: mobile, fields: ["address": account.address], secret: .temporaryPassword,
            secretRef: account.id, account: account.id, client: context.clientAddress, now: now, on: sql)
        if let administrator,
            let row = try await sql.raw("SELECT address FROM accounts WHERE id = \(bind: administrator)").firstRow(
                AddressRow.self)
        {
            try await Outbox.enqueue(
                .activationStarted, to: row.address,
                fields: ["name": name, "address": account.address, "organisation": organisation],
                account: administrator, now: now, on: sql)
        }
        try await AuditLog.record(
            AuditEntry(
                "account.activation_sent", target: "account", id: account.id.uuidString,
                before: [String: String]?.none, after: ["method": "automated"]),
            context: context, at: now, on: sql)
    }

    struct AddressRow: Decodable { let address: String }

    enum CodePurpose: String {
        case activation, reset, mobile
    }

    /// A new code row for `purpose`; any earlier live code of the same purpose is superseded. The code
    /// itself is made when the text is sent.
    static func newCode(
        account: UUID, purpose: CodePurpose, mobile: String, now: Date, on sql: any SQLDatabase
    ) async throws -> UUID {
        try await sql.raw(
            """
            UPDATE security_codes SET superseded_at = \(bind: now)
            WHERE account_id = \(bind: account) AND purpose = \(bind: purpose.rawValue)
              AND used_at IS NULL AND superseded_at IS NULL
            """
        ).run()
        let id = UUID()
        try await sql.insert(
            into: "security_codes",
            row: [
                "id": id, "account_id": account, "purpose": purpose.rawValue, "mobile": mobile, "tries": 0,
                "created_at": now,
            ]
        ).run()
        return id
    }

    /// Checks a typed code against the newest code of `purpose`, counting the try. The row is locked by
    /// the update, so two tries at once cannot both be the fifth.
    static func checkCode(
        _ typed: String, account: UUID, purpose: CodePurpose, key: [UInt8], now: Date, on sql: any SQLDatabase
    ) async throws -> (SecurityCode.Verdict, mobile: String?) {
        struct CodeRow: Decodable {
            let id: UUID
            let codeHash: String?
            let issuedAt: Date?
            let tries: Int
            let usedAt: Date?
            let supersededAt: Date?
            let mobile: String
        }
        struct Tries: Decodable { let total: Int }
        let windowTries =
            try await sql.raw(
                """
                SELECT CAST(COALESCE(SUM(tries), 0) AS INTEGER) AS total FROM security_codes
                WHERE account_id = \(bind: account) AND purpose = \(bind: purpose.rawValue)
                  AND created_at >= \(bind: now.addingTimeInterval(-SecurityCode.attemptWindow))
                """
            ).firstRow(Tries.self)?.total ?? 0
        guard
            let row = try await sql.raw(
                """
                SELECT id, code_hash, issued_at, tries, used_at, superseded_at, mobile FROM security_codes
                WHERE account_id = \(bind: account) AND purpose = \(bind: purpose.rawValue)
                ORDER BY CASE WHEN used_at IS NULL AND superseded_at IS NULL THEN 0 ELSE 1 END, created_at DESC
                LIMIT 1
                """
            ).firstRow(CodeRow.self)
        else { return (.noLiveCode, nil) }
        let matches =
            row.codeHash.map {
                SecretHash.constantTimeEquals($0, Credentials.hashCode(typed, key: key))
            } ?? false
        let verdict = SecurityCode.judge(
            matches: matches, issuedAt: row.issuedAt, usedOrSuperseded: row.usedAt != nil || row.supersededAt != nil,
            triesOnCode: row.tries, triesInWindow: windowTries, now: now)
        switch verdict {
        case .accepted:
            let used = try await sql.raw(
                "UPDATE security_codes SET used_at = \(bind: now) WHERE id = \(bind: row.id) AND used_at IS NULL RETURNING id"
            ).first()
            return (used == nil ? .noLiveCode : .accepted, row.mobile)
        case .wrong:
            try await sql.raw("UPDATE security_codes SET tries = tries + 1 WHERE id = \(bind: row.id)").run()
            return (verdict, row.mobile)
        case .expired, .noLiveCode, .tooManyTries:
            return (verdict, row.mobile)
        }
    }

    /// `checkCode`, with its outcome in the audit log: who answered (`by`) and for what.
    static func checkCodeAudited(
        _ typed: String, account: UUID, purpose: CodePurpose, by: String, key: [UInt8], context: AuditContext,
        now: Date, on sql: any SQLDatabase
    ) async throws -> (SecurityCode.Verdict, mobile: String?) {
        let (verdict, mobile) = try await checkCode(
            typed, account: account, purpose: purpose, key: key, now: now, on: sql)
        try await AuditLog.record(
            AuditEntry(
                verdict == .accepted ? "account.code_confirmed" : "account.code_refused", target: "account",
                id: account.uuidString, before: [String: String]?.none, after: ["purpose": purpose.rawValue, "by": by]),
            context: context, at: now, on: sql)
        return (verdict, mobile)
    }

    /// The message a person sees for a verdict that is not acceptance.
    static func message(for verdict: SecurityCode.Verdict) -> String {
        switch verdict {
        case .accepted: ""
        case .wrong(let remaining) where remaining > 0:
            "The security code is not right. You have \(remaining) more \(remaining == 1 ? "try" : "tries")"
        case .wrong: "The security code is not right, and that was the last try. Send a new code"
        case .expired: "The security code has expired. Codes last 10 minutes: send a new code"
        case .noLiveCode: "There is no security code waiting. Send a new code"
        case .tooManyTries:
            "There have been too many wrong codes today. Try again tomorrow, or ask your administrator"
        }
    }

    /// Texts a new code for `purpose` to `mobile`, within the caps, superseding any earlier one, audited
    /// with `details`. Every path that texts a code comes through here.
    static func textCode(
        account: UUID, purpose: CodePurpose, mobile: String, details: [String: String], context: AuditContext,
        now: Date, on sql: any SQLDatabase
    ) async throws {
        try await checkTextCaps(account: account, mobile: mobile, client: context.clientAddress, now: now, on: sql)
        let code = try await newCode(account: account, purpose: purpose, mobile: mobile, now: now, on: sql)
        try await Outbox.enqueue(
            .securityCode, to: mobile, secret: .securityCode, secretRef: code, account: account,
            client: context.clientAddress, now: now, on: sql)
        try await AuditLog.record(
            AuditEntry(
                "account.code_sent", target: "account", id: account.uuidString, before: [String: String]?.none,
                after: details.merging(["purpose": purpose.rawValue]) { $1 }),
            context: context, at: now, on: sql)
    }

    /// Sends an activation code for the assisted form, within the text caps.
    static func sendAssistedCode(
        account: AccountSummary, context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws {
        guard let mobile = account.mobile else {
            throw ValidationErrors([FieldError(field: "mobile", message: "Add a UK mobile number first")])
        }
        try await textCode(
            account: account.id, purpose: .activation, mobile: mobile, details: ["method": "assisted"],
            context: context, now: now, on: sql)
        try await sql.raw(
            "UPDATE accounts SET activation_method = 'assisted', updated_at = \(bind: now) WHERE id = \(bind: account.id)"
        ).run()
    }

    static func checkTextCaps(
        account: UUID, mobile: String, client: String?, now: Date, on sql: any SQLDatabase
    ) async throws {
        let recent = try await Outbox.recentTexts(account: account, number: mobile, client: client, now: now, on: sql)
        guard
            TextMessageCaps.standard.allows(
                sentToAccount: recent.account, sentToNumber: recent.number, sentFromClient: recent.client)
        else {
            throw ValidationErrors([
                FieldError(
                    field: "code",
                    message: "Too many texts have been sent in the last hour. Wait an hour before sending another code")
            ])
        }
    }

    /// Assisted activation, after the person read the code back: a temporary password, shown once.
    static func issueTemporaryPassword(
        account: UUID, secrets: SecretGenerator, key: [UInt8], context: AuditContext, now: Date, on sql: any SQLDatabase
    ) async throws -> String {
        let password = TemporaryPassword.make(from: secrets.bytes(TemporaryPassword.bytesNeeded))
        try await sql.raw(
            """
            UPDATE accounts SET temp_password_hash = \(bind: Credentials.hashTemporary(password, key: key)),
                temp_password_expires_at = \(bind: now.addingTimeInterval(TemporaryPassword.lifetime)),
                code_confirmed_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: account)
            """
        ).run()
        try await AuditLog.record(
            AuditEntry(
                "account.temporary_password_issued", target: "account", id: account.uuidString,
                before: [String: String]?.none, after: ["method": "assisted"]),
            context: context, at: now, on: sql)
        return password
    }

    /// Moves an account through one lifecycle event, guarded by the state it was read in: two writers
    /// at once apply it once. Returns false when the event did not apply.
    @discardableResult
    static func transition(
        _ account: UUID, from state: AccountState, on event: AccountEvent, context: AuditContext, now: Date,
        reason: String? = nil, on sql: any SQLDatabase
    ) async throws -> Bool {
        guard let next = AccountLifecycle.next(state, on: event) else { return false }
        let changed = try await sql.raw(
            """
            UPDATE accounts SET state = \(bind: next.rawValue), state_changed_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: account) AND state = \(bind: state.rawValue)
            RETURNING id
            """
        ).first()
        guard changed != nil else { return false }
        if MailSessions.endedBy.contains(next) { try await MailSessions.end(account: account, now: now, on: sql) }
        var after = ["state": next.rawValue]
        if let reason { after["reason"] = reason }
        try await AuditLog.record(
            AuditEntry(
                "account.\(event.rawValue)", target: "account", id: account.uuidString,
                before: ["state": state.rawValue],
                after: after),
            context: context, at: now, on: sql)
        return true
    }

    /// Ends every session and API token of an account: after a reset, a disable or leaving.
    static func endAccess(_ account: UUID, endingMailSessions: Bool = true, now: Date, on sql: any SQLDatabase)
        async throws
    {
        if endingMailSessions { try await MailSessions.end(account: account, now: now, on: sql) }
        try await sql.raw(
            "UPDATE sessions SET ended_at = \(bind: now) WHERE account_id = \(bind: account) AND ended_at IS NULL"
        ).run()
        try await sql.raw(
            "UPDATE api_tokens SET revoked_at = \(bind: now) WHERE account_id = \(bind: account) AND revoked_at IS NULL"
        ).run()
    }
}
