import Crypto
import Foundation

/// One audit event as the chain covers it. Personal details (before, after, client address) are
/// covered by keyed digests only, so they can be erased without breaking the chain.
public struct ChainedEvent: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var occurredMicros: Int64
    public var actorAccountID: String?
    public var actorRole: String?
    public var actorScope: String?
    public var tokenID: String?
    public var action: String
    public var targetType: String
    public var targetID: String?
    public var organisationID: String?
    public var requestID: String?
    public var beforeDigest: String?
    public var afterDigest: String?
    public var addressDigest: String?

    public init(
        seq: Int64, id: String, occurredMicros: Int64, actorAccountID: String? = nil, actorRole: String? = nil,
        actorScope: String? = nil, tokenID: String? = nil, action: String, targetType: String,
        targetID: String? = nil, organisationID: String? = nil, requestID: String? = nil,
        beforeDigest: String? = nil, afterDigest: String? = nil, addressDigest: String? = nil
    ) {
        self.seq = seq
        self.id = id
        self.occurredMicros = occurredMicros
        self.actorAccountID = actorAccountID
        self.actorRole = actorRole
        self.actorScope = actorScope
        self.tokenID = tokenID
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.organisationID = organisationID
        self.requestID = requestID
        self.beforeDigest = beforeDigest
        self.afterDigest = afterDigest
        self.addressDigest = addressDigest
    }

    /// Each field length-prefixed, so no value can be made to read as two.
    public var canonical: String {
        let fields: [String?] = [
            String(seq), id, String(occurredMicros), actorAccountID, actorRole, actorScope, tokenID, action,
            targetType, targetID, organisationID, requestID, beforeDigest, afterDigest, addressDigest,
        ]
        return fields.map { field in field.map { "\($0.utf8.count):\($0)" } ?? "~" }.joined(separator: "|")
    }
}

/// The keyed hash chain: each event's MAC covers its canonical text and the previous event's MAC, so
/// altering, reordering or removing an event breaks every MAC after it, and nobody without the key can
/// recompute them.
public struct AuditChain: Sendable {
    private let key: SymmetricKey

    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    public func mac(_ event: ChainedEvent, previous: String) -> String {
        hex("onboard-audit-v1\n\(previous)\n\(event.canonical)")
    }

    /// A keyed digest of a personal value: comparing needs the key, so the digest alone gives no way to
    /// guess a mobile number or an address.
    public func digest(_ value: String?, field: String) -> String? {
        value.map { hex("digest:\(field)\n\($0)") }
    }

    private func hex(_ message: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key).lowercaseHex
    }
}

/// The chain's head as written outside the database: which chain, how many events there were, and the last MAC.
public struct AuditCheckpoint: Codable, Sendable, Equatable {
    /// The chain's identity: the id of its first event, fixed when that event was written. Nil in checkpoints
    /// written before chains had identities, which are read as belonging to the chain being verified.
    public var chain: String?
    public var count: Int64
    public var mac: String
    public var at: String

    public init(chain: String? = nil, count: Int64, mac: String, at: String) {
        self.chain = chain
        self.count = count
        self.mac = mac
        self.at = at
    }
}

/// Which checkpoints in a sink belong to the chain being verified. A sink shared by several databases (a
/// development folder, a test run) holds other chains' checkpoints, which say nothing about this one; a sink
/// holding only other chains' checkpoints while this chain has none is what a database swapped for another
/// looks like, and is reported.
public struct CheckpointSelection: Sendable, Equatable {
    /// This chain's checkpoints (and those that name no chain).
    public var own: [AuditCheckpoint]
    /// How many belong to other chains.
    public var others: Int

    public init(_ checkpoints: [AuditCheckpoint], chain: String?) {
        own = checkpoints.filter { $0.chain == nil || ($0.chain == chain && chain != nil) }
        others = checkpoints.count - own.count
    }

