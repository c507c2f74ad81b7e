import Foundation
import Logging
import Trenza
import TrenzaFetch
import TrenzaServer

/// What the download lessons (§4.2, §5.1) share: a `trenza serve` of their own on an ephemeral
/// port of 127.0.0.1, holding every response back by a latency, a scratch folder, and
/// TrenzaFetch's real download job run on any engine.
///
/// The pages come from the server's `/bytes/{size}?seed={seed}` route, whose bytes
/// (``SampleBytes``) the lesson computes itself, so every file is checked byte for byte.
struct LessonDownloads {
    /// One page to download.
    struct Page: Sendable {
        var size: Int
        var seed: UInt64
    }

    /// One batch on one engine, as measured.
    struct Run: Sendable {
        var engine: Engine
        var width: Int
        var seconds: Double
        /// One per page, in page order; `nil` where the engine lost the item itself.
        var results: [FetchResult?]
        /// What the engine said about items it lost (a worker that crashed, …).
        var engineFailures: [String]
    }

    /// What checking a run's files against the server's bytes found.
    struct Verdict: Sendable {
        var downloaded: Int
        var intact: Int
        var total: Int
        var problems: [String]
        var allIntact: Bool { downloaded == total && intact == total }
        var summary: String {
            let head = "\(downloaded) of \(total) downloaded, \(intact) byte-identical to the server's"
            return problems.isEmpty ? head : head + "; " + problems.prefix(3).joined(separator: "; ")
        }
    }

    let base: String
    let folder: String
    let clients: FetchClients
    let context: LessonContext
    /// The latency the server adds to every response, scaled: real seconds.
    let latency: Double

    /// Starts the server with `latency` seconds of the tutorial's time before every response,
    /// runs `body`, then closes the HTTP clients, stops the server and removes the scratch
    /// folder, whether `body` succeeded or not.
    static func withServer<T: Sendable>(latency: Double, context: LessonContext,
                                        _ body: (LessonDownloads) async throws -> T) async throws -> T {
        let scratch = try ScratchFolder(prefix: "trenza-tour")
        defer { scratch.remove() }
        let folder = scratch.path
        let realLatency = context.scaled(latency)
        let configuration = DemoServer.Configuration(host: "127.0.0.1", port: 0, logLevel: .critical,
                                                     shutdownTimeout: .seconds(5), latency: .seconds(realLatency))
        // The narration is the lesson's; the server's request log would drown it.
        let quiet = Logger(label: "trenza.tour.server") { _ in SwiftLogNoOpLogHandler() }
        let clients = FetchClients()
        return try await DemoServer.withRunning(configuration, logger: quiet) { address in
            let downloads = LessonDownloads(base: address.url, folder: folder, clients: clients, context: context, latency: realLatency)
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await body(downloads))
            } catch {
                outcome = .failure(error)
            }
            // Connections close before the server stops, so that its graceful shutdown has no
            // idle keep-alive connections to wait for.
            await clients.shutdown()
            return try outcome.get()
        }
    }

    func url(_ page: Page) -> String { "\(base)/bytes/\(page.size)?seed=\(page.seed)" }

    /// Downloads `pages` into a fresh subfolder with TrenzaFetch's job on `engine`, `width` at
    /// once, and measures the whole batch (worker processes' start-up included).
    func download(_ pages: [Page], engine: Engine, width: Int, into subfolder: String) async throws -> Run {
        let destination = folder + "/" + subfolder
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        // Retries wait in the tutorial's time too; the HTTP client may open one connection per
        // download in flight.
        let settings = FetchSettings(retry: RetryPolicy(retries: 2, baseDelay: context.scaled(0.5)), connectionsPerHost: width)
        let items = FetchItem.batch(pages.map { DownloadRequest(url: url($0)) }, folder: destination, settings: settings)
        let runner = Runner(engine: engine, width: width, options: .init(workerExecutable: context.executable))
        let start = monotonicSeconds()
        let outcomes = await runner.map(FetchJob(clients: clients), items)
        let seconds = monotonicSeconds() - start
        return Run(engine: engine, width: width, seconds: seconds, results: outcomes.map(\.output),
                   engineFailures: outcomes.compactMap { $0.failure?.message })
    }

    /// Checks that every page of `run` was downloaded and that its file holds exactly the
    /// server's bytes.
    func verify(_ run: Run, _ pages: [Page]) -> Verdict {
        var verdict = Verdict(downloaded: 0, intact: 0, total: pages.count, problems: run.engineFailures)
        for (page, result) in zip(pages, run.results) {
            guard let result else { continue }
            guard result.succeeded else {
                verdict.problems.append("\(url(page)): \(result.error ?? "failed")")
                continue
            }
            verdict.downloaded += 1
            let bytes = FileManager.default.contents(atPath: result.path).map { [UInt8]($0) }
            if bytes == SampleBytes.generate(count: page.size, seed: page.seed) {
                verdict.intact += 1
            } else {
                verdict.problems.append("\(result.path): \(bytes.map { "\($0.count) bytes that differ from the server's" } ?? "missing")")
            }
        }
        return verdict
    }

    /// The files of a run, read back (in page order), to compare runs with each other.
    func contents(of run: Run) -> [Data?] {
        run.results.map { result in result.flatMap { FileManager.default.contents(atPath: $0.path) } }
    }

    /// `seconds` in latencies of this server ("1.2 latencies").
    func inLatencies(_ seconds: Double) -> String {
        let count = seconds / latency
        return String(format: "%.1f", count) + (abs(count - 1) < 0.05 ? " latency" : " latencies")
    }
}
