import Crypto
import Foundation
import TrenzaTestSupport
import Hummingbird
import Logging
import Trenza
import TrenzaFetch
import TrenzaServer

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with the demo server listening on an ephemeral port of 127.0.0.1, then stops it.
func withServer<T: Sendable>(latency: Duration = .zero, _ body: (_ base: String) async throws -> T) async throws -> T {
    let configuration = DemoServer.Configuration(host: "127.0.0.1", port: 0, shutdownTimeout: .milliseconds(200), latency: latency)
    let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    return try await DemoServer.withRunning(configuration, logger: quiet) { address in try await body(address.url) }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}


/// A fresh, empty folder under the system's temporary folder.
func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "trenza-fetch-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Downloads `requests` into `folder` on `engine` as `trenza fetch` would, and returns the results.
func fetch(_ requests: [DownloadRequest], into folder: String, engine: Engine, width: Int = 4,
           settings: FetchSettings = FetchSettings(retry: RetryPolicy(retries: 3, baseDelay: 0.02))) async throws -> [FetchResult] {
    let clients = FetchClients()
    let items = FetchItem.batch(requests, folder: folder, settings: settings)
    let runner = Runner(engine: engine, width: width, options: .init(workerExecutable: trenzaPath))
    let outcomes = await runner.map(FetchJob(clients: clients), items)
    await clients.shutdown()
    return try outcomes.map { outcome in
        switch outcome {
        case .success(let result): return result
        case .failure(let failure): throw TestError("the engine lost an item: \(failure)")
        }
    }
}

/// The bytes of `/bytes/{count}?seed=S`, for checking downloads byte for byte.
func sampleBytes(_ count: Int, seed: UInt64 = 0) -> [UInt8] {
    SampleBytes.generate(count: count, seed: seed)
}

func contents(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}

/// True when the file at `path` holds exactly `expected` (a Bool, so that a failure does not
/// print megabytes of bytes).
func sameBytes(_ path: String, _ expected: [UInt8]) -> Bool {
    contents(path) == expected
}

/// The names in `folder`, sorted.
func listing(_ folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}
