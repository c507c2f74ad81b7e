import Foundation
import Trenza

#if canImport(Glibc)
import Glibc
#endif

/// The `trenza` executable that `swift test` builds beside the test bundle: the worker program
/// for process-engine tests (the test runner itself cannot be one).
let trenzaExecutable: String = {
    // Workers inherit this: the tests crash workers on purpose, and a backtrace of each would
    // bury the test output.
    setenv("SWIFT_BACKTRACE", "enable=no", 1)
    let bundle = URL(fileURLWithPath: ProcessPool.currentExecutable)
    var folder = bundle.deletingLastPathComponent()
    // On Linux the bundle is `.build/<config>/TrenzaPackageTests.xctest`, an executable file.
    for _ in 0..<3 {
        let candidate = folder.appendingPathComponent("trenza").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return bundle.deletingLastPathComponent().appendingPathComponent("trenza").path
}()

func runner(_ engine: Engine, width: Int, timeout: Duration? = nil, chunkSize: Int = 1) -> Runner {
    Runner(engine: engine, width: width, options: .init(timeout: timeout, chunkSize: chunkSize, workerExecutable: trenzaExecutable))
}

/// True once `pid` is gone and reaped: not running and not a zombie.
func processIsGone(_ pid: Int32) -> Bool {
    kill(pid, 0) == -1 && errno == ESRCH
}

/// Waits up to `seconds` for every pid to be gone.
func waitUntilGone(_ pids: [Int32], seconds: Double = 5) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while monotonicSeconds() < deadline {
        if pids.allSatisfy(processIsGone) { return true }
        usleep(20_000)
    }
    return pids.allSatisfy(processIsGone)
}

/// The largest number of `[start, end)` intervals that overlap at one instant.
func maximumOverlap(_ intervals: [(start: Double, end: Double)]) -> Int {
    var edges: [(time: Double, delta: Int)] = []
    for interval in intervals {
        edges.append((interval.start, 1))
        edges.append((interval.end, -1))
    }
    // At a tie, an end comes before a start: touching intervals do not overlap.
    edges.sort { a, b in a.time != b.time ? a.time < b.time : a.delta < b.delta }
    var current = 0, most = 0
    for (_, delta) in edges {
        current += delta
        most = max(most, current)
    }
    return most
}
