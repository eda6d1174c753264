/// Raw DEFLATE (RFC 1951) decompression after Mark Adler's puff.c, with a lookup table for short codes so
/// it keeps up with real workbooks. Built for hostile input: output is counted as it is produced and capped
/// by `limit`, and every read is checked, so a bad stream throws instead of trapping or running away.
enum Inflate {
    enum Failure: Error, Equatable {
        case truncated, malformed, tooLarge
    }

    static func decompress(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        var state = State(input: input, limit: limit)
        try state.run()
        return state.output
    }

    fileprivate static let lengthBase: [Int] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    fileprivate static let lengthExtra: [Int] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ]
    fileprivate static let distanceBase: [Int] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
        4097, 6145, 8193, 12289, 16385, 24577,
    ]
    fileprivate static let distanceExtra: [Int] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]
    fileprivate static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    // Tables of the fixed-code blocks (RFC 1951 3.2.6): built once, they are the same for every stream.
    fileprivate static let fixed: (lengths: Huffman, distances: Huffman) = {
        let lengths =
            [UInt8](repeating: 8, count: 144) + [UInt8](repeating: 9, count: 112)
            + [UInt8](repeating: 7, count: 24) + [UInt8](repeating: 8, count: 8)
        // Both codes are complete (32 distance codes, though 30 and 31 are invalid), so these cannot throw.
        let literal = (try? Huffman(lengths: lengths)) ?? Huffman.empty
        let distance = (try? Huffman(lengths: [UInt8](repeating: 5, count: 32))) ?? Huffman.empty
        return (literal, distance)
    }()
}

/// A canonical Huffman code: `count`/`symbol` as in puff, plus `fast`, indexed by the next `fastBits` input
/// bits, holding `symbol << 4 | length` for every code of up to `fastBits` bits (0 where there is none).
private struct Huffman {
    static let fastBits = 9
    static let empty = Huffman()

    var count = [Int](repeating: 0, count: 16)
    var symbol: [Int] = []
    var fast = [UInt16](repeating: 0, count: 1 << fastBits)
    var complete = false

    private init() {}

    init(lengths: [UInt8]) throws {
        for length in lengths {
            guard length <= 15 else { throw Inflate.Failure.malformed }
            count[Int(length)] += 1
        }
        var left = 1
        for length in 1...15 {
            left = left << 1 - count[length]
            if left < 0 { throw Inflate.Failure.malformed }  // over-subscribed
        }
        complete = left == 0
        // An incomplete code is only allowed as a lone one-bit code (puff's rule): a stream with one distance.
        if left > 0 && lengths.count - count[0] != count[1] { throw Inflate.Failure.malformed }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + count[length] }
        symbol = [Int](repeating: 0, count: lengths.count)
        var code = 0
        var nextCode = [Int](repeating: 0, count: 16)
        for length in 1...15 {
            code = (code + (length == 1 ? 0 : count[length - 1])) << 1
            nextCode[length] = code
        }
        for (value, length) in lengths.enumerated() where length != 0 {
            let length = Int(length)
            symbol[offsets[length]] = value
            offsets[length] += 1
            let code = nextCode[length]
            nextCode[length] += 1
            guard length <= Huffman.fastBits else { continue }
            // DEFLATE sends codes most significant bit first into a least-significant-first stream.
            var reversed = 0
            for bit in 0..<length where code & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
            var index = reversed
            while index < 1 << Huffman.fastBits {
                fast[index] = UInt16(value << 4 | length)
                index += 1 << length
            }
        }
    }
}

private struct State {
    let input: [UInt8]
    let limit: Int
    var position = 0
    var bits: UInt64 = 0
    var bitCount = 0
    var output: [UInt8] = []

    init(input: [UInt8], limit: Int) {
        self.input = input
        self.limit = limit
        output.reserveCapacity(max(0, min(limit, max(input.count * 4, 1 << 16))))
    }

    mutating func refill() {
        while bitCount <= 56 && position < input.count {
            bits |= UInt64(input[position]) << UInt64(bitCount)
            position += 1
            bitCount += 8
        }
    }

    mutating func take(_ count: Int) throws -> Int {
        if bitCount < count { refill() }
        guard bitCount >= count else { throw Inflate.Failure.truncated }
        let value = Int(bits & ((1 << UInt64(count)) - 1))
        bits >>= UInt64(count)
        bitCount -= count
        return value
    }

