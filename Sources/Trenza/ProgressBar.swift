import Foundation
import Synchronization

/// Draws a batch's progress as one line of text: `[#######.......]  120/300  40%  2 failed
/// 85.3 items/s  1.2 MB  ETA 0:02`. Pure: it formats, the caller decides where to write.
package struct ProgressBar: Sendable {
    /// What the items are called ("images", "files").
    package var unit: String

    package init(unit: String = "items") { self.unit = unit }

    /// The line for `tally` after `elapsed` seconds, fitted to `columns` characters.
    package func render(_ tally: ProgressTally, elapsed: Double, columns: Int = 80) -> String {
        let fraction = tally.total > 0 ? Double(tally.finished) / Double(tally.total) : 1
        var fields = ["\(tally.finished)/\(tally.total) \(unit)", "\(Int((fraction * 100).rounded(.down)))%"]
        if tally.failed > 0 { fields.append("\(tally.failed) failed") }
        if elapsed > 0, tally.finished > 0 {
            fields.append("\(Self.rate(Double(tally.finished) / elapsed)) \(unit)/s")
        }
        if tally.bytes > 0 {
            fields.append(Self.bytes(Double(tally.bytes)))
            if elapsed > 0 { fields.append("\(Self.bytes(Double(tally.bytes) / elapsed))/s") }
        }
        if tally.finished > 0, tally.finished < tally.total, elapsed > 0 {
            let remaining = elapsed / Double(tally.finished) * Double(tally.total - tally.finished)
            fields.append("ETA \(Self.clock(remaining))")
        }
        let text = fields.joined(separator: "  ")
        // A fixed width keeps the bar still while the figures beside it change length.
        let barWidth = 24
        guard columns - text.count - 4 >= barWidth else { return String(text.prefix(columns)) }
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]  " + text
    }

    static func rate(_ perSecond: Double) -> String {
        perSecond >= 100 ? String(format: "%.0f", perSecond) : String(format: "%.1f", perSecond)
    }

    /// Decimal units, as download tools show them.
    static func bytes(_ count: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = count, unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}

/// Turns a batch's ``ProgressEvent``s into output for a person: a bar redrawn at most ten
/// times a second on a terminal, or a plain line at every tenth of the batch otherwise.
package final class ProgressReporter: Sendable {
    /// What to show: replace the current line with a bar, or print a line of its own.
    package enum Output: Sendable, Equatable {
        case redraw(String)
        case line(String)
    }

    private struct State {
        var tally: ProgressTally
        var lastDraw = -Double.infinity
        var lastTenth = 0
    }

    private let bar: ProgressBar
    private let interactive: Bool
    private let columns: Int
    private let start: Double
    private let clock: @Sendable () -> Double
    private let sink: @Sendable (Output) -> Void
    private let state: Mutex<State>

    /// - Parameters:
    ///   - interactive: true on a terminal (redraw a bar), false for logs (plain lines).
    ///   - clock: seconds on a monotonic clock; injectable for tests.
    package init(total: Int, unit: String = "items", interactive: Bool, columns: Int = 80,
                clock: @escaping @Sendable () -> Double = monotonicSeconds,
                sink: @escaping @Sendable (Output) -> Void) {
        self.bar = ProgressBar(unit: unit)
        self.interactive = interactive
        self.columns = columns
        self.clock = clock
        self.start = clock()
        self.sink = sink
        self.state = Mutex(State(tally: ProgressTally(total: total)))
    }

    /// Folds in one event; a handler for ``Runner/map(_:_:onEvent:)``.
    package func record(_ event: ProgressEvent) {
        let now = clock()
        // The sink runs under the lock too, so lines come out in the order the tally moved.
        state.withLock { state in
            state.tally.record(event)
            let elapsed = now - start
            if interactive {
                guard now - state.lastDraw >= 0.1 || state.tally.finished == state.tally.total else { return }
                state.lastDraw = now
                sink(.redraw(bar.render(state.tally, elapsed: elapsed, columns: columns)))
                return
            }
            let tenth = state.tally.total > 0 ? state.tally.finished * 10 / state.tally.total : 10
            guard tenth > state.lastTenth else { return }
            state.lastTenth = tenth
            sink(.line(bar.render(state.tally, elapsed: elapsed, columns: columns)))
        }
    }

    /// The counts so far.
    package var tally: ProgressTally { state.withLock { $0.tally } }
}
