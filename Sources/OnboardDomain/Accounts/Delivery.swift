/// Whether a text or email reached the person, as GOV.UK Notify reports it, in words an administrator acts on.
public enum Delivery: String, Sendable, CaseIterable {
    case delivered
    case permanentFailure = "permanent-failure"
    case temporaryFailure = "temporary-failure"
    case technicalFailure = "technical-failure"

    /// Notify's own status names; anything else (sending, created) is not final and is not recorded.
    public init?(notifyStatus: String) { self.init(rawValue: notifyStatus) }

    public func describe(sms: Bool) -> String {
        switch self {
        case .delivered: "Delivered"
        case .permanentFailure:
            sms
                ? "Not delivered: the mobile number may be wrong. Check it with the person"
                : "Not delivered: the email address may be wrong"
        case .temporaryFailure:
            sms
                ? "Not delivered: their phone may be off or out of signal. Send it again later"
                : "Not delivered: their inbox may be full. Send it again later"
        case .technicalFailure: "Not delivered: a problem at the sending service. Send it again"
        }
    }

    public var failed: Bool { self != .delivered }
}
