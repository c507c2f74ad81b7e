import Testing
@testable import Trenza

@Suite("Runs of items for threads and tasks")
struct ThreadRunsTests {
    @Test("until an item is timed, one item per run; then about a millisecond of work, within bounds")
    func paceSizesRuns() {
        let pace = BatchPace()
        #expect(pace.itemsPerRun == 1)
        pace.record(items: 1_000, seconds: 0.0001)       // 100 ns an item
        #expect(pace.itemsPerRun == 4096, "capped")
        let slow = BatchPace()
        slow.record(items: 1, seconds: 0.05)             // a download
        #expect(slow.itemsPerRun == 1)
        let middling = BatchPace()
        middling.record(items: 10, seconds: 0.0001)      // 10 µs an item
        #expect(middling.itemsPerRun == 100)
    }

    @Test("every item is handed out exactly once, in shrinking runs")
    func runsCoverOnce() {
        let pace = BatchPace()
        pace.record(items: 1_000, seconds: 0.0001)
        let runs = ThreadRuns(items: 10..<100_010, width: 4, pace: pace)
        var covered: [Range<Int>] = []
        while let run = runs.next() { covered.append(run) }
        #expect(covered.first?.lowerBound == 10 && covered.last?.upperBound == 100_010)
        #expect(zip(covered, covered.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(covered.map(\.count).max() == 4096)
        #expect(covered.last?.count == 1, "the tail is handed out an item at a time")
        #expect(runs.next() == nil)
    }

    @Test("slow items go one per run, so idle threads share them")
    func slowItemsOneByOne() {
        let pace = BatchPace()
        pace.record(items: 1, seconds: 1)
        let runs = ThreadRuns(items: 0..<8, width: 2, pace: pace)
        var sizes: [Int] = []
        while let run = runs.next() { sizes.append(run.count) }
        #expect(sizes == Array(repeating: 1, count: 8))
    }
}
