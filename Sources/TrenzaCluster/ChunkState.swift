/// Where a chunk is in its life. `done`, `failed`, `dead` and `cancelled` are final.
public enum ChunkState: String, Sendable, CaseIterable, Codable {
    /// Waiting to be claimed (possibly not before its `run_after`, after a failed attempt).
    case available
    /// Claimed under a lease that has not been given up, rescued or fenced off.
    case running
    case done
    /// The job reported an error that retrying cannot fix.
    case failed
    /// Every attempt failed or lost its lease; the last error is kept.
    case dead
    case cancelled

    public var isFinal: Bool { self != .available && self != .running }
}
