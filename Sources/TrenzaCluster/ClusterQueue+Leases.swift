import Foundation
import PostgresNIO

extension ClusterQueue {
    /// Records a worker and the jobs it can run; returns its id, the owner of its leases.
    public func registerWorker(host: String, pid: Int, jobs: [JobKey]) async throws -> Int64 {
        let names = jobs.map(\.description)
        return try await rows("""
            INSERT INTO trenza.workers (host, pid, jobs) VALUES (\(host), \(pid), \(names)) RETURNING id
            """)[0].decode(Int64.self)
    }

    /// Claims up to `limit` claimable chunks of the given jobs, oldest first, for `worker`, each
    /// under a new fencing token and a lease of `lease`.
    ///
    /// The inner SELECT locks the rows it picks with SKIP LOCKED, so concurrent claimers never
    /// wait for each other and never pick the same row; a row another claimer updated between
    /// this statement's snapshot and the lock is re-checked against `state = 'available'`.
    public func claim(worker: Int64, jobs: [JobKey], limit: Int, lease: Duration) async throws -> [ClaimedChunk] {
        guard limit > 0, !jobs.isEmpty else { return [] }
        let names = jobs.map(\.name)
        let versions = jobs.map(\.version)
        return try await rows("""
            WITH picked AS (
                SELECT id FROM trenza.chunks
                WHERE state = 'available' AND run_after <= now()
                  AND (job_name, job_version) IN (SELECT n, v::int FROM unnest(\(names)::text[], \(versions)::bigint[]) AS k(n, v))
                ORDER BY id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            UPDATE trenza.chunks c SET
                state = 'running', attempt = c.attempt + 1,
                lease_owner = \(worker), lease_token = nextval('trenza.lease_tokens'),
                lease_expires_at = now() + \(Self.milliseconds(lease)) * interval '1 millisecond'
            FROM picked WHERE c.id = picked.id
            RETURNING c.id, c.lease_token, c.run_id, c.seq, c.job_name, c.job_version, c.attempt, c.max_attempts,
                      c.item_count, c.input, c.lease_expires_at
            """).map { row in
            let (id, token, run, seq, name, version, attempt, maxAttempts, items, input, expires) =
                try row.decode((Int64, Int64, Int64, Int, String, Int, Int, Int, Int, ByteBuffer, Date).self)
            return ClaimedChunk(
                lease: ChunkLease(chunk: id, token: token), run: run, seq: seq, job: JobKey(name, version: version),
                attempt: attempt, maxAttempts: maxAttempts, itemCount: items, input: Array(input.readableBytesView),
                leaseExpiresAt: expires)
        }.sorted { $0.lease.chunk < $1.lease.chunk }
    }

    /// Stores one chunk's result if its lease still holds; whether it was accepted.
    public func complete(_ lease: ChunkLease, result: [UInt8]) async throws -> Bool {
        try await complete([ChunkCompletion(lease: lease, result: result)]).contains(lease)
    }

    /// Stores the results whose leases still hold (the chunk is `running` under that very token)
    /// in one statement, and notifies their runs' progress. Returns the accepted leases: a late
    /// result from a worker that was cut off, rescued or cancelled is refused. Reporting the same
    /// lease again after an accepted completion (a retry after a lost reply) is accepted again,
    /// without storing anything twice.
    public func complete(_ completions: [ChunkCompletion]) async throws -> Set<ChunkLease> {
        guard !completions.isEmpty else { return [] }
        let ids = completions.map(\.lease.chunk)
        let tokens = completions.map(\.lease.token)
        let results = completions.map { ByteBuffer(bytes: $0.result) }
        let rows = try await rows("""
            WITH t AS (SELECT * FROM unnest(\(ids)::bigint[], \(tokens)::bigint[], \(results)::bytea[]) AS t(id, token, result)),
            done AS (
                UPDATE trenza.chunks c SET state = 'done', result = t.result, finished_at = now(), lease_expires_at = NULL
                FROM t WHERE c.id = t.id AND c.lease_token = t.token AND c.state = 'running'
                RETURNING c.id, c.lease_token, c.run_id),
            again AS (
                SELECT c.id, c.lease_token FROM trenza.chunks c JOIN t ON c.id = t.id AND c.lease_token = t.token
                WHERE c.state = 'done'),
            notified AS (
                SELECT pg_notify(\(Self.progressChannel), run_id::text) FROM (SELECT DISTINCT run_id FROM done) r)
            SELECT id, lease_token FROM done
            UNION ALL SELECT id, lease_token FROM again
            UNION ALL SELECT -1, count(*) FROM notified
            """)
        var accepted = Set<ChunkLease>()
        for row in rows {
            let (id, token) = try row.decode((Int64, Int64).self)
            if id >= 0 { accepted.insert(ChunkLease(chunk: id, token: token)) }
        }
        return accepted
    }

    /// Reports that a chunk's attempt failed. A retryable failure with attempts left puts the
    /// chunk back after a backoff; the last attempt leaves it `dead`; a failure that is not
    /// retryable leaves it `failed` at once. The error is kept either way.
    public func fail(_ lease: ChunkLease, error: String, retryable: Bool = true, backoff: RetryBackoff = RetryBackoff()) async throws -> FailOutcome {
        let rows = try await rows("""
            WITH f AS (
                UPDATE trenza.chunks c SET
                    state = CASE WHEN NOT \(retryable) THEN 'failed'
                                 WHEN c.attempt >= c.max_attempts THEN 'dead' ELSE 'available' END,
                    run_after = CASE WHEN \(retryable) AND c.attempt < c.max_attempts
                        THEN now() + least(\(Double(Self.milliseconds(backoff.cap))), \(Double(Self.milliseconds(backoff.base))) * power(2, c.attempt - 1))
                                     * (1 - \(backoff.jitter) * random()) * interval '1 millisecond'
                        ELSE c.run_after END,
                    finished_at = CASE WHEN NOT \(retryable) OR c.attempt >= c.max_attempts THEN now() END,
                    last_error = \(error), lease_expires_at = NULL
                WHERE c.id = \(lease.chunk) AND c.lease_token = \(lease.token) AND c.state = 'running'
                RETURNING c.state, c.run_after, c.run_id)
            SELECT state, run_after, pg_notify(\(Self.progressChannel), run_id::text)::text FROM f
            """)
        guard let row = rows.first else { return .refused }
        let (state, runAfter, _) = try row.decode((String, Date, String).self)
        switch ChunkState(rawValue: state) {
        case .available: return .retrying(after: runAfter)
        case .failed: return .failed
        default: return .dead
        }
    }

