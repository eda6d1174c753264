import Foundation
import NIOConcurrencyHelpers

/// One email or text message to a person.
public struct OutboundMessage: Sendable, Equatable, Codable {
    public var to: String
    public var subject: String
    public var body: String
    public var sentAt: Date

    public init(to: String, subject: String, body: String, sentAt: Date) {
        self.to = to
        self.subject = subject
        self.body = body
        self.sentAt = sentAt
    }
}

/// Sending, as a seam. Until GOV.UK Notify arrives with the accounts issue, every environment keeps
/// messages in memory: development shows them at /dev/messages and tests read them (docs/decisions.md).
public struct MessageSender: Sendable {
    public var send: @Sendable (OutboundMessage) async throws -> Void

    public init(send: @escaping @Sendable (OutboundMessage) async throws -> Void) { self.send = send }

    public static func memory(_ box: SentMessages) -> MessageSender {
        MessageSender { message in box.append(message) }
    }
}

/// The most recent messages, newest last, bounded so a long-running development server does not grow.
public final class SentMessages: Sendable {
    private let box = NIOLockedValueBox<[OutboundMessage]>([])
    private let limit: Int

    public init(limit: Int = 200) { self.limit = limit }

    public func append(_ message: OutboundMessage) {
        box.withLockedValue { list in
            list.append(message)
            if list.count > limit { list.removeFirst(list.count - limit) }
        }
    }

    public var all: [OutboundMessage] { box.withLockedValue { $0 } }

    public func to(_ address: String) -> [OutboundMessage] { all.filter { $0.to == address } }
}
