import Foundation
import Testing

@testable import OnboardDomain

@Suite("Audit chain")
struct AuditChainTests {
    let chain = AuditChain(key: Array("a-key-of-thirty-two-characters!!".utf8))

    func events(_ count: Int) -> [(ChainedEvent, String)] {
        var previous = ""
        return (1...count).map { seq in
            let event = ChainedEvent(
                seq: Int64(seq), id: "id-\(seq)", occurredMicros: Int64(seq) * 1_000_000, action: "test.change",
                targetType: "database", targetID: "\(seq)")
            let mac = chain.mac(event, previous: previous)
            previous = mac
            return (event, mac)
        }
    }

    @Test("Fields are length-prefixed, so moving a separator changes the text")
    func canonical() {
        let a = ChainedEvent(seq: 1, id: "x", occurredMicros: 1, action: "a|b", targetType: "c")
        let b = ChainedEvent(seq: 1, id: "x", occurredMicros: 1, action: "a", targetType: "b|c")
        #expect(a.canonical != b.canonical)
        let absent = ChainedEvent(seq: 1, id: "x", occurredMicros: 1, action: "a", targetType: "c", targetID: nil)
        let empty = ChainedEvent(seq: 1, id: "x", occurredMicros: 1, action: "a", targetType: "c", targetID: "")
        #expect(absent.canonical != empty.canonical)
    }

    @Test("Another key gives other MACs and digests")
    func keyed() {
        let other = AuditChain(key: Array("another-key-of-thirty-two-chars!".utf8))
        let event = events(1)[0].0
        #expect(chain.mac(event, previous: "") != other.mac(event, previous: ""))
        #expect(chain.digest("07700 900123", field: "after") != other.digest("07700 900123", field: "after"))
        #expect(chain.digest(nil, field: "after") == nil)
    }

    @Test("A whole chain verifies; a gap, an edit and a truncation are each named")
    func verifier() {
        let all = events(10)
        var clean = AuditVerifier(chain: chain, checkpoints: [AuditCheckpoint(count: 10, mac: all[9].1, at: "t")])
        for (event, mac) in all { #expect(clean.check(event, storedMAC: mac) == nil) }
        #expect(clean.finish() == nil)

        var gap = AuditVerifier(chain: chain, checkpoints: [])
        for (event, mac) in all.prefix(4) { _ = gap.check(event, storedMAC: mac) }
        #expect(gap.check(all[5].0, storedMAC: all[5].1) == .missing(from: 5, nextFound: 6))

        var edited = AuditVerifier(chain: chain, checkpoints: [])
        var changed = all[2].0
        changed.action = "test.other"
        for (event, mac) in all.prefix(2) { _ = edited.check(event, storedMAC: mac) }
        #expect(edited.check(changed, storedMAC: all[2].1) == .altered(seq: 3, id: "id-3"))

        var truncated = AuditVerifier(
            chain: chain, checkpoints: [AuditCheckpoint(count: 10, mac: all[9].1, at: "t")])
        for (event, mac) in all.prefix(7) { _ = truncated.check(event, storedMAC: mac) }
        #expect(truncated.finish() == .truncated(count: 7, checkpointCount: 10, checkpointAt: "t"))
    }

    @Test("A chain rebuilt with the key still differs from a checkpoint taken before")
    func rewrittenWithKey() {
        let all = events(5)
        var rebuilt: [(ChainedEvent, String)] = Array(all.prefix(2))
        var previous = all[1].1
        for (event, _) in all.suffix(3) {
            var forged = event
            forged.action = "test.forged"
            let mac = chain.mac(forged, previous: previous)
            previous = mac
            rebuilt.append((forged, mac))
        }
        var verifier = AuditVerifier(chain: chain, checkpoints: [AuditCheckpoint(count: 4, mac: all[3].1, at: "t")])
        var finding: AuditFinding?
        for (event, mac) in rebuilt where finding == nil { finding = verifier.check(event, storedMAC: mac) }
        #expect(finding == .rewritten(seq: 4, id: "id-4", checkpointAt: "t"))
    }
}

@Suite("Bar charts")
struct BarChartTests {
    @Test("Every piece of text is escaped, and the chart names its title and description")
    func escaped() {
        let chart = BarChart(
            id: "c1", title: "Sales & <script>", description: "\"Quoted\" 'text'",
            bars: [.init("<b>Bold</b> & co", 3), .init("Zero", 0)])
        let svg = chart.svg
        #expect(svg.contains("role=\"img\""))
        #expect(svg.contains("aria-labelledby=\"c1-title c1-desc\""))
        #expect(svg.contains("<title id=\"c1-title\">Sales &amp; &lt;script&gt;</title>"))
        #expect(svg.contains("&quot;Quoted&quot; &#39;text&#39;"))
        #expect(svg.contains("&lt;b&gt;Bold&lt;/b&gt; &amp; co"))
        #expect(!svg.contains("<script>") && !svg.contains("<b>"))
        #expect(svg.components(separatedBy: "<rect").count == 3)
    }

    @Test("Bars are in proportion and values are grouped in thousands")
    func proportion() {
        let svg = BarChart(id: "c", title: "t", description: "d", bars: [.init("a", 1_700_000), .init("b", 850_000)])
            .svg
        #expect(svg.contains("width=\"320\""))
        #expect(svg.contains("width=\"160\""))
        #expect(svg.contains(">1,700,000<"))
        #expect(BarChart.grouped(-1234) == "-1,234")
        let percent = BarChart(id: "p", title: "t", description: "d", bars: [.init("a", 50)], unit: "%", scale: 100).svg
        #expect(percent.contains("width=\"160\""))
    }
}

@Suite("Checkpoint selection")
struct CheckpointSelectionTests {
    private let mine = AuditCheckpoint(chain: "a", count: 3, mac: "m3", at: "t1")
    private let theirs = AuditCheckpoint(chain: "b", count: 9, mac: "n9", at: "t2")
    private let unnamed = AuditCheckpoint(count: 2, mac: "m2", at: "t0")

    @Test("Only this chain's checkpoints count, and those written before chains had names")
    func own() {
        let selection = CheckpointSelection([unnamed, mine, theirs], chain: "a")
        #expect(selection.own == [unnamed, mine])
        #expect(selection.others == 1)
        #expect(selection.problem == nil)
    }

    @Test("A chain with none of its own beside another chain's is a problem; an empty sink is not")
    func swapped() {
        let swapped = CheckpointSelection([theirs], chain: "a")
        #expect(swapped.own.isEmpty)
        #expect(swapped.problem?.contains("the sink holds another chain's") == true)
        #expect(CheckpointSelection([theirs], chain: nil).problem != nil)
        #expect(CheckpointSelection([], chain: "a").problem == nil)
    }
}
