import Foundation
import PostgresNIO

/// A registered worker as `trenza runs workers` shows it.
public struct WorkerStatus: Sendable, Equatable {
    public var id: Int64
    public var host: String
    public var pid: Int
    public var jobs: [String]
    public var startedAt: Date
    public var heartbeatAt: Date
    public var stoppedAt: Date?
    /// Chunks it holds under a lease now.
    public var running: Int
}

extension ClusterQueue {
    /// Workers that have not stopped and heartbeat within `silence`, newest first; with `job`,
    /// only those that serve it.
    public func liveWorkers(serving job: JobKey? = nil, silence: Duration = .seconds(30)) async throws -> [WorkerStatus] {
        let name = job?.description
        return try await rows("""
            SELECT w.id, w.host, w.pid, w.jobs, w.started_at, w.heartbeat_at, w.stopped_at,
                   (SELECT count(*) FROM trenza.chunks c WHERE c.lease_owner = w.id AND c.state = 'running')::int
            FROM trenza.workers w
            WHERE w.stopped_at IS NULL AND w.heartbeat_at > now() - \(Self.milliseconds(silence)) * interval '1 millisecond'
              AND (\(name)::text IS NULL OR \(name)::text = ANY (w.jobs))
            ORDER BY w.id DESC
            """).map { row in
            let (id, host, pid, jobs, started, heartbeat, stopped, running) =
                try row.decode((Int64, String, Int, [String], Date, Date, Date?, Int).self)
            return WorkerStatus(id: id, host: host, pid: pid, jobs: jobs, startedAt: started, heartbeatAt: heartbeat,
                                stoppedAt: stopped, running: running)
        }
    }
}
