/// A final chunk as the submitter reads it back, in `seq` order.
public struct FinishedChunk: Sendable, Equatable {
    public var seq: Int
    public var state: ChunkState
    public var itemCount: Int
    /// The job's encoded outputs, when `state` is `done`.
    public var result: [UInt8]?
    /// Why it did not finish, when `state` is `failed` or `dead`.
    public var error: String?
    public var attempts: Int
}
