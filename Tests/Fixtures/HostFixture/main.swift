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

/// Jobs of plain numbers, strings and flags, which the process engine moves with code compiled
/// for those types, beside jobs that go through `Codable` on one side only.
struct Picky: Job {
    static let name = "fixture.picky"
    func run(_ x: Int) throws -> Int {
        if x % 7 == 0 { throw JobError("\(x) is a multiple of seven") }
        return x &* 3
    }
}

struct Halve: Job {
    static let name = "fixture.halve"
    func run(_ x: Double) -> Double { x / 2 }
}

struct IsEven: Job {
    static let name = "fixture.is-even"
    func run(_ x: Int) -> Bool { x % 2 == 0 }
}

struct Shout: Job {
    static let name = "fixture.shout"
    func run(_ text: String) -> String { text.uppercased() + "!" }
}

struct Spell: Job {
    static let name = "fixture.spell"
    func run(_ x: Int) -> String { String(repeating: "é", count: abs(x % 5)) + "\(x)" }
}

struct Measure: Job {
    static let name = "fixture.measure"
    func run(_ text: String) -> Int { text.utf8.count }
}

struct Point: Codable, Sendable, Equatable { var x: Int; var y: Int }

struct Place: Job {
    static let name = "fixture.place"
    func run(_ x: Int) -> Point { Point(x: x, y: -x) }
}

struct Total: Job {
    static let name = "fixture.total"
    func run(_ values: [Int]) -> Int { values.reduce(0, &+) }
}

/// Runs `job` on worker processes (automatic chunks) and on threads; counts the items whose
/// outcomes differ.
func mismatches<J: Job>(_ job: J, _ inputs: [J.Input], on pool: ProcessPool) async -> Int where J.Output: Equatable {
    let processes = await pool.map(job, inputs)
    let threads = await Runner(engine: .threads, width: 2).map(job, inputs)
    return zip(processes, threads).filter { pair in
        switch pair {
        case (.success(let a), .success(let b)): a != b
        case (.failure(let a), .failure(let b)): a.kind != b.kind || a.message != b.message || a.index != b.index
        default: true
        }
    }.count + abs(processes.count - threads.count)
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
    case "scalars":
        let pool = try ProcessPool(width: 2)
        let numbers = Array(-500..<20_000)
        var wrong = 0
        wrong += await mismatches(Picky(), numbers, on: pool)
        wrong += await mismatches(Halve(), numbers.map { Double($0) / 3 } + [.infinity, -0.0, .pi], on: pool)
        wrong += await mismatches(IsEven(), numbers, on: pool)
        let words = numbers.map { "word \($0) ñandú" } + ["", String(repeating: "x", count: 100_000)]
        wrong += await mismatches(Shout(), words, on: pool)
        wrong += await mismatches(Spell(), numbers, on: pool)
        wrong += await mismatches(Measure(), words, on: pool)
        wrong += await mismatches(Place(), numbers, on: pool)
        wrong += await mismatches(Total(), numbers.map { [$0, $0 + 1] }, on: pool)
        let failures = await pool.map(Picky(), numbers).filter { $0.failure != nil }.count
        print("scalars mismatches \(wrong) picky-failures \(failures)")
        pool.shutdown()
    case "map":
        // Tiny items with default settings: what the automatic chunks make of them.
        let count = Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 1_000_000
        let engine = CommandLine.arguments.dropFirst(3).first.flatMap(Engine.init(rawValue:)) ?? .processes
        let pool = try Pool(engine: engine, width: 2)
        _ = await pool.map(Square(), Array(0..<1_000))
        let inputs = Array(0..<count)
        let start = Date()
        let outcomes = await pool.map(Square(), inputs)
        let seconds = Date().timeIntervalSince(start)
        let sum = outcomes.reduce(0) { $0 &+ ($1.output ?? 0) }
        print("map \(count) on \(engine) sum \(sum) items/s \(Int(Double(count) / seconds))")
        await pool.shutdown()
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
