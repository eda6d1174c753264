/// Takes secrets out of text bound for a log: credentials in headers (`Authorization`, `Cookie`,
/// `Set-Cookie`, `X-Api-Key`), bearer tokens and the service's own `onb_` tokens wherever they appear, and the
/// value of any field named like a password, code, token, secret or key (`password=…`, `"code": "…"`).
/// Errors from libraries describe whole requests, headers included, so every log line passes through here.
public enum LogRedaction {
    public static let mark = "[redacted]"

    public static func redact(_ text: String) -> String {
        var result = text
        result.replace(headers) { match in "\(match.output.1)\(match.output.2)\(mark)" }
        result.replace(bearer) { match in "\(match.output.1) \(mark)" }
        result.replace(serviceToken) { _ in "onb_\(mark)" }
        result.replace(fields) { match in "\(match.output.1)\(match.output.2)\(mark)" }
        return result
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
