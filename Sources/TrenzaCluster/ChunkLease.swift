/// The proof that a worker holds a chunk: the chunk's id and the fencing token of this claim.
/// Every claim draws a new token, so a lease that was rescued and claimed again (even by the same
/// worker) no longer matches and its late result is refused.
public struct ChunkLease: Hashable, Sendable {
    public var chunk: Int64
    public var token: Int64

    public init(chunk: Int64, token: Int64) {
        self.chunk = chunk
        self.token = token
    }
}
