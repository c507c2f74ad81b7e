import Foundation
import Synchronization
import Trenza

/// Settings that apply to every download of a batch.
public struct FetchSettings: Codable, Sendable, Hashable {
    public var retry: RetryPolicy
    /// Seconds to wait for a connection.
    public var connectTimeout: Double
    /// Seconds without a byte from the server (an idle timeout, not a limit on the whole download).
    public var readTimeout: Double
    public var maximumRedirects: Int
    /// Download again even when the file is already there; drop any `.part` file.
    public var force: Bool
    /// At most this many downloads from one host at once within a process; `nil` for no limit.
    public var perHost: Int?
    /// Connections the HTTP client may keep open to one host: the batch's width.
    public var connectionsPerHost: Int
    /// The caller makes the renames durable itself, with one ``FetchClients/syncFolders(_:)``
    /// after the batch, instead of each download flushing its folder after its rename. Each file
    /// is flushed before its rename either way, so no file is ever incomplete under its final
    /// name; what waits for the batch's end is only the durability of the renames (a power cut
    /// before it can leave a complete file under its `.part` name, which a re-run downloads again).
    public var syncFolderAfterBatch: Bool
    /// The largest file accepted, in bytes (`--max-size`): a larger `Content-Length` fails at
    /// once, and a body without one is cut off when it passes this; either way nothing is kept.
    public var maximumSize: Int

    /// 8 GiB: larger than any photo, page or package most batches fetch, small enough that a
    /// server streaming without end cannot fill an ordinary disk.
    public static let defaultMaximumSize = 8 << 30

    public init(retry: RetryPolicy = RetryPolicy(), connectTimeout: Double = 10, readTimeout: Double = 30,
                maximumRedirects: Int = 10, force: Bool = false, perHost: Int? = nil, connectionsPerHost: Int = 8,
                syncFolderAfterBatch: Bool = false, maximumSize: Int = FetchSettings.defaultMaximumSize) {
        self.retry = retry
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maximumRedirects = maximumRedirects
        self.force = force
        self.perHost = perHost
        self.connectionsPerHost = connectionsPerHost
        self.syncFolderAfterBatch = syncFolderAfterBatch
        self.maximumSize = maximumSize
    }
}

/// One URL to download into a folder under a name planned for the whole batch.
public struct FetchItem: Codable, Sendable {
    /// The item's position in the batch, for progress reports.
    public var index: Int
    public var request: DownloadRequest
    public var folder: String
    public var name: PlannedName
    public var settings: FetchSettings
    /// False when the folder held no file with this item's stem as the batch began: there is
    /// then no earlier run's file or part file to skip, resume or keep apart from, and the
    /// download need not look for each name it could have had.
    public var mayFindEarlierFiles: Bool

    public init(index: Int, request: DownloadRequest, folder: String, name: PlannedName, settings: FetchSettings,
                mayFindEarlierFiles: Bool = true) {
        self.index = index
        self.request = request
        self.folder = folder
        self.name = name
        self.settings = settings
        self.mayFindEarlierFiles = mayFindEarlierFiles
    }

    /// Plans a batch: duplicates are expected to be removed already; names come from
    /// ``FileNaming/plan(_:template:)``.
    ///
    /// The folder is read once here: an item whose stem no file there uses skips the search
    /// for an earlier run's files (about thirty names per URL whose extension comes from
    /// `Content-Type`). Stems are unique within a batch, so the batch's own files never count.
    public static func batch(_ requests: [DownloadRequest], folder: String, template: String? = nil, settings: FetchSettings) -> [FetchItem] {
        let names = FileNaming.plan(requests.map(\.url), template: template)
        let present = FileNaming.stemsPresent(in: folder)
        return zip(requests, names).enumerated().map { index, pair in
            FetchItem(index: index, request: pair.0, folder: folder, name: pair.1, settings: settings,
                      mayFindEarlierFiles: present.map { $0.contains(pair.1.stem) } ?? true)
        }
    }
}

