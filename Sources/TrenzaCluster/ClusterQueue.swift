import Foundation
import Logging
import PostgresNIO

/// The cluster engine's queue: runs, their chunks, and the workers that claim them, in a
/// PostgreSQL database.
///
/// Every operation is one short autocommit statement. Nothing holds a transaction open while a
/// chunk runs: a claim commits a lease (owner, fencing token, expiry) and returns, so a worker
/// that vanishes leaves no locks behind, only a lease that expires and is rescued.
public struct ClusterQueue: Sendable {
    public let client: PostgresClient
    let logger: Logger

    /// The channel completions, failures and rescues notify, with the run's id as the payload.
    public static let progressChannel = "trenza_progress"
    /// The channel new chunks notify, so that idle workers claim at once instead of at their next poll.
    public static let workChannel = "trenza_work"

    /// The default: the pool's reconnection attempts are the queue's business, not the user's;
    /// pass a logger to see them.
    public static let silentLogger = Logger(label: "trenza.cluster", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A queue over a client whose `run()` the caller runs.
    public init(client: PostgresClient, logger: Logger = ClusterQueue.silentLogger) {
        self.client = client
        self.logger = logger
    }

    /// Opens a pool of at most `maxConnections` to `url`, brings the schema up to date (unless
    /// `migrate` is false), runs `body` with the queue and closes the pool.
    public static func withQueue<Result: Sendable>(
        _ url: QueueURL,
        session: SessionSettings = SessionSettings(),
        maxConnections: Int = 8,
        migrate: Bool = true,
        logger: Logger = ClusterQueue.silentLogger,
        _ body: (ClusterQueue) async throws -> Result
    ) async throws -> Result {
        var configuration = try url.clientConfiguration(session: session)
        configuration.options.maximumConnections = max(1, maxConnections)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let queue = ClusterQueue(client: client, logger: logger)
            if migrate { try await QueueSchema.migrate(client, logger: logger) }
            return try await body(queue)
        }
    }

    /// Brings the schema up to date; see `QueueSchema.migrate`.
    @discardableResult
    public func migrate() async throws -> Int {
        try await QueueSchema.migrate(client, logger: logger)
    }

    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await client.query(query, logger: logger).collect()
    }

    static func milliseconds(_ duration: Duration) -> Int64 { SessionSettings.milliseconds(duration) }

    static func bytes(_ buffer: ByteBuffer?) -> [UInt8]? {
        buffer.map { Array($0.readableBytesView) }
    }

    static func states(_ names: [String], _ counts: [Int]) -> [ChunkState: Int] {
        var result: [ChunkState: Int] = [:]
        for (name, count) in zip(names, counts) {
            if let state = ChunkState(rawValue: name) { result[state] = count }
        }
        return result
    }
}
