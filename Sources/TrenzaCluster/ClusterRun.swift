/// A run as its submitter sees it once the inputs are in the queue.
public struct ClusterRun: Sendable, Equatable {
    public var id: Int64
    /// False when the key named a run that already existed: this submission attached to it, and
    /// its finished chunks will not run again.
    public var created: Bool
    public var itemCount: Int
    public var chunkCount: Int
    public var chunkSize: Int
}
