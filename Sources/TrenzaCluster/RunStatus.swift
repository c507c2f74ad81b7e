import Foundation

/// A run and where its chunks are: what `trenza runs show` prints and progress reports carry.
public struct RunStatus: Sendable, Equatable {
    public var id: Int64
    public var key: String?
    public var job: JobKey
    public var state: RunState
    public var createdAt: Date
    /// The chunks and inputs the run was submitted with (so far, while `submitting`).
    public var chunkCount: Int
    public var itemCount: Int
    public var options: [UInt8]
    /// Chunks in each state; states with none are absent.
    public var chunks: [ChunkState: Int]
    /// Inputs in each state (each chunk's inputs share its state).
    public var items: [ChunkState: Int]

    public func chunks(_ state: ChunkState) -> Int { chunks[state] ?? 0 }
    public func items(_ state: ChunkState) -> Int { items[state] ?? 0 }

    /// Whether nothing is left to run: every chunk of a completely submitted run is final.
    public var isFinished: Bool {
        if state == .cancelled { return chunks(.available) + chunks(.running) == 0 }
        return state == .open && chunks(.available) + chunks(.running) == 0
    }
}
