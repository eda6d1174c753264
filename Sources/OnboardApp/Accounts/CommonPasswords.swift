import Foundation

/// The blocklist shipped with the project (Sources/OnboardApp/common-passwords.txt), read once.
enum CommonPasswords {
    static let list: Set<String> = {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
    }()

    static func contains(_ lowercased: String) -> Bool { list.contains(lowercased) }
}
