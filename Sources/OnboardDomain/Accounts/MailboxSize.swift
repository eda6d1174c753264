import Foundation

/// An organisation's own mailbox size, typed in whole gigabytes: empty means the service default.
public enum MailboxSize {
    public static let range = 1...100

    public enum Parsed: Equatable, Sendable {
        /// Use the service's default size.
        case serviceDefault
        case megabytes(Int)
    }

    /// What was typed, or the message that says how to put it right.
    public static func parse(_ typed: String) -> Result<Parsed, Problem> {
        let trimmed = typed.trimmingCharacters(in: .whitespaces).lowercased()
            .replacingOccurrences(of: "gb", with: "").trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return .success(.serviceDefault) }
        guard let gigabytes = Int(trimmed) else { return .failure(.notWhole) }
        guard range.contains(gigabytes) else { return .failure(.outOfRange) }
        return .success(.megabytes(gigabytes * 1024))
    }

    public enum Problem: Error, Equatable, Sendable {
        case notWhole, outOfRange

        public var message: String {
            switch self {
            case .notWhole: "Enter the size as a whole number of gigabytes, like 4"
            case .outOfRange:
                "Enter a size from \(MailboxSize.range.lowerBound) to \(MailboxSize.range.upperBound) gigabytes"
            }
        }
    }

    /// How a size in megabytes reads: "4 GB", or "500 MB" below a gigabyte.
    public static func describe(megabytes: Int) -> String {
        megabytes >= 1024 && megabytes % 1024 == 0 ? "\(megabytes / 1024) GB" : "\(megabytes) MB"
    }
}
