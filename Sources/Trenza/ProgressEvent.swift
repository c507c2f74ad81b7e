import Foundation

/// Something that happened to one item of a batch, in the order it happened.
public enum ProgressEvent: Sendable, Equatable {
    /// The item at `index` started on some worker.
    case started(index: Int)
    /// The item at `index` produced its output; `duration` is how long it ran (for tiny items
    /// run back to back as one chunk, the chunk's time shared equally among them).
    case succeeded(index: Int, duration: Duration)
    /// The item at `index` failed.
    case failed(ItemFailure)
    /// A job reported `count` more bytes transferred for the item at `index`.
    case bytes(index: Int, count: Int)

    public var index: Int {
        switch self {
        case .started(let index), .succeeded(let index, _), .bytes(let index, _): index
        case .failed(let failure): failure.index
        }
    }
}

/// Receives progress events; called from whichever thread or task finished the item.
public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void

/// Counts of a batch in progress, folded from ``ProgressEvent``s.
public struct ProgressTally: Sendable, Equatable {
    public var total: Int
    public var started = 0
    public var succeeded = 0
    public var failed = 0
    public var bytes = 0

    public init(total: Int) { self.total = total }

    public var finished: Int { succeeded + failed }

    public mutating func record(_ event: ProgressEvent) {
        switch event {
        case .started: started += 1
        case .succeeded: succeeded += 1
        case .failed: failed += 1
        case .bytes(_, let count): bytes += count
        }
    }
}
