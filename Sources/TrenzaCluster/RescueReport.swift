/// What one rescue pass did with leases whose worker went quiet.
public struct RescueReport: Sendable, Equatable {
    /// Chunks put back in the queue for another attempt.
    public var requeued: Int
    /// Chunks whose lost lease was their last attempt.
    public var dead: Int

    public init(requeued: Int, dead: Int) {
        self.requeued = requeued
        self.dead = dead
    }
}
