import Foundation

/// Text for a SQL `LIKE ... ESCAPE '\'` that matches `text` anywhere, with its own wildcards taken literally.
func likeContaining(_ text: String) -> String {
    let escaped = text.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
        .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    return "%" + escaped + "%"
}
