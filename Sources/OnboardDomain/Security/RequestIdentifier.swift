/// A client's `X-Request-Id` is kept for tracing only when it is short and plain: an id from elsewhere goes into
/// logs and the audit log, which must not hold 60 KB of whatever a caller sends.
public enum RequestIdentifier {
    public static let maximumLength = 64

    public static func acceptable(_ raw: String?) -> String? {
        guard let raw, !raw.isEmpty, raw.utf8.count <= maximumLength,
            raw.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || $0 == "-" || $0 == "_" || $0 == "." || $0 == ":"
            })
        else { return nil }
        return raw
    }
}
