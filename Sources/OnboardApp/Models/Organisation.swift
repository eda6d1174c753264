import Fluent
import OnboardDomain

import struct Foundation.Date
import struct Foundation.UUID

final class Organisation: Model, @unchecked Sendable {
    static let schema = "organisations"

    // managed
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .none) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .none) var updatedAt: Date?

    // data
    @OptionalField(key: "ods_code") var odsCode: String?
    @Field(key: "name") var name: String
    @Field(key: "type") var type: OrganisationType
    @Field(key: "country") var country: Country
    @OptionalField(key: "region") var region: String?
    @OptionalField(key: "postcode") var postcode: String?
    /// Each mailbox's size limit in megabytes; nil means the service default (`MAIL_QUOTA_MB`).
    @OptionalField(key: "mail_quota_mb") var mailQuotaMB: Int?
    @Field(key: "status") var status: OnboardingStatus
    @Field(key: "ig_status") var igStatus: IGToolkitStatus
    @OptionalField(key: "ig_completed_on") var igCompletedOn: Date?
    @Field(key: "delivers_nhs_care") var deliversNHSCare: Bool
    @Field(key: "other_public_email") var otherPublicEmail: Bool
    @OptionalField(key: "helpdesk_contact") var helpdeskContact: String?
    @OptionalField(key: "closed_at") var closedAt: Date?

    // relationships
    @OptionalParent(key: "parent_id") var parent: Organisation?
    @OptionalParent(key: "administered_by_id") var administeredBy: Organisation?
    /// The organisation whose IG toolkit covers this one: itself, or its nominated headquarters.
    @OptionalParent(key: "ig_completed_by_id") var igCompletedBy: Organisation?
    @OptionalParent(key: "successor_id") var successor: Organisation?

    init() {}

    init(id: UUID? = nil, draft: OrganisationDraft, now: Date) {
        self.id = id
        self.createdAt = now
        self.updatedAt = now
        self.igStatus = .notStarted
        self.deliversNHSCare = true
        self.otherPublicEmail = false
        self.status = .notJoined
        apply(draft)
    }

    /// Copies the plain fields of a validated draft; parents are resolved by the caller.
    func apply(_ draft: OrganisationDraft) {
        odsCode = draft.odsCode
        name = draft.name
        type = draft.type ?? .nonNHS
        country = draft.country ?? .england
        region = draft.region
        postcode = draft.postcode
        if let status = draft.status { self.status = status }
    }
}
