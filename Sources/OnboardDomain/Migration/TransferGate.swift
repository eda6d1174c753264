import Foundation

/// The data-transfer safety gate: what each scanned item's state is, what may happen to it, and whether a
/// project may pass. Anything not positively clean is quarantined and never passed on.
public enum TransferGate {
    public enum State: Equatable, Sendable {
        case waiting
        case clean
        case infected(signature: String)
        case notScanned(reason: String)
        /// Taken out of the transfer: it will not be migrated.
        case removed(by: String)
        /// Let through by the ISM, with the reason recorded (for example a false positive confirmed).
        case released(by: String, reason: String)

        public var isQuarantined: Bool {
            switch self {
            case .infected, .notScanned: true
            default: false
            }
        }

        /// Counts towards the gate passing.
        public var isSettled: Bool {
            switch self {
            case .clean, .removed, .released: true
            case .waiting, .infected, .notScanned: false
            }
        }
    }

    public static func state(after verdict: Clamd.Verdict) -> State {
        switch verdict {
        case .clean: .clean
        case .infected(let signature): .infected(signature: signature)
        case .notScanned(let reason): .notScanned(reason: reason)
        }
    }

    public enum Refusal: Error, Equatable, Sendable {
        case notQuarantined
        case reasonNeeded
    }

    /// Dealing with a quarantined item: removing it, or releasing it with a reason.
    public static func remove(_ state: State, by who: String) throws(Refusal) -> State {
        guard state.isQuarantined else { throw .notQuarantined }
        return .removed(by: who)
    }

    public static func release(_ state: State, by who: String, reason: String) throws(Refusal) -> State {
        guard state.isQuarantined else { throw .notQuarantined }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= 10 else { throw .reasonNeeded }
        return .released(by: who, reason: reason)
    }

    /// The gate passes when there is something to pass and every item is clean or has been dealt with.
    public static func passes(_ states: [State]) -> Bool {
        !states.isEmpty && states.allSatisfy(\.isSettled)
    }
}
