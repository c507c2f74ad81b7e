/// One chunk as submitted: its place in the run, how many inputs it carries and their encoding.
public struct ChunkInput: Sendable, Equatable {
    /// Position in the run, from 0; results come back in this order.
    public var seq: Int
    public var itemCount: Int
    public var payload: [UInt8]

    public init(seq: Int, itemCount: Int, payload: [UInt8]) {
        self.seq = seq
        self.itemCount = itemCount
        self.payload = payload
    }
}
