/// A finished chunk's result, reported under the lease it ran with.
public struct ChunkCompletion: Sendable {
    public var lease: ChunkLease
    public var result: [UInt8]

    public init(lease: ChunkLease, result: [UInt8]) {
        self.lease = lease
        self.result = result
    }
}