    /// Marks `worker` alive and extends the leases it still holds to `lease` from now. Returns
    /// the chunks it still holds: one missing from the answer was rescued or cancelled, and its
    /// result would be refused.
    public func heartbeat(worker: Int64, lease: Duration) async throws -> Set<Int64> {
        let rows = try await rows("""
            WITH w AS (
                UPDATE trenza.workers SET heartbeat_at = now() WHERE id = \(worker) RETURNING id),
            held AS (
                UPDATE trenza.chunks SET lease_expires_at = now() + \(Self.milliseconds(lease)) * interval '1 millisecond'
                WHERE lease_owner = \(worker) AND state = 'running' RETURNING id)
            SELECT id FROM held UNION ALL SELECT -1 - count(*) FROM w
            """)
        var held = Set<Int64>()
        var registered = false
        for row in rows {
            let id = try row.decode(Int64.self)
            if id >= 0 { held.insert(id) } else { registered = id < -1 }
        }
        guard registered else { throw ClusterError.unknownWorker(worker) }
        return held
    }

    /// Puts back the chunks whose lease expired, or whose worker has not heartbeaten for
    /// `silence`: each lost lease counts as an attempt (a chunk that kills every worker that
    /// takes it must end), so one whose attempts are spent is left `dead`, naming the worker.
    @discardableResult
    public func rescue(silence: Duration) async throws -> RescueReport {
        let rows = try await rows("""
            WITH stale AS (
                SELECT c.id, format('worker %s (%s, pid %s) lost its lease on attempt %s of %s: %s', c.lease_owner,
                           coalesce(w.host, '?'), coalesce(w.pid::text, '?'), c.attempt, c.max_attempts,
                           CASE WHEN c.lease_expires_at < now() THEN 'the lease expired' ELSE 'the worker stopped heartbeating' END) AS reason
                FROM trenza.chunks c LEFT JOIN trenza.workers w ON w.id = c.lease_owner
                WHERE c.state = 'running'
                  AND (c.lease_expires_at < now() OR w.heartbeat_at < now() - \(Self.milliseconds(silence)) * interval '1 millisecond')
                FOR UPDATE OF c SKIP LOCKED),
            moved AS (
                UPDATE trenza.chunks c SET
                    state = CASE WHEN c.attempt >= c.max_attempts THEN 'dead' ELSE 'available' END,
                    finished_at = CASE WHEN c.attempt >= c.max_attempts THEN now() END,
                    last_error = stale.reason, lease_owner = NULL, lease_expires_at = NULL, run_after = now()
                FROM stale WHERE c.id = stale.id
                RETURNING c.state, c.run_id),
            notified AS (
                SELECT pg_notify(\(Self.progressChannel), run_id::text) FROM (SELECT DISTINCT run_id FROM moved) r)
            SELECT (SELECT count(*) FROM moved WHERE state = 'available')::int,
                   (SELECT count(*) FROM moved WHERE state = 'dead')::int,
                   (SELECT count(*) FROM notified)::int
            """)
        let (requeued, dead, _) = try rows[0].decode((Int, Int, Int).self)
        return RescueReport(requeued: requeued, dead: dead)
    }

    /// Gives chunks back at once, without counting the attempt: a worker told to stop that will
    /// not finish them. Returns how many it still held.
    @discardableResult
    public func release(_ leases: [ChunkLease]) async throws -> Int {
        guard !leases.isEmpty else { return 0 }
        let ids = leases.map(\.chunk)
        let tokens = leases.map(\.token)
        return try await rows("""
            WITH back AS (
                UPDATE trenza.chunks c SET state = 'available', attempt = greatest(c.attempt - 1, 0),
                    lease_owner = NULL, lease_expires_at = NULL, run_after = now()
                FROM unnest(\(ids)::bigint[], \(tokens)::bigint[]) AS t(id, token)
                WHERE c.id = t.id AND c.lease_token = t.token AND c.state = 'running'
                RETURNING c.run_id)
            SELECT count(*)::int FROM back
            """)[0].decode(Int.self)
    }

    /// A worker's goodbye: every chunk it holds goes back at once without counting the attempt,
    /// and it is marked stopped. Returns how many chunks it gave back.
    @discardableResult
    public func stop(worker: Int64) async throws -> Int {
        try await rows("""
            WITH w AS (UPDATE trenza.workers SET stopped_at = now() WHERE id = \(worker) RETURNING id),
            back AS (
                UPDATE trenza.chunks c SET state = 'available', attempt = greatest(c.attempt - 1, 0),
                    lease_owner = NULL, lease_expires_at = NULL, run_after = now()
                WHERE c.lease_owner = \(worker) AND c.state = 'running'
                RETURNING c.run_id)
            SELECT count(*)::int, (SELECT count(*) FROM w)::int FROM back
            """)[0].decode((Int, Int).self).0
    }
}
