import Foundation
import Synchronization
import Trenza

/// A batch of `trenza fetch` from its URLs to its results, on any local engine: names planned,
/// the folder made, the downloads run with progress and retry waits reported as they happen, the
/// renames made durable before the batch is reported.
///
/// ```swift
/// let batch = FetchBatchRunner(requests: urls.map { DownloadRequest(url: $0) }, folder: "downloads")
/// let result = try await batch.run(on: .async)
/// for failed in result.failures { print(failed.url, failed.error ?? "") }
/// ```
public struct FetchBatchRunner: Sendable {
    public var requests: [DownloadRequest]
    public var folder: String
    /// File names from `{name}`, `{host}`, `{index}`, `{hash}` (see ``FileNaming``); `nil` for the URL's own.
    public var nameTemplate: String?
    /// Downloads at once, on every engine.
    public var width: Int
    /// At most this many downloads from one host at once (processes: at most this many workers).
    public var perHost: Int?
    /// Retries, timeouts, redirects, size limit and `force`. The runner sets the rest (the
    /// per-host share of each process, connections per host, when folders are flushed) per engine.
    public var settings: FetchSettings

    /// What a batch tells its caller while it runs.
    public struct Observer: Sendable {
        /// Starts, ends (a download that failed counts as failed) and bytes as they arrive.
        public var onEvent: ProgressHandler?
        /// Each wait before a retry, as it starts; on the processes engine, when the worker's
        /// share of the batch ends.
        public var onWait: (@Sendable (FetchItem, RetryWait) -> Void)?

        public init(onEvent: ProgressHandler? = nil, onWait: (@Sendable (FetchItem, RetryWait) -> Void)? = nil) {
            self.onEvent = onEvent
            self.onWait = onWait
        }
    }

    public init(requests: [DownloadRequest], folder: String, nameTemplate: String? = nil, width: Int = 8,
                perHost: Int? = nil, settings: FetchSettings = FetchSettings()) {
        self.requests = requests
        self.folder = folder
        self.nameTemplate = nameTemplate
        self.width = width
        self.perHost = perHost
        self.settings = settings
    }

    /// The same batch into a sub-folder, always afresh: `--compare` runs each engine into one.
    public func writing(into subfolder: String) -> FetchBatchRunner {
        var batch = self
        batch.folder = URL(fileURLWithPath: folder).appendingPathComponent(subfolder).path
        batch.settings.force = true
        return batch
    }

    /// Runs the batch on a local engine and flushes the folder once at its end, before returning,
    /// so that a file reported done is durably there.
    public func run(on engine: Engine, observer: Observer = Observer()) async throws(FetchBatchError) -> FetchBatch {
        try createFolder()
        // Worker processes cannot share one limiter: the per-host limit caps the width, which
        // the workers share out.
        let width = engine == .processes ? min(self.width, perHost ?? self.width) : self.width
        let workers = engine == .processes ? min(width, max(1, ProcessInfo.processInfo.activeProcessorCount)) : nil
        let items = FetchItem.batch(requests, folder: folder, template: nameTemplate,
                                    settings: settings(width: width, workers: workers, syncFolderAfterBatch: true))
        let clients = FetchClients()
        let start = monotonicSeconds()
        let outcomes = if let workers {
            await runInWorkers(items, width: width, workers: workers, clients: clients, observer: observer)
        } else {
            await runHere(items, engine: engine, width: width, clients: clients, observer: observer)
        }
        let problems = await clients.syncFolders(items)
        let seconds = monotonicSeconds() - start
        await clients.shutdown()
        return FetchBatch(engine: engine.rawValue, width: width, workers: workers, seconds: seconds,
                          results: FetchBatch.results(items, outcomes), warnings: problems)
    }

    /// The items for the cluster's workers: the folder made absolute (every worker must see the
    /// same one), each worker flushing it after each file (the submitter's flush would be of
    /// another machine's view of it), and each item looking for earlier files (what this
    /// machine lists says nothing of theirs, and the same command must name the same run).
    public func clusterItems() throws(FetchBatchError) -> [FetchItem] {
        try createFolder()
        let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
        return FetchItem.batch(requests, folder: absolute, template: nameTemplate,
                               settings: settings(width: width, workers: nil, syncFolderAfterBatch: false)).map { item in
            var item = item
            item.mayFindEarlierFiles = true
            return item
        }
    }

