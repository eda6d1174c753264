/// Takes secrets out of text bound for a log: credentials in headers (`Authorization`, `Cookie`,
/// `Set-Cookie`, `X-Api-Key`), bearer tokens and the service's own `onb_` tokens wherever they appear, and the
/// value of any field named like a password, code, token, secret or key (`password=…`, `"code": "…"`).
/// Errors from libraries describe whole requests, headers included, so every log line passes through here.
public enum LogRedaction {
    public static let mark = "[redacted]"

    public static func redact(_ text: String) -> String {
        // Most log text (a route, a status, a time) holds none of the words the patterns start from, and the
        // four patterns cost 12 % of a request's CPU when run on every line: they run only on text that could
        // match.
        guard mightHoldSecret(text) else { return text }
        var result = text
        result.replace(headers) { match in "\(match.output.1)\(match.output.2)\(mark)" }
        result.replace(bearer) { match in "\(match.output.1) \(mark)" }
        result.replace(serviceToken) { _ in "onb_\(mark)" }
        result.replace(fields) { match in "\(match.output.1)\(match.output.2)\(mark)" }
        return result
    }

    /// Every pattern below needs one of these words (in any case) to match.
    private static let cues = [
        "authorization", "cookie", "x-api-key", "bearer", "basic", "onb_", "pass", "code", "token", "secret",
        "apikey", "api_key", "otp",
    ].map { Array($0.utf8) }

    static func mightHoldSecret(_ text: String) -> Bool {
        // Case-insensitive patterns fold some letters outside ASCII onto ASCII ones (ſ onto s, the kelvin sign
        // onto k), so such text always gets the patterns; otherwise ASCII lower-casing finds every cue.
        if text.utf8.contains(where: { $0 >= 0x80 }) { return true }
        let lowered = text.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }
        return cues.contains { cue in
            guard lowered.count >= cue.count else { return false }
            for start in 0...(lowered.count - cue.count)
            where lowered[start] == cue[0] && lowered[start..<start + cue.count].elementsEqual(cue) {
                return true
            }
            return false
        }
    }

    /// `Authorization: Bearer x`, `cookie=a=b; c=d`: up to the next header in a list (`, Name:`), the end of the
    /// line, a quote or a closing bracket.
    nonisolated(unsafe) private static let headers =
        /(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key)("?\s*[:=]\s*"?)[^\n"\]\}]+?(?=,\s*[A-Za-z][A-Za-z0-9-]*\s*:|[\n"\]\}]|$)/
    nonisolated(unsafe) private static let bearer = /(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+\/=-]{6,}/
    nonisolated(unsafe) private static let serviceToken = /onb_[A-Za-z0-9_-]{6,}/
    /// A field's value up to a separator: `password=x&…`, `"code":"123456"`, `token: abc`.
    nonisolated(unsafe) private static let fields =
        /(?i)\b([a-z_]*(?:password|passcode|passwd|code|token|secret|api_?key|otp)[a-z_]*)("?\s*[:=]\s*"?)[^"&\s,;\}\]]+/
}
