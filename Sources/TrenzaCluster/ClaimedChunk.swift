import Foundation

/// A chunk a worker has claimed: what to run and the lease to report back with.
public struct ClaimedChunk: Sendable {
    public var lease: ChunkLease
    public var run: Int64
    public var seq: Int
    public var job: JobKey
    /// This claim's attempt number, from 1.
    public var attempt: Int
    public var maxAttempts: Int
    public var itemCount: Int
    public var input: [UInt8]
    public var leaseExpiresAt: Date

    public var id: Int64 { lease.chunk }
}
