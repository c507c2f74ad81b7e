import Foundation
import TrenzaTestSupport
import Trenza

#if canImport(Glibc)
import Glibc
#endif


func runner(_ engine: Engine, width: Int, timeout: Duration? = nil, chunkSize: Int = 1) -> Runner {
    Runner(engine: engine, width: width, options: .init(timeout: timeout, chunkSize: chunkSize, workerExecutable: trenzaPath))
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