    public func createFolder() throws(FetchBatchError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw FetchBatchError("cannot create the output folder \(folder): \(error.localizedDescription)")
        }
    }

    private func settings(width: Int, workers: Int?, syncFolderAfterBatch: Bool) -> FetchSettings {
        var settings = settings
        settings.perHost = workers.map { workers in perHost.map { ($0 + workers - 1) / workers } } ?? perHost
        settings.connectionsPerHost = max(width, perHost ?? 0)
        settings.syncFolderAfterBatch = syncFolderAfterBatch
        return settings
    }

    /// Threads or async: every download in this process, reporting as it goes.
    private func runHere(_ items: [FetchItem], engine: Engine, width: Int, clients: FetchClients,
                         observer: Observer) async -> [Outcome<FetchResult>] {
        let failedItems = FailedItems()
        let onEvent = observer.onEvent, onWait = observer.onWait
        var reportBytes: (@Sendable (Int, Int) -> Void)?
        if let onEvent { reportBytes = { index, count in onEvent(.bytes(index: index, count: count)) } }
        var reportWait: (@Sendable (Int, RetryWait) -> Void)?
        if let onWait { reportWait = { index, wait in onWait(items[index], wait) } }
        let job = FetchJob(clients: clients, onBytes: reportBytes, onResult: { index, result in
            if !result.succeeded { failedItems.insert(index) }
        }, onWait: reportWait)
        return await Runner(engine: engine, width: width).map(job, items) { event in
            guard let onEvent else { return }
            // A download that failed still returns its result (attempts, status): progress
            // counts it as failed all the same.
            if case .succeeded(let index, _) = event, failedItems.contains(index) {
                onEvent(.failed(ItemFailure(index: index, kind: .jobError, message: "download failed")))
            } else {
                onEvent(event)
            }
        }
    }

    /// The processes engine: `workers` worker processes, each downloading its chunks `width /
    /// workers` at a time. A worker reports nothing until its chunk is done, so progress moves by
    /// chunks and a chunk's retry waits are reported when it ends.
    private func runInWorkers(_ items: [FetchItem], width: Int, workers: Int, clients: FetchClients,
                              observer: Observer) async -> [Outcome<FetchResult>] {
        let chunks = FetchChunk.split(items, width: width, workers: workers)
        let onEvent = observer.onEvent
        let outcomes = await Runner(engine: .processes, width: workers).map(FetchChunkJob(clients: clients), chunks) { event in
            guard let onEvent else { return }
            switch event {
            case .started(let chunk):
                for item in chunks[chunk].items { onEvent(.started(index: item.index)) }
            case .failed(let failure):
                for item in chunks[failure.index].items {
                    onEvent(.failed(ItemFailure(index: item.index, kind: failure.kind, message: failure.message)))
                }
            default:
                break
            }
        }
        return zip(chunks, outcomes).flatMap { chunk, outcome -> [Outcome<FetchResult>] in
            switch outcome {
            case .success(let results):
                for (item, result) in zip(chunk.items, results) {
                    for wait in result.waits { observer.onWait?(item, wait) }
                    onEvent?(result.succeeded ? .succeeded(index: item.index, duration: .seconds(result.seconds))
                        : .failed(ItemFailure(index: item.index, kind: .jobError, message: result.error ?? "download failed")))
                    onEvent?(.bytes(index: item.index, count: result.succeeded ? result.bytes : 0))
                }
                return results.map { .success($0) }
            case .failure(let failure):
                return chunk.items.map { .failure(ItemFailure(index: $0.index, kind: failure.kind, message: failure.message)) }
            }
        }
    }
}

/// The downloads that returned a failed result, for progress reports to count them as failed.
private final class FailedItems: Sendable {
    private let indices = Mutex<Set<Int>>([])
    func insert(_ index: Int) { indices.withLock { _ = $0.insert(index) } }
    func contains(_ index: Int) -> Bool { indices.withLock { $0.contains(index) } }
}

/// Why a batch could not start; nothing was downloaded.
public struct FetchBatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
