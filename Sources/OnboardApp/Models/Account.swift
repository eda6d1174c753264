import Fluent
import OnboardDomain

import struct Foundation.Date
import struct Foundation.UUID

final class Person: Model, @unchecked Sendable {
    static let schema = "people"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .none) var createdAt: Date?

    @Field(key: "given_name") var givenName: String
    @Field(key: "family_name") var familyName: String
    @OptionalField(key: "mobile") var mobile: String?

    init() {}

    init(id: UUID? = nil, givenName: String, familyName: String, mobile: String? = nil, now: Date) {
        self.id = id
        self.givenName = givenName
        self.familyName = familyName
        self.mobile = mobile
        self.createdAt = now
    }

    var fullName: String { "\(givenName) \(familyName)" }
}

final class Account: Model, @unchecked Sendable {
    static let schema = "accounts"

    typealias State = AccountState

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .none) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .none) var updatedAt: Date?

    @Field(key: "address") var address: String
    @OptionalField(key: "password_hash") var passwordHash: String?
    @Field(key: "state") var state: State
    @Field(key: "failed_sign_ins") var failedSignIns: Int
    /// Wrong authenticator codes since the last right one: a right password does not clear them.
    @Field(key: "failed_factor_attempts") var failedFactorAttempts: Int
    @OptionalField(key: "last_sign_in_at") var lastSignInAt: Date?
    @OptionalField(key: "last_mail_login_at") var lastMailLoginAt: Date?
    @OptionalField(key: "mailbox_erased_at") var mailboxErasedAt: Date?
    @OptionalField(key: "display_name") var displayName: String?
    @OptionalField(key: "activation_method") var activationMethod: String?
    /// A fast keyed hash: the temporary password is random and lives at most 7 days.
    @OptionalField(key: "temp_password_hash") var tempPasswordHash: String?
    @OptionalField(key: "temp_password_expires_at") var tempPasswordExpiresAt: Date?
    @OptionalField(key: "code_confirmed_at") var codeConfirmedAt: Date?
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @Field(key: "lock_count") var lockCount: Int
    /// AES-GCM sealed with the key from `MFA_KEY`.
    @OptionalField(key: "totp_secret") var totpSecret: String?
    @OptionalField(key: "totp_enrolled_at") var totpEnrolledAt: Date?
    @OptionalField(key: "totp_last_step") var totpLastStep: Int64?
    @OptionalField(key: "password_changed_at") var passwordChangedAt: Date?
    @OptionalField(key: "mobile_changed_at") var mobileChangedAt: Date?
    @OptionalField(key: "state_changed_at") var stateChangedAt: Date?
    @OptionalField(key: "last_activity_at") var lastActivityAt: Date?
    @OptionalField(key: "created_by_id") var createdByID: UUID?

    @Parent(key: "person_id") var person: Person
    @Parent(key: "organisation_id") var organisation: Organisation

    init() {}

    init(
        id: UUID? = nil, personID: UUID, organisationID: UUID, address: String, passwordHash: String?,
        state: State, now: Date
    ) {
        self.id = id
        self.$person.id = personID
        self.$organisation.id = organisationID
        self.address = address
        self.passwordHash = passwordHash
        self.state = state
        self.failedSignIns = 0
        self.failedFactorAttempts = 0
        self.lockCount = 0
        self.createdAt = now
        self.updatedAt = now
    }
}

final class RoleGrant: Model, @unchecked Sendable {
    static let schema = "role_grants"

    @ID(key: .id) var id: UUID?
    @Field(key: "granted_at") var grantedAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    @Field(key: "role") var role: Role
    @OptionalField(key: "region") var region: String?

    @Parent(key: "account_id") var account: Account
    @OptionalParent(key: "organisation_id") var organisation: Organisation?
    @OptionalParent(key: "granted_by_id") var grantedBy: Account?
    @OptionalParent(key: "revoked_by_id") var revokedBy: Account?

    init() {}

    init(
        id: UUID? = nil, accountID: UUID, role: Role, organisationID: UUID?, region: String?, grantedBy: UUID?,
        now: Date
    ) {
        self.id = id
        self.$account.id = accountID
        self.role = role
        self.$organisation.id = organisationID
        self.region = region
        self.$grantedBy.id = grantedBy
        self.grantedAt = now
    }
}

final class UserSession: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_seen_at") var lastSeenAt: Date
    @OptionalField(key: "ended_at") var endedAt: Date?

    /// SHA-256 of the cookie value: the value itself is never stored.
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "level") var level: Int
    @OptionalField(key: "client_address") var clientAddress: String?
    @OptionalField(key: "user_agent") var userAgent: String?
    /// Nil once the sign-in is complete; otherwise the steps still to take (`SignInStage`).
    @OptionalField(key: "stage") var stage: String?

    @Parent(key: "account_id") var account: Account

    init() {}
}

final class APIToken: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "expires_at") var expiresAt: Date?
    @Field(key: "read_only") var readOnly: Bool
    @OptionalField(key: "organisation_id") var organisationID: UUID?

    @Field(key: "name") var name: String
    @Field(key: "token_hash") var tokenHash: String

    @Parent(key: "account_id") var account: Account

    init() {}
}

final class AUPVersion: Model, @unchecked Sendable {
    static let schema = "aup_versions"

    @ID(key: .id) var id: UUID?
    @Field(key: "version") var version: String
    @Field(key: "title") var title: String
    @Field(key: "summary") var summary: String
    @Field(key: "effective_from") var effectiveFrom: Date
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

final class AUPAcceptance: Model, @unchecked Sendable {
    static let schema = "aup_acceptances"

    @ID(key: .id) var id: UUID?
    @Field(key: "accepted_at") var acceptedAt: Date
    @Parent(key: "account_id") var account: Account
    @Parent(key: "aup_version_id") var version: AUPVersion

    init() {}
}
