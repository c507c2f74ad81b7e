import Synchronization

/// A batch's measured time per item, which sizes its runs: until an item has been timed, one
/// item per run.
final class BatchPace: Sendable {
    /// Seconds of work a run aims at: long enough that handing it over is a small part of it,
    /// short enough that outcomes arrive often and the last runs spread evenly.
    static let targetSeconds = 0.001
    private let secondsPerItem = Mutex<Double?>(nil)

    var itemsPerRun: Int {
        guard let perItem = secondsPerItem.withLock({ $0 }) else { return 1 }
        return perItem <= 0 ? 4096 : max(1, min(4096, Int(Self.targetSeconds / perItem)))
    }

    /// How many of `remaining` items the next run takes when `width` lanes share them: a share
    /// of what is left (guided scheduling, so the last runs are small), capped by the pace.
    func runSize(remaining: Int, width: Int) -> Int {
        max(1, min(itemsPerRun, remaining / (2 * width)))
    }

    func record(items: Int, seconds: Double) {
        guard items > 0 else { return }
        let measured = seconds / Double(items)
        secondsPerItem.withLock { current in
            // A moving average: a few slow items nudge the pace, one does not reset it.
            current = current.map { 0.7 * $0 + 0.3 * measured } ?? measured
        }
    }
}