    mutating func decode(_ code: Huffman) throws -> Int {
        if bitCount < 15 { refill() }
        let entry = Int(code.fast[Int(bits & UInt64(1 << Huffman.fastBits - 1))])
        if entry != 0 {
            let length = entry & 15
            guard length <= bitCount else { throw Inflate.Failure.truncated }
            bits >>= UInt64(length)
            bitCount -= length
            return entry >> 4
        }
        // Longer codes are decoded a bit at a time, canonically, as puff does for all of them.
        var value = 0
        var first = 0
        var index = 0
        for length in 1...15 {
            guard length <= bitCount else { throw Inflate.Failure.truncated }
            value |= Int((bits >> UInt64(length - 1)) & 1)
            let count = code.count[length]
            if value - count < first {
                bits >>= UInt64(length)
                bitCount -= length
                return code.symbol[index + value - first]
            }
            index += count
            first = (first + count) << 1
            value <<= 1
        }
        throw Inflate.Failure.malformed
    }

    mutating func run() throws {
        var last = false
        while !last {
            last = try take(1) == 1
            switch try take(2) {
            case 0: try stored()
            case 1: try codes(Inflate.fixed.lengths, Inflate.fixed.distances)
            case 2: try dynamic()
            default: throw Inflate.Failure.malformed
            }
        }
    }

    mutating func stored() throws {
        // Drop to a byte boundary, then hand the bytes still buffered back to the input.
        bits >>= UInt64(bitCount & 7)
        bitCount &= ~7
        let length = try take(16)
        guard try take(16) == length ^ 0xFFFF else { throw Inflate.Failure.malformed }
        position -= bitCount / 8
        bits = 0
        bitCount = 0
        guard length <= input.count - position else { throw Inflate.Failure.truncated }
        guard length <= limit - output.count else { throw Inflate.Failure.tooLarge }
        output.append(contentsOf: input[position..<position + length])
        position += length
    }

    mutating func dynamic() throws {
        let literalCount = try take(5) + 257
        let distanceCount = try take(5) + 1
        let codeLengthCount = try take(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw Inflate.Failure.malformed }
        var codeLengths = [UInt8](repeating: 0, count: 19)
        for index in 0..<codeLengthCount { codeLengths[Inflate.codeLengthOrder[index]] = UInt8(try take(3)) }
        let codeLengthCode = try Huffman(lengths: codeLengths)
        guard codeLengthCode.complete else { throw Inflate.Failure.malformed }
        var lengths = [UInt8]()
        lengths.reserveCapacity(literalCount + distanceCount)
        while lengths.count < literalCount + distanceCount {
            let symbol = try decode(codeLengthCode)
            if symbol < 16 {
                lengths.append(UInt8(symbol))
                continue
            }
            var repeated: UInt8 = 0
            let times: Int
            switch symbol {
            case 16:
                guard let previous = lengths.last else { throw Inflate.Failure.malformed }
                repeated = previous
                times = 3 + (try take(2))
            case 17: times = 3 + (try take(3))
            default: times = 11 + (try take(7))
            }
            guard lengths.count + times <= literalCount + distanceCount else { throw Inflate.Failure.malformed }
            lengths.append(contentsOf: repeatElement(repeated, count: times))
        }
        // Without an end-of-block code the block could never finish.
        guard lengths[256] != 0 else { throw Inflate.Failure.malformed }
        let literal = try Huffman(lengths: Array(lengths[0..<literalCount]))
        let distance = try Huffman(lengths: Array(lengths[literalCount...]))
        try codes(literal, distance)
    }

    mutating func codes(_ literal: Huffman, _ distance: Huffman) throws {
        while true {
            var symbol = try decode(literal)
            if symbol < 256 {
                guard output.count < limit else { throw Inflate.Failure.tooLarge }
                output.append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            symbol -= 257
            guard symbol < 29 else { throw Inflate.Failure.malformed }
            let length = Inflate.lengthBase[symbol] + (try take(Inflate.lengthExtra[symbol]))
            let distanceSymbol = try decode(distance)
            guard distanceSymbol < 30 else { throw Inflate.Failure.malformed }
            let back = Inflate.distanceBase[distanceSymbol] + (try take(Inflate.distanceExtra[distanceSymbol]))
            guard back <= output.count else { throw Inflate.Failure.malformed }
            guard length <= limit - output.count else { throw Inflate.Failure.tooLarge }
            var from = output.count - back
            for _ in 0..<length {
                output.append(output[from])
                from += 1
            }
        }
    }
}
