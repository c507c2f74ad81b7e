import Foundation
import PostgresNIO

extension ClusterQueue {
    /// Chunks per INSERT: a few thousand rows keep one statement's parameters a few megabytes.
    static let insertBatch = 2_000

    /// Starts a run, or finds the one `request.key` already names. Returns its id and whether it
    /// is new; an existing run may already have chunks (add them again: known ones are skipped).
    public func createRun(_ request: RunRequest) async throws -> (id: Int64, created: Bool) {
        let options = ByteBuffer(bytes: request.options)
        var created = true
        var rows = try await rows("""
            INSERT INTO trenza.runs (key, job_name, job_version, options, max_attempts)
            VALUES (\(request.key), \(request.job.name), \(request.job.version), \(options), \(request.maxAttempts))
            ON CONFLICT (key) DO NOTHING
            RETURNING id, job_name, job_version
            """)
        if rows.isEmpty {
            // A separate statement, so that its snapshot includes a run that another submitter
            // committed while the insert above waited on the key.
            created = false
            rows = try await self.rows("SELECT id, job_name, job_version FROM trenza.runs WHERE key = \(request.key)")
        }
        // Pruned between the two statements: the key is free again.
        guard let row = rows.first else { return try await createRun(request) }
        let (id, name, version) = try row.decode((Int64, String, Int).self)
        let found = JobKey(name, version: version)
        guard found == request.job else {
            throw ClusterError.runKeyTaken(key: request.key ?? "", job: found, requested: request.job)
        }
        return (id, created)
    }

    /// The run that `key` names, if any.
    public func findRun(key: String) async throws -> Int64? {
        try await rows("SELECT id FROM trenza.runs WHERE key = \(key)").first?.decode(Int64.self)
    }

    /// Adds chunks to a run, a few thousand per statement; chunks whose `seq` the run already has
    /// are skipped, so a submitter that restarts can add them all again; a cancelled run takes
    /// none. Returns how many were new. Each batch notifies `workChannel`.
    @discardableResult
    public func addChunks(run: Int64, _ chunks: [ChunkInput]) async throws -> Int {
        var added = 0
        var start = 0
        while start < chunks.count {
            let batch = chunks[start..<min(start + Self.insertBatch, chunks.count)]
            start = batch.endIndex
            let seqs = batch.map { Int($0.seq) }
            let counts = batch.map { Int($0.itemCount) }
            let payloads = batch.map { ByteBuffer(bytes: $0.payload) }
            let rows = try await rows("""
                WITH ins AS (
                    INSERT INTO trenza.chunks (run_id, seq, job_name, job_version, item_count, max_attempts, input)
                    SELECT r.id, t.seq::int, r.job_name, r.job_version, t.n::int, r.max_attempts, t.input
                    FROM trenza.runs r, unnest(\(seqs)::bigint[], \(counts)::bigint[], \(payloads)::bytea[]) AS t(seq, n, input)
                    WHERE r.id = \(run) AND r.state <> 'cancelled'
                    ON CONFLICT (run_id, seq) DO NOTHING
                    RETURNING 1)
                SELECT (SELECT count(*) FROM ins)::int, pg_notify(\(Self.workChannel), \(String(run)))::text
                """)
            if let row = rows.first { added += try row.decode((Int, String).self).0 }
        }
        return added
    }

    /// Marks a run completely submitted and records its totals: from now on it is finished when
    /// its chunks are. Harmless when already sealed.
    public func sealRun(_ run: Int64) async throws {
        let rows = try await rows("""
            UPDATE trenza.runs r SET
                state = CASE WHEN r.state = 'submitting' THEN 'open' ELSE r.state END,
                sealed_at = coalesce(r.sealed_at, now()),
                chunk_count = t.chunks, item_count = t.items
            FROM (SELECT count(*)::int AS chunks, coalesce(sum(item_count), 0)::bigint AS items
                  FROM trenza.chunks WHERE run_id = \(run)) t
            WHERE r.id = \(run)
            RETURNING r.id
            """)
        guard !rows.isEmpty else { throw ClusterError.unknownRun(run) }
    }

    /// A run and its chunk counts by state, or nil when there is no such run.
    public func status(run: Int64) async throws -> RunStatus? {
        try await statuses(where: "WHERE r.id = \(run)").first
    }

    /// The newest runs first.
    public func listRuns(limit: Int = 50) async throws -> [RunStatus] {
        try await statuses(where: "ORDER BY r.id DESC LIMIT \(limit)")
    }

    private func statuses(where tail: PostgresQuery) async throws -> [RunStatus] {
        var query: PostgresQuery = """
            SELECT r.id, r.key, r.job_name, r.job_version, r.state, r.created_at, r.chunk_count, r.item_count::bigint,
                   r.options, coalesce(s.states, '{}'), coalesce(s.chunks, '{}'), coalesce(s.items, '{}')
            FROM trenza.runs r
            LEFT JOIN LATERAL (
                SELECT array_agg(state) AS states, array_agg(n) AS chunks, array_agg(i) AS items
                FROM (SELECT state, count(*)::bigint AS n, sum(item_count)::bigint AS i
                      FROM trenza.chunks WHERE run_id = r.id GROUP BY state) g) s ON true
            """
        query.sql += " " + tail.sql
        query.binds = tail.binds
        return try await rows(query).map { row in
            let (id, key, name, version, state, created, chunkCount, itemCount, options, states, chunks, items) =
                try row.decode((Int64, String?, String, Int, String, Date, Int, Int, ByteBuffer, [String], [Int], [Int]).self)
            let byState = Self.states(states, chunks)
            let itemsByState = Self.states(states, items)
            let sealed = RunState(rawValue: state) ?? .open
            return RunStatus(
                id: id, key: key, job: JobKey(name, version: version), state: sealed, createdAt: created,
                chunkCount: sealed == .submitting ? byState.values.reduce(0, +) : chunkCount,
                itemCount: sealed == .submitting ? itemsByState.values.reduce(0, +) : itemCount,
                options: Array(options.readableBytesView), chunks: byState, items: itemsByState)
        }
    }