/// What happened to one URL. Failures are results too, not thrown errors, so that the attempts
/// and the last HTTP status reach the report from every engine, worker processes included.
public struct FetchResult: Codable, Sendable, Equatable {
    public enum Disposition: String, Codable, Sendable {
        /// Downloaded from the first byte.
        case downloaded
        /// Finished a `.part` file left by an earlier attempt or run.
        case resumed
        /// The file was already complete; nothing was requested.
        case skipped
        case failed
    }

    public var url: String
    /// The final file, or where it would have gone when the download failed.
    public var path: String
    /// The file's size (on failure, the bytes kept in its `.part` file).
    public var bytes: Int
    /// The last HTTP status received, `nil` when no response came.
    public var status: Int?
    public var attempts: Int
    public var seconds: Double
    public var disposition: Disposition
    /// Why it failed, in words a user can act on.
    public var error: String?
    /// Every wait before a retry, in order.
    public var waits: [RetryWait]

    public var succeeded: Bool { disposition != .failed }

    public init(url: String, path: String, bytes: Int, status: Int?, attempts: Int, seconds: Double,
                disposition: Disposition, error: String?, waits: [RetryWait] = []) {
        self.url = url
        self.path = path
        self.bytes = bytes
        self.status = status
        self.attempts = attempts
        self.seconds = seconds
        self.disposition = disposition
        self.error = error
        self.waits = waits
    }
}

/// Downloads one URL with retries, resume and checksum: the unit of work of `trenza fetch`.
///
/// On the async engine it is native async I/O. On the threads engine each pool thread blocks
/// until its own download is over, and in a worker process the worker blocks the same way; the
/// bytes themselves move on the shared HTTP client's event loop either way.
public struct FetchJob: Job, Codable {
    public static let name = "fetch.download"

    /// What travels to a worker process: nothing. The clients belong to one process and the
    /// callbacks to the caller, so a worker uses its own clients (one thread for its flushes:
    /// it runs one download at a time) and reports through its outcomes only.
    public init(from decoder: any Decoder) throws {
        self.init(clients: Self.workerClients)
    }

    public func encode(to encoder: any Encoder) throws {}

    private static let workerClients = FetchClients(blockingThreads: 1)

    private let clients: FetchClients
    private let onBytes: (@Sendable (_ index: Int, _ count: Int) -> Void)?
    private let onResult: (@Sendable (_ index: Int, _ result: FetchResult) -> Void)?
    private let onWait: (@Sendable (_ index: Int, _ wait: RetryWait) -> Void)?

    /// - Parameters:
    ///   - clients: the process's HTTP clients, shared by every download.
    ///   - onBytes: told of bytes as they arrive, `onWait` of each wait before a retry as it
    ///     starts, and `onResult` of each result before it is returned (threads and async
    ///     engines; a worker process has no one to tell, and its results carry their waits).
    public init(clients: FetchClients,
                onBytes: (@Sendable (_ index: Int, _ count: Int) -> Void)? = nil,
                onResult: (@Sendable (_ index: Int, _ result: FetchResult) -> Void)? = nil,
                onWait: (@Sendable (_ index: Int, _ wait: RetryWait) -> Void)? = nil) {
        self.clients = clients
        self.onBytes = onBytes
        self.onResult = onResult
        self.onWait = onWait
    }

    public func runAsync(_ item: FetchItem) async throws -> FetchResult {
        let result = await Download(item: item, clients: clients, onBytes: onBytes, onWait: onWait).run()
        onResult?(item.index, result)
        return result
    }

    public func run(_ item: FetchItem) throws -> FetchResult {
        let finished = DispatchSemaphore(value: 0)
        let result = ResultSlot()
        let job = self
        Task.detached {
            let outcome = try? await job.runAsync(item)
            result.storage.withLock { $0 = outcome }
            finished.signal()
        }
        finished.wait()
        guard let outcome = result.storage.withLock({ $0 }) else { throw JobError("the download task ended without a result") }
        return outcome
    }
}

/// Hands a result from the task that made it to the thread that waits for it.
private final class ResultSlot: Sendable {
    let storage = Mutex<FetchResult?>(nil)
}
