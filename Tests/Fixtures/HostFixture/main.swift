// A program that uses Trenza's worker processes the way a library inside any host would: it
// never calls a worker hook, and its `main` does things a worker must never repeat (it says so
// on stdout, and starts a pool). The tests run it contained (a pids cgroup) and read its output.
import Foundation
import Synchronization
import Trenza

#if canImport(Glibc)
import Glibc
#endif

/// A job with state: the value the caller passes must be the one that runs.
struct Scale: Job, Codable {
    static let name = "fixture.scale"
    var factor: Int
    func run(_ x: Int) -> Int { x * factor }
}

/// A private job type: named at run time by an address that ASLR moves between processes.
private struct Greeting: Job, Codable {
    static let name = "fixture.greeting"
    var salutation: String
    func run(_ name: String) -> String { "\(salutation), \(name) from \(getpid())" }
}

/// A job that dies with a Swift runtime error.
struct Doomed: Job {
    static let name = "fixture.doomed"
    func run(_ x: Int) -> Int {
        if x == 13 { fatalError("the sky fell on item \(x)") }
        return x
    }
}

/// A job that tries to start a pool of its own inside a worker.
struct Nested: Job {
    static let name = "fixture.nested"
    func run(_ x: Int) throws -> Int {
        do {
            _ = try ProcessPool(width: 2)
            return -1
        } catch {
            throw JobError(error.message)
        }
    }
}

/// Per-worker setup: leaves a mark in the worker's environment for the job to read.
struct MarkWorker: WorkerSetup {
    var mark: String
    func setUp() throws { setenv("FIXTURE_MARK", mark, 1) }
}

struct ReadMark: Job {
    static let name = "fixture.read-mark"
    func run(_ x: Int) -> String { (ProcessInfo.processInfo.environment["FIXTURE_MARK"] ?? "none") + ":\(getpid())" }
}

/// A job with state that cannot travel: must be refused on the process engine, never run silently.
struct Unsendable: Job {
    static let name = "fixture.unsendable"
    var factor: Int
    func run(_ x: Int) -> Int { x * factor }
}

/// The process's peak resident memory in KiB (VmHWM).
func peakResidentKiB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
}

func threadCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
}

struct Square: Job {
    static let name = "fixture.square"
    func run(_ x: Int) -> Int { x &* x }
}

struct Nap: Job {
    static let name = "fixture.nap"
    func run(_ milliseconds: Int) -> Int { usleep(UInt32(milliseconds) * 1000); return milliseconds }
}

/// 0, 1, 2, … made on demand: a generator no array holds.
struct Counting: AsyncSequence, Sendable {
    var limit: Int
    struct AsyncIterator: AsyncIteratorProtocol {
        var next = 0
        let limit: Int
        mutating func next() async -> Int? {
            guard next < limit else { return nil }
            next += 1
            return next - 1
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(limit: limit) }
}

func describe<T>(_ outcomes: [Outcome<T>]) -> String {
    outcomes.map { outcome in
        switch outcome {
        case .success(let value): "ok \(value)"
        case .failure(let failure): "failed \(failure.kind.rawValue): \(failure.message)"
        }
    }.joined(separator: "\n")
}

print("main ran in \(getpid())")
let mode = CommandLine.arguments.dropFirst().first ?? "scale"
do {
    switch mode {
    case "scale":
        let pool = try ProcessPool(width: 2)
        print(describe(await pool.map(Scale(factor: 5), [1, 2, 3])))
        print(describe(await pool.map(Greeting(salutation: "hola"), ["ana"])))
        print("workers \(pool.workerProcessIDs.count)")
        pool.shutdown()
    case "crash":
        let pool = try ProcessPool(width: 1)
        print(describe(await pool.map(Doomed(), [12, 13, 14], chunkSize: 1)))
        pool.shutdown()
    case "nested":
        let pool = try ProcessPool(width: 1)
        print(describe(await pool.map(Nested(), [1])))
        pool.shutdown()
    case "setup":
        let pool = try ProcessPool(width: 2, options: .init(setup: MarkWorker(mark: "marked"), maxItemsPerWorker: 2))
        print(describe(await pool.map(ReadMark(), Array(0..<6), chunkSize: 1)))
        pool.shutdown()
    case "unsendable":
        let pool = try ProcessPool(width: 1)
        print(describe(await pool.map(Unsendable(factor: 5), [1])))
        pool.shutdown()
    case "stream":
        // Inputs generated on demand: only the stream window is ever held.
        let count = Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 100_000
        let numbers = Counting(limit: count)
        let pool = try Pool(engine: .processes, width: 2)
        var sum = 0, seen = 0
        for try await result in pool.stream(Square(), numbers) {
            if case .success(let square) = result.outcome { sum &+= square; seen += 1 }
        }
        await pool.shutdown()
        print("stream \(seen) sum \(sum) peak-kib \(peakResidentKiB())")
    case "map":
        // Tiny items with default settings: what the automatic chunks make of them.
        let count = Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 1_000_000
        let pool = try ProcessPool(width: 2)
        _ = await pool.map(Square(), Array(0..<1_000))
        let inputs = Array(0..<count)
        let start = Date()
        let outcomes = await pool.map(Square(), inputs)
        let seconds = Date().timeIntervalSince(start)
        let sum = outcomes.reduce(0) { $0 &+ ($1.output ?? 0) }
        print("map \(count) sum \(sum) items/s \(Int(Double(count) / seconds))")
        pool.shutdown()
    case "futures":
        let count = Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 2_000
        let pool = try Pool(engine: .processes, width: 2)
        let most = Mutex(0)
        let sampler = Task {
            while !Task.isCancelled {
                let now = threadCount()
                most.withLock { $0 = max($0, now) }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let total = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<count { group.addTask { (await pool.submit(Nap(), 1)).output ?? 0 } }
            var total = 0
            for await value in group { total += value }
            return total
        }
        sampler.cancel()
        await pool.shutdown()
        print("futures \(total) max-threads \(most.withLock { $0 })")
    default:
        print("unknown mode \(mode)")
        exit(2)
    }
} catch {
    print("error: \(error)")
    exit(1)
}
