import Synchronization
import Testing
@testable import Trenza

@Suite("Progress")
struct ProgressTests {
    @Test("the bar shows counts, percentage, failures, rate, bytes and ETA")
    func render() {
        var tally = ProgressTally(total: 300)
        tally.started = 130
        tally.succeeded = 118
        tally.failed = 2
        tally.bytes = 2_500_000
        let line = ProgressBar(unit: "files").render(tally, elapsed: 4, columns: 120)
        #expect(line.hasPrefix("[#########...............]"), "\(line)")
        #expect(line.contains("120/300 files"))
        #expect(line.contains("40%"))
        #expect(line.contains("2 failed"))
        #expect(line.contains("30.0 files/s"))
        #expect(line.contains("2.5 MB"))
        #expect(line.contains("625.0 kB/s"))
        #expect(line.contains("ETA 0:06"))
        #expect(line.count <= 120)
    }

    @Test("a narrow terminal drops the bar but keeps the figures")
    func narrow() {
        let line = ProgressBar().render(ProgressTally(total: 10), elapsed: 0, columns: 20)
        #expect(!line.contains("["))
        #expect(line.count <= 20)
    }

    @Test("on a terminal, redraws are limited to ten a second, and the last one always shows")
    func throttled() {
        let now = Mutex(0.0)
        let outputs = Mutex<[ProgressReporter.Output]>([])
        let reporter = ProgressReporter(total: 3, interactive: true, clock: { now.withLock { $0 } }) { output in
            outputs.withLock { $0.append(output) }
        }
        reporter.record(.started(index: 0))                        // t = 0: drawn
        now.withLock { $0 = 0.05 }
        reporter.record(.succeeded(index: 0, duration: .milliseconds(50)))       // too soon
        now.withLock { $0 = 0.2 }
        reporter.record(.succeeded(index: 1, duration: .milliseconds(100)))        // drawn
        now.withLock { $0 = 0.21 }
        reporter.record(.failed(ItemFailure(index: 2, kind: .jobError, message: "x")))  // last: drawn
        let drawn = outputs.withLock { $0 }
        #expect(drawn.count == 3)
        if case .redraw(let last) = drawn.last { #expect(last.contains("3/3") && last.contains("1 failed")) }
        #expect(reporter.tally.finished == 3)
    }

    @Test("in a log, one plain line per tenth of the batch")
    func plainLines() {
        let outputs = Mutex<[ProgressReporter.Output]>([])
        let reporter = ProgressReporter(total: 100, interactive: false) { output in
            outputs.withLock { $0.append(output) }
        }
        for index in 0..<100 { reporter.record(.succeeded(index: index, duration: .zero)) }
        let lines = outputs.withLock { $0 }
        #expect(lines.count == 10)
        #expect(lines.allSatisfy { if case .line = $0 { true } else { false } })
    }
}
