import Foundation
import PostgresNIO
import Testing
import TrenzaCluster
import TrenzaClusterTestSupport

/// Tests that need a real server run only where PostgreSQL is installed, and say so otherwise.
let needsPostgres = Testing.ConditionTrait.enabled(
    if: TestPostgres.unavailableReason == nil,
    Comment(rawValue: TestPostgres.unavailableReason ?? "PostgreSQL is installed"))

/// A fresh server and a migrated queue on it, stopped afterwards whatever happens.
func withQueue<Result: Sendable>(
    tcp: Bool = false,
    maxConnections: Int = 12,
    _ body: (ClusterQueue, TestPostgres) async throws -> Result
) async throws -> Result {
    try await TestPostgres.with(tcp: tcp) { server in
        try await ClusterQueue.withQueue(tcp ? server.tcpURL : server.socketURL, maxConnections: maxConnections) { queue in
            try await body(queue, server)
        }
    }
}

let testJob = JobKey("square", version: 2)

/// A run of `count` chunks whose payload is the chunk's number as text, sealed.
func submit(_ queue: ClusterQueue, chunks count: Int, itemsPerChunk: Int = 1, maxAttempts: Int = 3, key: String? = nil) async throws -> Int64 {
    let run = try await queue.createRun(RunRequest(job: testJob, key: key, maxAttempts: maxAttempts)).id
    try await queue.addChunks(run: run, (0..<count).map { ChunkInput(seq: $0, itemCount: itemsPerChunk, payload: Array("\($0)".utf8)) })
    try await queue.sealRun(run)
    return run
}

/// One row's single value, for checks straight against the tables.
func scalar<T: PostgresDecodable & Sendable>(_ queue: ClusterQueue, _ type: T.Type, _ query: PostgresQuery) async throws -> T {
    let rows = try await queue.client.query(query).collect()
    return try rows[0].decode(T.self)
}
