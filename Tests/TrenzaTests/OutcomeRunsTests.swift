import Testing
@testable import Trenza

@Suite("A map's outcomes gathered in place")
struct OutcomeRunsTests {
    /// Hands `values` to `runs` the way an engine does: in memory the receiver takes them from.
    private func deliver(_ runs: OutcomeRuns<String>, _ first: Int, _ values: [String]) {
        let buffer = UnsafeMutableBufferPointer<Outcome<String>>.allocate(capacity: values.count)
        _ = buffer.initialize(from: values.map { .success($0) })
        runs.add(first, buffer)
        buffer.deallocate()
    }

    @Test("chunks in any order land in input order; unanswered items read as cancelled")
    func orderAndGaps() {
        let runs = OutcomeRuns<String>(count: 7)
        deliver(runs, 4, ["e", "f"])
        deliver(runs, 0, ["a"])
        deliver(runs, 1, ["b", "c"])
        let values = runs.values()
        #expect(values.count == 7)
        #expect(values.prefix(3).map(\.output) == ["a", "b", "c"])
        #expect(values[3].failure?.kind == .cancelled && values[3].failure?.index == 3)
        #expect(values[4].output == "e" && values[5].output == "f")
        #expect(values[6].failure?.kind == .cancelled && values[6].failure?.index == 6)
    }

    @Test("a second outcome for an item, or one out of range, is dropped, never written over the first")
    func duplicatesDropped() {
        let runs = OutcomeRuns<String>(count: 3)
        deliver(runs, 0, ["a", "b"])
        deliver(runs, 1, ["again", "c"])
        deliver(runs, 2, ["c"])
        deliver(runs, 3, ["beyond"])
        #expect(runs.values().map(\.output) == ["a", "b", "c"])
    }

    @Test("outcomes never handed over are released with the runs")
    func releasedWithoutValues() {
        weak var watched: Box?
        do {
            let box = Box()
            watched = box
            let runs = OutcomeRuns<Box>(count: 2)
            let buffer = UnsafeMutableBufferPointer<Outcome<Box>>.allocate(capacity: 1)
            buffer.initialize(repeating: .success(box))
            runs.add(1, buffer)
            buffer.deallocate()
        }
        #expect(watched == nil)
    }

    final class Box: Sendable {}

    @Test("the filled set marks ranges once")
    func filledSet() {
        var set = FilledSet(count: 130)
        let inserted = [set.insert(0..<64), set.insert(64..<130), set.insert(129..<130), set.insert(130..<131)]
        #expect(inserted == [true, true, false, false])
        #expect(set.filledCount == 130)
        #expect(set.contains(0) && set.contains(63) && set.contains(64) && set.contains(129))
    }
}
