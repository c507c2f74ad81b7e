/// A chunk that has failed at least once and is not done: its latest error, for `runs show`.
public struct ChunkFailure: Sendable, Equatable {
    public var seq: Int
    public var state: ChunkState
    public var attempt: Int
    public var maxAttempts: Int
    public var itemCount: Int
    public var error: String
}