    /// Final chunks of a run from `seq` on, in order: how a submitter streams outcomes back.
    public func results(run: Int64, from seq: Int = 0, limit: Int = 1_000) async throws -> [FinishedChunk] {
        try await rows("""
            SELECT seq, state, item_count, result, last_error, attempt FROM trenza.chunks
            WHERE run_id = \(run) AND seq >= \(seq) AND state IN ('done', 'failed', 'dead', 'cancelled')
            ORDER BY seq LIMIT \(limit)
            """).map { row in
            let (seq, state, items, result, error, attempts) = try row.decode((Int, String, Int, ByteBuffer?, String?, Int).self)
            let final = ChunkState(rawValue: state) ?? .dead
            return FinishedChunk(seq: seq, state: final, itemCount: items, result: Self.bytes(result),
                                 error: final == .done ? nil : error, attempts: attempts)
        }
    }

    /// Chunks that are not done and have an error: dead and failed ones, and those waiting to retry.
    public func failures(run: Int64, limit: Int = 100) async throws -> [ChunkFailure] {
        try await rows("""
            SELECT seq, state, attempt, max_attempts, item_count, last_error FROM trenza.chunks
            WHERE run_id = \(run) AND last_error IS NOT NULL AND state IN ('available', 'running', 'failed', 'dead')
            ORDER BY seq LIMIT \(limit)
            """).map { row in
            let (seq, state, attempt, maxAttempts, items, error) = try row.decode((Int, String, Int, Int, Int, String).self)
            return ChunkFailure(seq: seq, state: ChunkState(rawValue: state) ?? .dead, attempt: attempt,
                                maxAttempts: maxAttempts, itemCount: items, error: error)
        }
    }

    /// Cancels a run: its chunks that have not finished become `cancelled`, and the results of
    /// those being worked on will be refused. Returns how many chunks it stopped.
    @discardableResult
    public func cancel(run: Int64) async throws -> Int {
        let rows = try await rows("""
            WITH r AS (
                UPDATE trenza.runs SET state = 'cancelled', cancelled_at = coalesce(cancelled_at, now())
                WHERE id = \(run) RETURNING id),
            c AS (
                UPDATE trenza.chunks SET state = 'cancelled', finished_at = now(), lease_expires_at = NULL
                WHERE run_id = \(run) AND state IN ('available', 'running') RETURNING 1)
            SELECT (SELECT count(*) FROM r)::int, (SELECT count(*) FROM c)::int, pg_notify(\(Self.progressChannel), \(String(run)))::text
            """)
        let (found, stopped, _) = try rows[0].decode((Int, Int, String).self)
        guard found == 1 else { throw ClusterError.unknownRun(run) }
        return stopped
    }

    /// Deletes one run with its chunks and results, once nothing of it runs (cancel it first).
    /// Returns false when it still has chunks to run; throws when there is no such run.
    @discardableResult
    public func delete(run: Int64) async throws -> Bool {
        let rows = try await rows("""
            WITH gone AS (
                DELETE FROM trenza.runs r WHERE r.id = \(run)
                  AND NOT EXISTS (SELECT 1 FROM trenza.chunks c WHERE c.run_id = r.id AND c.state IN ('available', 'running'))
                RETURNING 1)
            SELECT (SELECT count(*) FROM gone)::int, (SELECT count(*) FROM trenza.runs WHERE id = \(run))::int
            """)
        let (deleted, remaining) = try rows[0].decode((Int, Int).self)
        if deleted == 0 && remaining == 0 { throw ClusterError.unknownRun(run) }
        return deleted == 1
    }

    /// Deletes runs with nothing left to run and no chunk finished in the last `age` (their
    /// chunks go with them), and workers silent for `age` that hold no lease.
    @discardableResult
    public func prune(olderThan age: Duration) async throws -> PruneReport {
        let ms = Self.milliseconds(age)
        let rows = try await rows("""
            WITH gone AS (
                DELETE FROM trenza.runs r
                WHERE r.created_at < now() - \(ms) * interval '1 millisecond'
                  AND NOT EXISTS (
                      SELECT 1 FROM trenza.chunks c WHERE c.run_id = r.id
                      AND (c.state IN ('available', 'running') OR c.finished_at > now() - \(ms) * interval '1 millisecond'))
                RETURNING r.id, (SELECT count(*) FROM trenza.chunks c WHERE c.run_id = r.id) AS chunks),
            quiet AS (
                DELETE FROM trenza.workers w
                WHERE w.heartbeat_at < now() - \(ms) * interval '1 millisecond'
                  AND NOT EXISTS (SELECT 1 FROM trenza.chunks c WHERE c.lease_owner = w.id AND c.state = 'running')
                RETURNING 1)
            SELECT (SELECT count(*) FROM gone)::int, (SELECT coalesce(sum(chunks), 0) FROM gone)::int, (SELECT count(*) FROM quiet)::int
            """)
        let (runs, chunks, workers) = try rows[0].decode((Int, Int, Int).self)
        return PruneReport(runs: runs, chunks: chunks, workers: workers)
    }
}
