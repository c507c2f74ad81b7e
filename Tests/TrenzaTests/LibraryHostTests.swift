import Foundation
import Testing
import TrenzaTestSupport

/// A host program that never heard of a worker hook (`trenza-host-fixture`) uses worker
/// processes, run inside a pids cgroup so that a regression cannot fork-bomb the machine.
@Suite("Worker processes inside any host program")
struct LibraryHostTests {
    let fixture = builtExecutable("trenza-host-fixture")

    func run(_ mode: String) throws -> ContainedRun? {
        try runContained(fixture, [mode], maxProcesses: 64, timeout: 60)
    }

    @Test("workers never run the host's main; the job value passed is the one that runs, private types too")
    func jobsTravelWithoutHook() throws {
        guard let result = try run("scale") else {
            Issue.record("no pids cgroup to contain the run (needs root and /sys/fs/cgroup/pids)")
            return
        }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.timedOut)
        let mainRuns = (result.stdout + result.stderr).components(separatedBy: "main ran in").count - 1
        #expect(mainRuns == 1, "main must run once, in the host only:\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("ok 5\nok 10\nok 15"), "\(result.stdout)")
        #expect(result.stdout.contains("ok hola, ana from"), "\(result.stdout)")
        #expect(result.stdout.contains("workers 1") || result.stdout.contains("workers 2"), "workers are alive between batches:\n\(result.stdout)")
        #expect(result.leftBehind == 0)
    }

    @Test("numbers, strings and flags take the engine's compiled paths and give what threads give, errors included")
    func scalarJobsMatchThreads() throws {
        guard let result = try run("scalars") else { return }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Every outcome equal to the threads engine's, eight jobs over twenty thousand inputs;
        // 2,929 of the inputs are multiples of seven, each a job error of its own.
        #expect(result.stdout.contains("scalars mismatches 0 picky-failures 2929"), "\(result.stdout)\(result.stderr)")
        #expect(result.leftBehind == 0)
    }

    @Test("a crash names its cause: the worker's fatal error message, without a backtrace flood")
    func crashNamesCause() throws {
        guard let result = try run("crash") else { return }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains("ok 12"))
        #expect(lines.contains("ok 14"))
        let failure = lines.first { $0.hasPrefix("failed workerCrashed") }
        #expect(failure?.contains("signal") == true, "\(result.stdout)")
        #expect(failure?.contains("the sky fell on item 13") == true, "\(result.stdout)")
        #expect(result.stderr.split(separator: "\n").count < 20, "stderr stays short:\n\(result.stderr)")
        #expect(result.leftBehind == 0)
    }

    @Test("a job cannot start a pool inside a worker: a clear error, not a chain of processes")
    func poolsDoNotNest() throws {
        guard let result = try run("nested") else { return }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("failed jobError: a worker process cannot start worker processes of its own"), "\(result.stdout)")
        #expect(result.leftBehind == 0)
    }

    @Test("per-worker setup runs in every worker; workers are recycled after their share")
    func setupAndRecycling() throws {
        guard let result = try run("setup") else { return }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let marks = result.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }
        #expect(marks.count == 6, "\(result.stdout)")
        #expect(marks.allSatisfy { $0.hasPrefix("ok marked:") }, "\(result.stdout)")
        let pids = Set(marks.map { $0.split(separator: ":").last! })
        // Six items, at most two per worker: at least three different processes ran them.
        #expect(pids.count >= 3, "\(marks)")
    }

    @Test("a job with state that cannot travel is refused with the fix, never run with other state")
    func unsendableRefused() throws {
        guard let result = try run("unsendable") else { return }
        #expect(result.stdout.contains("failed protocolError: job Unsendable has stored properties but is not Codable"), "\(result.stdout)")
    }
}

@Suite("Streams and futures on worker processes (contained)")
struct StreamAndFutureHostTests {
    let fixture = builtExecutable("trenza-host-fixture")

    @Test("streaming 20× more inputs takes no more memory: inputs are pulled as room frees up")
    func streamMemoryIsFlat() throws {
        guard let small = try runContained(fixture, ["stream", "50000"]),
              let large = try runContained(fixture, ["stream", "1000000"], timeout: 120) else { return }
        func figures(_ run: ContainedRun) -> (seen: Int, sum: Int, peak: Int)? {
            let words = run.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
            guard let at = words.firstIndex(of: "stream"), words.count > at + 5 else { return nil }
            return (Int(words[at + 1]) ?? -1, Int(words[at + 3]) ?? -1, Int(words[at + 5]) ?? -1)
        }
        let a = try #require(figures(small), "\(small.stdout)\(small.stderr)")
        let b = try #require(figures(large), "\(large.stdout)\(large.stderr)")
        #expect(a.seen == 50_000)
        #expect(b.seen == 1_000_000)
        // Σ x² for x < n, wrapping as the job does.
        func sumOfSquares(_ n: Int) -> Int { (0..<n).reduce(0) { $0 &+ $1 &* $1 } }
        #expect(a.sum == sumOfSquares(50_000))
        #expect(b.sum == sumOfSquares(1_000_000))
        // A whole array of 1,000,000 inputs and outcomes would add well over 30 MiB.
        #expect(b.peak < a.peak + 20 * 1024, "peak RSS \(a.peak) KiB for 100k, \(b.peak) KiB for 2M")
    }

    @Test("2,000 pending submits cost no thread each")
    func futuresNeedNoThreads() throws {
        guard let result = try runContained(fixture, ["futures", "2000"], maxProcesses: 128) else { return }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let words = result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
        let at = try #require(words.firstIndex(of: "futures"), "\(result.stdout)")
        #expect(Int(words[at + 1]) == 2_000)
        let threads = try #require(Int(words[at + 3]))
        #expect(threads < 40, "at most a few dozen threads for 2,000 pending submits, saw \(threads)")
    }
}
