/// A horizontal bar chart drawn as SVG on the server: no script, a title and a description that assistive
/// technology reads (`role="img"`, `aria-labelledby`), and every piece of text XML-escaped. Pages put the
/// same figures in a table beside it, which is the fallback for anyone who cannot use the picture.
public struct BarChart: Sendable, Equatable {
    public struct Bar: Sendable, Equatable {
        public var label: String
        public var value: Int

        public init(_ label: String, _ value: Int) {
            self.label = label
            self.value = value
        }
    }

    public var id: String
    public var title: String
    public var description: String
    public var bars: [Bar]
    /// How a value is written beside its bar, for example "42" or "42%".
    public var unit: String
    /// The value a full-length bar stands for: 100 for percentages; otherwise the largest bar.
    public var scale: Int?

    public init(id: String, title: String, description: String, bars: [Bar], unit: String = "", scale: Int? = nil) {
        self.id = id
        self.title = title
        self.description = description
        self.bars = bars
        self.unit = unit
        self.scale = scale
    }

    static let width = 640
    static let labelWidth = 230
    static let barHeight = 24
    static let gap = 10
    static let valueRoom = 90

    public var svg: String {
        let id = Self.escape(self.id)
        let rows = max(bars.count, 1)
        let height = rows * (Self.barHeight + Self.gap) + Self.gap
        let largest = max(scale ?? 0, bars.map(\.value).max() ?? 0, 1)
        let room = Self.width - Self.labelWidth - Self.valueRoom
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"onboard-chart\" role=\"img\" "
            + "aria-labelledby=\"\(id)-title \(id)-desc\" viewBox=\"0 0 \(Self.width) \(height)\" "
            + "width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">"
            + "<title id=\"\(id)-title\">\(Self.escape(title))</title>"
            + "<desc id=\"\(id)-desc\">\(Self.escape(description))</desc>"
        if bars.isEmpty {
            out += "<text x=\"0\" y=\"\(Self.gap + 17)\" font-size=\"16\" fill=\"#4c6272\">Nothing to show</text>"
        }
        for (index, bar) in bars.enumerated() {
            let y = Self.gap + index * (Self.barHeight + Self.gap)
            let length =
                bar.value <= 0 ? 0 : max(2, Int((Double(bar.value) / Double(largest) * Double(room)).rounded()))
            let label = Self.shorten(bar.label, to: 30)
            out +=
                "<text x=\"\(Self.labelWidth - 8)\" y=\"\(y + 17)\" text-anchor=\"end\" font-size=\"15\" "
                + "fill=\"#212b32\">\(Self.escape(label))</text>"
                + "<rect x=\"\(Self.labelWidth)\" y=\"\(y)\" width=\"\(length)\" height=\"\(Self.barHeight)\" "
                + "fill=\"#005eb8\"></rect>"
                + "<text x=\"\(Self.labelWidth + length + 6)\" y=\"\(y + 17)\" font-size=\"15\" "
                + "fill=\"#212b32\">\(Self.escape(Self.grouped(bar.value) + unit))</text>"
        }
        return out + "</svg>"
    }

    /// Text made safe inside XML elements and attributes.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are not allowed in XML 1.0.
                if let scalar = character.unicodeScalars.first, scalar.value < 0x20, character != "\n",
                    character != "\t"
                {
                    continue
                }
                out.append(character)
            }
        }
        return out
    }

    static func shorten(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }

    /// 1234567 → "1,234,567".
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }
}