    /// Set when this chain has no checkpoints but the sink holds another chain's.
    public var problem: String? {
        guard own.isEmpty, others > 0 else { return nil }
        return "This database's chain has no checkpoints; the sink holds another chain's (\(others) of them). "
            + "The database may have been replaced, or the sink belongs to another database."
    }
}

/// What verification found first.
public enum AuditFinding: Sendable, Equatable, CustomStringConvertible {
    /// The event's MAC does not follow from its text and the event before it.
    case altered(seq: Int64, id: String)
    /// Sequence numbers jump: the events between were removed.
    case missing(from: Int64, nextFound: Int64?)
    /// A checkpoint names more events than the table holds: the newest ones were removed.
    case truncated(count: Int64, checkpointCount: Int64, checkpointAt: String)
    /// The event a checkpoint names has another MAC: the chain was rewritten from there or before.
    case rewritten(seq: Int64, id: String, checkpointAt: String)
    /// A personal detail no longer matches the digest the chain covers.
    case detailsAltered(seq: Int64, id: String, field: String)
    /// Rows without a sequence number or MAC: written around the chain, not through it.
    case unchained(count: Int64)

    public var description: String {
        switch self {
        case .altered(let seq, let id):
            "Event #\(seq) (\(id)) does not match its MAC: it, or the order of events before it, was changed."
        case .missing(let from, let next?):
            "Event #\(from) is missing: events #\(from) to #\(next - 1) were removed."
        case .missing(let from, nil):
            "Event #\(from) is missing: it and any after it were removed."
        case .truncated(let count, let checkpointCount, let at):
            "Event #\(count + 1) is missing: the checkpoint of \(at) recorded \(checkpointCount) events, and "
                + "only \(count) remain. The newest \(checkpointCount - count) were removed."
        case .rewritten(let seq, let id, let at):
            "Event #\(seq) (\(id)) differs from the checkpoint of \(at): the chain was rewritten up to it."
        case .detailsAltered(let seq, let id, let field):
            "Event #\(seq) (\(id)) has a changed \(field): it does not match the digest the chain covers."
        case .unchained(let count):
            "\(count) audit rows have no sequence number or MAC: they were written around the chain."
        }
    }
}

/// Checks events one at a time, in sequence order, so any number can be streamed through it.
public struct AuditVerifier: Sendable {
    private let chain: AuditChain
    private let checkpoints: [Int64: AuditCheckpoint]
    private let newestCheckpoint: AuditCheckpoint?
    public private(set) var count: Int64 = 0
    private var previous = ""

    public init(chain: AuditChain, checkpoints: [AuditCheckpoint]) {
        self.chain = chain
        var byCount: [Int64: AuditCheckpoint] = [:]
        for checkpoint in checkpoints where checkpoint.count > 0 { byCount[checkpoint.count] = checkpoint }
        self.checkpoints = byCount
        newestCheckpoint = checkpoints.max { $0.count < $1.count }
    }

    /// The next event, with the MAC stored beside it. Returns the first problem, if this event shows one.
    public mutating func check(_ event: ChainedEvent, storedMAC: String) -> AuditFinding? {
        guard event.seq == count + 1 else {
            if event.seq > count + 1 { return .missing(from: count + 1, nextFound: event.seq) }
            return .altered(seq: event.seq, id: event.id)
        }
        guard chain.mac(event, previous: previous) == storedMAC else {
            return .altered(seq: event.seq, id: event.id)
        }
        if let checkpoint = checkpoints[event.seq], checkpoint.mac != storedMAC {
            return .rewritten(seq: event.seq, id: event.id, checkpointAt: checkpoint.at)
        }
        count = event.seq
        previous = storedMAC
        return nil
    }

    /// After the last event: were the newest events removed since a checkpoint?
    public func finish() -> AuditFinding? {
        guard let newest = newestCheckpoint, newest.count > count else { return nil }
        return .truncated(count: count, checkpointCount: newest.count, checkpointAt: newest.at)
    }
}
