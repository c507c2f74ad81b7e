import Logging
import PostgresNIO

/// The queue's tables, as numbered migrations applied in order.
///
/// Everything lives in the `trenza` schema. `migrate` runs in one transaction that first takes a
/// transaction-scoped advisory lock, so two processes starting at once against a new database
/// take turns: the second finds the work done. The lock ends with the transaction, so a migrator
/// that dies frees it.
public enum QueueSchema {
    /// The schema version this build of Trenza writes and reads.
    public static var currentVersion: Int { migrations.count }

    /// The advisory-lock key all migrators agree on ("trenza" in ASCII).
    static let migrationLock: Int64 = 0x74_72_65_6E_7A_61

    /// Brings the database up to `currentVersion`; returns the version it found (0 when new).
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger = ClusterQueue.silentLogger) async throws -> Int {
        do {
            return try await migrateInTransaction(client, logger: logger)
        } catch let error as PostgresTransactionError {
            // The wrapper only says where the transaction was; the cause is what a user can act on.
            throw error.closureError ?? error.beginError ?? error
        }
    }

    private static func migrateInTransaction(_ client: PostgresClient, logger: Logger) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query("CREATE SCHEMA IF NOT EXISTS trenza", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS trenza.schema_version (
                    version int PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var found = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0)::int FROM trenza.schema_version", logger: logger).decode(Int.self) {
                found = version
            }
            guard found <= currentVersion else { throw ClusterError.schemaTooNew(found: found, known: currentVersion) }
            for (index, statements) in migrations.enumerated() where index + 1 > found {
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO trenza.schema_version (version) VALUES (\(index + 1))", logger: logger)
            }
            return found
        }
    }

    /// One entry per version; each is a list of single statements (the extended protocol takes
    /// one at a time). Never edit a released entry: add one.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE trenza.runs (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                key text UNIQUE,
                job_name text NOT NULL,
                job_version int NOT NULL,
                state text NOT NULL DEFAULT 'submitting' CHECK (state IN ('submitting', 'open', 'cancelled')),
                options bytea NOT NULL DEFAULT ''::bytea,
                max_attempts int NOT NULL CHECK (max_attempts >= 1),
                chunk_count int NOT NULL DEFAULT 0,
                item_count bigint NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL DEFAULT now(),
                sealed_at timestamptz,
                cancelled_at timestamptz)
            """,
            // Every claim, heartbeat and completion rewrites a chunk row, so the table is mostly
            // dead tuples under load unless vacuumed far more often than the default 20 % allows;
            // free space in each page lets the lease-only updates stay on the page.
            """
            CREATE TABLE trenza.chunks (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id bigint NOT NULL REFERENCES trenza.runs (id) ON DELETE CASCADE,
                seq int NOT NULL,
                job_name text NOT NULL,
                job_version int NOT NULL,
                item_count int NOT NULL,
                state text NOT NULL DEFAULT 'available'
                    CHECK (state IN ('available', 'running', 'done', 'failed', 'dead', 'cancelled')),
                attempt int NOT NULL DEFAULT 0,
                max_attempts int NOT NULL CHECK (max_attempts >= 1),
                lease_owner bigint,
                lease_token bigint,
                lease_expires_at timestamptz,
                run_after timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                last_error text,
                input bytea NOT NULL,
                result bytea,
                UNIQUE (run_id, seq))
            WITH (fillfactor = 80,
                  autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                  autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 1)
            """,
            // Claims walk this small index in submission order and never see finished chunks.
            "CREATE INDEX chunks_claimable ON trenza.chunks (id) WHERE state = 'available'",
            "CREATE INDEX chunks_leases ON trenza.chunks (lease_expires_at) WHERE state = 'running'",
            "CREATE INDEX chunks_owners ON trenza.chunks (lease_owner) WHERE state = 'running'",
            """
            CREATE TABLE trenza.workers (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                host text NOT NULL,
                pid int NOT NULL,
                jobs text[] NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                heartbeat_at timestamptz NOT NULL DEFAULT now(),
                stopped_at timestamptz)
            WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_threshold = 100)
            """,
            // Fencing tokens: one number per claim, never reused, so a token names one lease.
            "CREATE SEQUENCE trenza.lease_tokens AS bigint",
        ],
    ]
}
