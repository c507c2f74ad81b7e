import AsyncHTTPClient
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP clients and per-host limits one process shares between all its downloads.
///
/// A client owns a connection pool, so every download in a process should go through one; a
/// client is made on first use for each distinct set of timeouts. Call ``shutdown()`` before the
/// value goes away (a worker process, which ends by exiting, need not).
public final class FetchClients: Sendable {
    private struct ClientKey: Hashable {
        var connectTimeout: Double
        var readTimeout: Double
        var maximumRedirects: Int
        var connectionsPerHost: Int
    }

    private let clients = Mutex<[ClientKey: HTTPClient]>([:])
    private let limiters = Mutex<[String: HostLimiter]>([:])
    private let blockingPool = Mutex<NIOThreadPool?>(nil)

    /// Threads for the flushes to disk. An fsync sleeps in the kernel until the disk has the
    /// bytes; with many in flight the disk gets them together instead of one or two at a time,
    /// and the sleepers hold no CPU.
    private let blockingThreads: Int

    /// - Parameter blockingThreads: how many flushes may wait on the disk at once: 16 (100 files
    ///   of 200 KB flushed here in ~25 ms from 16 threads, ~300 ms from one); a worker process,
    ///   which downloads one item at a time, needs one.
    public init(blockingThreads: Int = 16) {
        self.blockingThreads = max(1, blockingThreads)
    }

    /// The blocking-I/O threads, started on first use.
    private var blockingIO: NIOThreadPool {
        blockingPool.withLock { pool in
            if let pool { return pool }
            let started = NIOThreadPool(numberOfThreads: blockingThreads)
            started.start()
            pool = started
            return started
        }
    }

    /// Flushes `part` to disk on the blocking-I/O threads, so that the cooperative pool keeps
    /// serving the other downloads meanwhile.
    ///
    /// Throws ``LocalFileError`` when the flush fails and `CancellationError` when the task is
    /// cancelled before the flush ran (the file is then not known to be on disk).
    func sync(_ part: PartFile) async throws {
        let descriptor = part.fileDescriptor
        let code = try await blockingIO.runIfActive { fsync(descriptor) == 0 ? 0 : errno }
        if code != 0 { throw LocalFileError(path: part.path, operation: "flush", code: code) }
    }

    /// Flushes the file at `path` (one this process did not write, such as a part file an
    /// earlier run completed) on the blocking-I/O threads.
    func sync(path: String) async throws {
        let code = try await blockingIO.runIfActive {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return errno }
            defer { close(descriptor) }
            return fsync(descriptor) == 0 ? 0 : errno
        }
        if code != 0 { throw LocalFileError(path: path, operation: "flush", code: code) }
    }

    /// Flushes `folder` itself, which makes the renames into it durable; the reason when it
    /// could not.
    public func syncFolder(_ folder: String) async -> String? {
        do {
            return try await blockingIO.runIfActive {
                let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard directory >= 0 else { return "cannot open the folder \(folder): \(String(cString: strerror(errno)))" }
                defer { close(directory) }
                return fsync(directory) == 0 ? nil : "cannot flush the folder \(folder): \(String(cString: strerror(errno)))"
            }
        } catch {
            return "cannot flush the folder \(folder): \(error)"
        }
    }

    /// Flushes the folders of a batch planned with ``FetchSettings/syncFolderAfterBatch``, once
    /// each, after all its downloads: the reasons for the folders that could not be flushed.
    public func syncFolders(_ items: [FetchItem]) async -> [String] {
        var problems: [String] = []
        for folder in Set(items.filter(\.settings.syncFolderAfterBatch).map(\.folder)).sorted() {
            if let problem = await syncFolder(folder) { problems.append(problem) }
        }
        return problems
    }

    func client(for settings: FetchSettings) -> HTTPClient {
        let key = ClientKey(connectTimeout: settings.connectTimeout, readTimeout: settings.readTimeout,
                            maximumRedirects: settings.maximumRedirects, connectionsPerHost: settings.connectionsPerHost)
        return clients.withLock { clients in
            if let client = clients[key] { return client }
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: settings.maximumRedirects > 0
                    ? .follow(max: settings.maximumRedirects, allowCycles: false) : .disallow,
                timeout: .init(connect: .nanoseconds(Int64(settings.connectTimeout * 1e9)),
                               read: .nanoseconds(Int64(settings.readTimeout * 1e9))))
            // AsyncHTTPClient opens at most 8 connections per host by default: a batch 100 wide
            // against one server would wait in line for them.
            configuration.connectionPool = .init(idleTimeout: .seconds(60),
                                                 concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, key.connectionsPerHost))
            // The client's own quiet retry of failed connects would hide them from our count
            // of attempts and from the backoff.
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.decompression = .disabled
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = client
            return client
        }
    }

    /// The limiter for `host`, allowing `limit` downloads at once.
    func limiter(host: String, limit: Int) -> HostLimiter {
        limiters.withLock { limiters in
            let key = "\(limit)|\(host.lowercased())"
            if let limiter = limiters[key] { return limiter }
            let limiter = HostLimiter(limit: limit)
            limiters[key] = limiter
            return limiter
        }
    }

    /// Closes every client's connections and stops the blocking-I/O threads.
    public func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return Array(clients.values)
        }
        for client in all { try? await client.shutdown() }
        let pool = blockingPool.withLock { pool in
            defer { pool = nil }
            return pool
        }
        try? await pool?.shutdownGracefully()
    }
}

/// At most `limit` holders at once; the rest wait in arrival order.
final class HostLimiter: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(limit: Int) { state = Mutex(State(available: limit)) }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    func withPermit<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }
}
