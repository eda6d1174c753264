import Foundation

/// What a password must be before it is hashed.
///
/// bcrypt reads only the first 72 bytes, so anything longer would silently accept every password that
/// shares those bytes. Rather than truncate, longer passwords are refused. Passwords are normalised to
/// NFC first so the same typed characters always give the same bytes, whichever keyboard produced them.
public enum PasswordPolicy {
    public static let maximumBytes = 72
    public static let minimumCharacters = 10

    public enum Problem: Error, Equatable, Sendable {
        case tooShort
        case tooLong
        case empty
        case containsName
        case common
        case recentlyUsed

        public var message: String {
            switch self {
            case .empty: "Enter a password"
            case .tooShort: "Password must be \(PasswordPolicy.minimumCharacters) characters or more"
            case .tooLong:
                "Password is too long. Use 64 characters or fewer (or fewer still if it has accented letters or symbols)"
            case .containsName: "Password must not contain your first name or surname"
            case .common: "Password is too common. Choose something harder to guess"
            case .recentlyUsed: "Password must be different from your last 4 passwords"
            }
        }
    }

    public static func normalise(_ password: String) -> String {
        password.precomposedStringWithCanonicalMapping
    }

    /// The normalised password, or why it cannot be used. Used when a password is set.
    public static func acceptNew(_ password: String) -> Result<String, Problem> {
        let normalised = normalise(password)
        if normalised.isEmpty { return .failure(.empty) }
        if normalised.count < minimumCharacters { return .failure(.tooShort) }
        if normalised.utf8.count > maximumBytes { return .failure(.tooLong) }
        return .success(normalised)
    }

    /// The personal rules on top of `acceptNew`: not the person's names, not a common password. No
    /// composition rules: length and the blocklist do the work (NHSmail's policy, NCSC guidance).
    public static func acceptNew(
        _ password: String, givenName: String, familyName: String, isCommon: (String) -> Bool
    ) -> Result<String, Problem> {
        let checked = acceptNew(password)
        guard case .success(let normalised) = checked else { return checked }
        let folded = normalised.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        for name in [givenName, familyName] {
            let part = name.trimmingCharacters(in: .whitespaces).folding(
                options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            if part.count >= 3, folded.contains(part) { return .failure(.containsName) }
        }
        if isCommon(normalised.lowercased()) { return .failure(.common) }
        return .success(normalised)
    }

    /// How many earlier passwords a new one must differ from.
    public static let historyDepth = 4

    /// The normalised password for checking at sign-in. Over-long input can never match a stored hash,
    /// because no stored password is over 72 bytes, so it is refused before bcrypt sees it.
    public static func forVerification(_ password: String) -> String? {
        let normalised = normalise(password)
        guard !normalised.isEmpty, normalised.utf8.count <= maximumBytes else { return nil }
        return normalised
    }
}
