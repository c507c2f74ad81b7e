/// A run's own state, apart from its chunks'.
public enum RunState: String, Sendable, Codable {
    /// Chunks are still being added; workers may already claim those that are in.
    case submitting
    /// Every chunk is in; the run is finished when all of them are final.
    case open
    case cancelled
}
