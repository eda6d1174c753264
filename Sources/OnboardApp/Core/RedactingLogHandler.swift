import Logging
import OnboardDomain

/// A log handler that passes every message and metadata value through `LogRedaction` before the handler it
/// wraps sees them: no token, cookie, password or code reaches a log, whichever library describes a request.
public struct RedactingLogHandler: LogHandler {
    public var wrapped: any LogHandler

    public init(wrapping handler: any LogHandler) {
        // Wrapping twice would only redact twice.
        wrapped = (handler as? RedactingLogHandler)?.wrapped ?? handler
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        wrapped.log(
            level: level, message: "\(LogRedaction.redact(message.description))",
            metadata: metadata.map { $0.mapValues(Self.redact) }, source: source, file: file, function: function,
            line: line)
    }

    static func redact(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(LogRedaction.redact(text))
        case .stringConvertible(let item): .string(LogRedaction.redact(item.description))
        case .array(let items): .array(items.map(redact))
        case .dictionary(let items): .dictionary(items.mapValues(redact))
        }
    }
}
