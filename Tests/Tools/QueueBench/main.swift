// Raw claim→complete throughput of the cluster queue, without any job running: how many chunks
// (and inputs, at `--items` per chunk) per second PostgreSQL lets workers take and finish, with
// every commit durable. Starts a throw-away server unless given `--queue URL`.
//
//   swift build -c release --product trenza-queue-bench && .build/release/trenza-queue-bench
import Foundation
import Trenza
import TrenzaCluster
import TrenzaClusterTestSupport

struct Settings {
    var chunks = 20_000
    var items = 100
    var claimers = 2
    var batch = 16
    var payloadBytesPerItem = 8
    var url: String?
    /// End to end instead: `ClusterQueue.map` of this many tiny inputs through `claimers` workers.
    var mapInputs: Int?
    /// With `--map`: the workers are `trenza worker --serve probe` processes started by the
    /// caller, not tasks of this process.
    var external = false

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "--external" {
                external = true
                continue
            }
            guard let value = rest.popFirst() else { throw BenchUsage("\(flag) needs a value") }
            switch flag {
            case "--chunks": chunks = try Self.number(flag, value)
            case "--items": items = try Self.number(flag, value)
            case "--claimers": claimers = try Self.number(flag, value)
            case "--batch": batch = try Self.number(flag, value)
            case "--bytes": payloadBytesPerItem = try Self.number(flag, value)
            case "--queue": url = value
            case "--map": mapInputs = try Self.number(flag, value)
            default: throw BenchUsage("unknown flag \(flag) (--chunks --items --claimers --batch --bytes --queue --map --external)")
            }
        }
    }

    static func number(_ flag: String, _ value: String) throws -> Int {
        guard let number = Int(value), number > 0 else { throw BenchUsage("\(flag) takes a positive whole number, not \(value)") }
        return number
    }
}

struct BenchUsage: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func measure(_ settings: Settings, url: QueueURL) async throws {
    try await ClusterQueue.withQueue(url, maxConnections: settings.claimers + 2) { queue in
        let payload = [UInt8](repeating: 7, count: settings.items * settings.payloadBytesPerItem)
        let job = JobKey("bench.tiny")
        let submitStart = ContinuousClock.now
        let run = try await queue.createRun(RunRequest(job: job)).id
        try await queue.addChunks(run: run, (0..<settings.chunks).map { ChunkInput(seq: $0, itemCount: settings.items, payload: payload) })
        try await queue.sealRun(run)
        let submitted = ContinuousClock.now - submitStart

        let start = ContinuousClock.now
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<settings.claimers {
                group.addTask {
                    let worker = try await queue.registerWorker(host: "bench", pid: index, jobs: [job])
                    var finished = 0
                    while true {
                        let claimed = try await queue.claim(worker: worker, jobs: [job], limit: settings.batch, lease: .seconds(60))
                        if claimed.isEmpty { return finished }
                        finished += try await queue.complete(claimed.map { ChunkCompletion(lease: $0.lease, result: $0.input) }).count
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let submitSeconds = Double(submitted.components.seconds) + Double(submitted.components.attoseconds) / 1e18
        let status = try await queue.status(run: run)
        print("""
            queue: \(url)
            submitted \(settings.chunks) chunks × \(settings.items) items in \(String(format: "%.2f", submitSeconds)) s \
            (\(Int(Double(settings.chunks * settings.items) / submitSeconds)) items/s)
            \(settings.claimers) claimers, \(settings.batch) chunks per claim and per completion: \(done) chunks in \(String(format: "%.2f", seconds)) s
            \(Int(Double(done) / seconds)) chunks/s, \(Int(Double(done * settings.items) / seconds)) items/s (durable commits)
            all done: \(status?.chunks(.done) == settings.chunks)
            """)
    }
}

struct Square: Job {
    static let name = "bench.square"
    func run(_ x: Int) -> Int { x &* x }
}

/// The whole path a user takes: `ClusterQueue.map` submits chunks of `--items` inputs and waits
/// for `--claimers` `ClusterWorker`s (each on a one-thread pool in this process) to run them,
/// claiming and completing `--batch` chunks per statement; every output is checked.
func measureMap(_ count: Int, _ settings: Settings, url: QueueURL) async throws {
    try await ClusterQueue.withQueue(url, maxConnections: settings.claimers * 2 + 2) { queue in
        let inputs = Array(0..<count)
        let start = ContinuousClock.now
        let run: Int64
        let outcomes: [Outcome<Int>]
        if settings.external {
            (run, outcomes) = try await queue.map(SquareJob(), inputs, chunkSize: settings.items)
        } else {
            (run, outcomes) = try await withThrowingTaskGroup(of: Void.self) { group in
                var pools: [Pool] = []
                for _ in 0..<settings.claimers {
                    let pool = try Pool(engine: .threads, width: 1)
                    pools.append(pool)
                    let worker = ClusterWorker(queue: queue, jobs: [ClusterJob(Square.self)], pool: pool,
                                               options: .init(chunksPerClaim: settings.batch, idlePoll: .milliseconds(5)))
                    group.addTask { try await worker.run() }
                }
                let mapped = try await queue.map(Square(), inputs, chunkSize: settings.items)
                group.cancelAll()
                try await group.waitForAll()
                for pool in pools { await pool.shutdown() }
                return mapped
            }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let right = zip(outcomes, inputs).allSatisfy { $0.output == $1 &* $1 }
        print("""
            queue: \(url)
            map: \(count) tiny inputs in chunks of \(settings.items), \(settings.external ? "external" : "\(settings.claimers) in-process") workers, \(settings.batch) chunks per claim: \
            \(String(format: "%.2f", seconds)) s, \(Int(Double(count) / seconds)) inputs/s end to end (durable commits), run \(run), all right: \(right)
            """)
    }
}

do {
    let settings = try Settings(Array(CommandLine.arguments.dropFirst()))
    let bench: @Sendable (QueueURL) async throws -> Void = { url in
        if let count = settings.mapInputs { try await measureMap(count, settings, url: url) } else { try await measure(settings, url: url) }
    }
    if let text = settings.url {
        try await bench(try QueueURL(text))
    } else {
        let server = try TestPostgres(durable: true)
        do {
            try await bench(server.socketURL)
            server.stop()
        } catch {
            server.stop()
            throw error
        }
    }
} catch {
    FileHandle.standardError.write(Data("trenza-queue-bench: \(error)\n".utf8))
    exit(1)
}
