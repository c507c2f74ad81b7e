import PostgresNIO
import Testing
import TrenzaCluster
import TrenzaClusterTestSupport

@Suite("Schema migrations", .serialized, needsPostgres, .timeLimit(.minutes(2)))
struct MigrationTests {
    @Test func migratingAgainChangesNothing() async throws {
        try await withQueue { queue, _ in
            #expect(try await queue.migrate() == QueueSchema.currentVersion)
            #expect(try await queue.migrate() == QueueSchema.currentVersion)
            #expect(try await scalar(queue, Int.self, "SELECT count(*)::int FROM trenza.schema_version") == QueueSchema.currentVersion)
            let tables = try await scalar(queue, [String].self, """
                SELECT array_agg(tablename::text ORDER BY tablename) FROM pg_tables WHERE schemaname = 'trenza'
                """)
            #expect(tables == ["chunks", "runs", "schema_version", "workers"])
            // The churn settings are on the table, not just in the migration's text.
            let options = try await scalar(queue, [String].self, "SELECT reloptions FROM pg_class WHERE oid = 'trenza.chunks'::regclass")
            #expect(options.contains("autovacuum_vacuum_scale_factor=0.01"))
        }
    }

    @Test func clientsMigratingAtOnceTakeTurns() async throws {
        try await TestPostgres.with { server in
            // Separate pools are separate sessions, as separate processes would be.
            let found = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await ClusterQueue.withQueue(server.socketURL, maxConnections: 1, migrate: false) { queue in
                            try await queue.migrate()
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            // Exactly one found an empty database; the rest found it done.
            #expect(found.sorted() == [0] + Array(repeating: QueueSchema.currentVersion, count: 5))
            let versions = try await ClusterQueue.withQueue(server.socketURL, migrate: false) { queue in
                try await scalar(queue, Int.self, "SELECT count(*)::int FROM trenza.schema_version")
            }
            #expect(versions == QueueSchema.currentVersion)
        }
    }

    @Test func aNewerSchemaIsRefusedByName() async throws {
        try await withQueue { queue, _ in
            try await queue.client.query("INSERT INTO trenza.schema_version (version) VALUES (\(QueueSchema.currentVersion + 5))")
            await #expect(throws: ClusterError.schemaTooNew(found: QueueSchema.currentVersion + 5, known: QueueSchema.currentVersion)) {
                try await queue.migrate()
            }
        }
    }
}
