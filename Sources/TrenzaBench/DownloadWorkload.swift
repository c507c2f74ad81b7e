import Foundation
import Logging
import Trenza
import TrenzaCluster
import TrenzaFetch
import TrenzaServer

/// The tutorial's I/O-bound case (§5.1, §9.1): download many sample photos from a server that
/// answers after a delay, one after another and on each engine. The server is `trenza serve`'s
/// application, run in this process on a free port of 127.0.0.1: nothing leaves the machine.
enum DownloadWorkload {
    static func run(_ plan: BenchPlan, _ steps: StepCounter) async throws -> BenchSection {
        let latency = Duration.milliseconds(plan.downloadLatencyMilliseconds)
        steps.next("io: starting a server with \(plan.downloadLatencyMilliseconds) ms of latency, drawing \(plan.downloadCount) photos")
        return try await withServer(latency: latency) { base in
            let scratch = try ScratchFolder(prefix: "trenza-bench-io")
            defer { scratch.remove() }
            let folder = scratch.url
            let side = plan.downloadImageSide
            let requests = (1...plan.downloadCount).map { DownloadRequest(url: "\(base)/id/\($0)/\(side)/\(side * 3 / 4)") }
            let clients = FetchClients()
            var run = 0
            // Each batch gets a fresh folder: a folder that already holds the files would be skipped, not downloaded.
            func batch(width: Int) throws -> [FetchItem] {
                run += 1
                let destination = folder.appendingPathComponent("run-\(run)")
                try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
                let settings = FetchSettings(retry: RetryPolicy(retries: 0), connectionsPerHost: width)
                return FetchItem.batch(requests, folder: destination.path, settings: settings)
            }

            // The server draws each photo on its first request and keeps it: draw them all before timing.
            let warm = await Runner(engine: .async, width: 8).map(FetchJob(clients: clients), try batch(width: 8))
            let expectedBytes = warm.map { $0.output?.bytes ?? 0 }
            guard expectedBytes.allSatisfy({ $0 > 0 }) else {
                await clients.shutdown()
                throw JobError("the bench's own server did not serve every photo: \(warm.compactMap { $0.failure?.message ?? $0.output?.error }.first ?? "no reason given")")
            }
            func failures(_ results: [FetchResult?]) -> Int {
                zip(results, expectedBytes).filter { result, bytes in result?.succeeded != true || result?.bytes != bytes }.count
            }

            steps.next("io: sequential, \(requests.count) downloads one after another")
            let sequentialItems = try batch(width: 1)
            let sequentialStart = monotonicSeconds()
            var sequentialResults: [FetchResult?] = []
            for item in sequentialItems {
                sequentialResults.append(try? await FetchJob(clients: clients).runAsync(item))
            }
            let sequential = monotonicSeconds() - sequentialStart

            let totalBytes = expectedBytes.reduce(0, +)
            var section = BenchSection(
                id: "io", workload: .io, title: "I/O-bound: downloading photos (§9.1)",
                summary: "\(requests.count) generated \(side)×\(side * 3 / 4) JPEG photos (\(BenchFormat.bytes(Double(totalBytes))) in all) from an in-process trenza serve that answers each request after \(plan.downloadLatencyMilliseconds) ms, written to disk by trenza fetch's download job.",
                nature: .ioBound, unit: "photos", sequentialSeconds: sequential)
            let sequentialFailures = failures(sequentialResults)
            if sequentialFailures > 0 { section.notes.append("\(sequentialFailures) downloads failed in the sequential run.") }

            for width in plan.downloadWidths {
                for engine in Engine.allCases {
                    let lanes = engine == .processes ? min(width, plan.processCap) : width
                    steps.next("io: \(engine), width \(lanes)")
                    let runner = Runner(engine: engine, width: lanes, options: .init(workerExecutable: plan.workerExecutable))
                    let items = try batch(width: lanes)
                    let (outcomes, seconds, memory) = await BenchSuite.timed(engine) { await runner.map(FetchJob(clients: clients), items) }
                    section.rows.append(BenchSuite.row(engine, width: lanes, items: items.count, seconds: seconds, memory: memory,
                                                       failures: failures(outcomes.map(\.output))))
                }
                if let queue = plan.queue {
                    // Two workers sharing the width, as two machines would, each downloading on async.
                    let workers = min(2, width)
                    steps.next("io: cluster, \(workers) workers × \(width / workers)")
                    let items = try batch(width: width / workers)
                    let (outcomes, seconds, memory) = try await ClusterLanes(url: queue).map(
                        FetchJob(clients: clients), items, workers: workers, engine: .async, widthPerWorker: width / workers, chunkSize: 1)
                    section.rows.append(BenchSuite.row(.cluster, variant: "\(workers) workers", width: width, items: items.count, seconds: seconds,
                                                       memory: memory, failures: failures(outcomes.map(\.output))))
                }
            }
            await clients.shutdown()
            section.notes.append("Every engine uses the same download job (AsyncHTTPClient): async awaits it, a thread blocks on it, a worker process runs its own client. The server runs in this process, so its work counts in the memory figures.")
            if plan.downloadWidths.contains(where: { $0 > plan.processCap }) {
                section.notes.append("processes: at most \(plan.processCap) worker processes.")
            }
            return section
        }
    }

    /// Runs `body` with the demo server listening on a free port of 127.0.0.1, then stops it.
    private static func withServer<T: Sendable>(latency: Duration, _ body: (_ base: String) async throws -> T) async throws -> T {
        // Nothing is in flight when the bench stops the server: no reason to wait the default 10 s.
        let configuration = DemoServer.Configuration(host: "127.0.0.1", port: 0, logLevel: .critical,
                                                     shutdownTimeout: .milliseconds(200), latency: latency)
        let quiet = Logger(label: "trenza.bench.server") { _ in SwiftLogNoOpLogHandler() }
        return try await DemoServer.withRunning(configuration, logger: quiet) { address in try await body(address.url) }
    }
}
