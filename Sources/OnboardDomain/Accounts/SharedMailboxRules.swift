import Foundation

/// Shared mailboxes (DOMAIN.md, "Accounts"): a chosen part before the @, a display name naming the
/// organisation, and members with Full Access and/or Send As, at least one of them an owner.
public enum SharedMailboxRules {
    public struct Member: Equatable, Sendable {
        public var fullAccess: Bool
        public var sendAs: Bool
        public var owner: Bool

        public init(fullAccess: Bool, sendAs: Bool, owner: Bool) {
            self.fullAccess = fullAccess
            self.sendAs = sendAs
            self.owner = owner
        }
    }

    /// `Name (Organisation)`, unless the name already says which organisation.
    public static func displayName(_ name: String, organisation: String) -> String {
        let tidy = name.tidied
        let organisationName = organisation.tidied
        if tidy.localizedCaseInsensitiveContains(organisationName) { return tidy }
        return "\(tidy) (\(organisationName))"
    }

    /// A community pharmacy's premises mailbox, promised on its application: `pharmacy.<ods>`.
    public static func premisesLocalPart(ods: String) -> String { "pharmacy.\(ods.tidied.lowercased())" }

    /// Problems with a new mailbox's fields, by field.
    public static func validate(localPart: String, name: String) -> ValidationErrors {
        var errors = ValidationErrors()
        let part = localPart.tidied.lowercased()
        if part.isEmpty {
            errors.add("localPart", "Enter the part of the address before the @, like armley.pharmacy")
        } else if !AccountNaming.isValidLocalPart(part) {
            errors.add(
                "localPart",
                "Use lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit")
        }
        let tidy = name.tidied
        if tidy.isEmpty { errors.add("name", "Enter a name for the mailbox, like Armley Pharmacy team") }
        if tidy.count > 100 { errors.add("name", "The name must be 100 characters or fewer") }
        if let problem = AccountNaming.hiddenCharacterProblem(name, field: "The name") { errors.add("name", problem) }
        return errors
    }

    /// Why a member's rights cannot be as given, or nil.
    public static func problem(with member: Member) -> String? {
        member.fullAccess || member.sendAs || member.owner
            ? nil : "Choose Full Access, Send As or both"
    }

    /// Why removing or demoting a member would leave the mailbox without an owner, or nil.
    public static func problemLeaving(ownersBefore: Int, removingOwner: Bool) -> String? {
        removingOwner && ownersBefore <= 1
            ? "A shared mailbox needs at least one owner. Make someone else an owner first" : nil
    }
}
