import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A diagnostic job that misbehaves on request, to prove how each engine copes: it can echo,
/// sleep, fail, crash the process, exit, print garbage on the wire or hang.
///
/// Every output carries the process id and monotonic start/end times (comparable across
/// processes on Linux), so callers can measure how many items really ran at once.
package struct ProbeJob: Job {
    package static let name = "trenza.probe"

    /// What the probe does with one input.
    package enum Action: Codable, Sendable, Equatable {
        /// Return `value`.
        case echo(Int)
        /// Sleep `milliseconds`, then return `value`.
        case sleep(milliseconds: Int, value: Int)
        /// Throw a ``JobError`` with `message`.
        case fail(message: String)
        /// Call `abort()`: the process dies with SIGABRT.
        case abort
        /// Call `exit(code)` without replying.
        case exit(code: Int32)
        /// Write bytes that are not a protocol frame to the worker's reply pipe, then sleep.
        case garbage
        /// Never return.
        case hang
    }

    /// What the probe observed while running one input.
    package struct Report: Codable, Sendable, Equatable {
        package var value: Int
        package var processID: Int32
        /// Monotonic clock readings in seconds.
        package var start: Double
        package var end: Double
    }

    package init() {}

    package func run(_ action: Action) throws -> Report {
        let start = monotonicSeconds()
        let value: Int
        switch action {
        case .echo(let v):
            value = v
        case .sleep(let milliseconds, let v):
            Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
            value = v
        case .fail(let message):
            throw JobError(message)
        case .abort:
            Glibc.abort()
        case .exit(let code):
            Glibc.exit(code)
        case .garbage:
            Worker.writeGarbageToReplyChannel()
            Thread.sleep(forTimeInterval: 5)
            value = -1
        case .hang:
            while true { Thread.sleep(forTimeInterval: 3600) }
        }
        return Report(value: value, processID: getpid(), start: start, end: monotonicSeconds())
    }

    package func runAsync(_ action: Action) async throws -> Report {
        // Sleep without holding a cooperative thread, as an I/O-bound job would.
        if case .sleep(let milliseconds, let v) = action {
            let start = monotonicSeconds()
            try await Task.sleep(for: .milliseconds(milliseconds))
            return Report(value: v, processID: getpid(), start: start, end: monotonicSeconds())
        }
        return try run(action)
    }
}

/// The smallest useful job, `x → x²`: its cost is almost entirely the engine's dispatch overhead.
package struct SquareJob: Job {
    package static let name = "trenza.square"
    package init() {}
    package func run(_ x: Int) -> Int { x &* x }
    package func runAsync(_ x: Int) async -> Int { x &* x }
}

/// Seconds on the system-wide monotonic clock: comparable between processes on one machine.
package func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
