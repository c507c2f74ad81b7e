/// What a prune removed.
public struct PruneReport: Sendable, Equatable {
    public var runs: Int
    public var chunks: Int
    public var workers: Int
}
