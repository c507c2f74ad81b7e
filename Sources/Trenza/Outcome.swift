/// Why one item of a batch did not produce an output.
public struct ItemFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad cause, for callers that react differently to each.
    public enum Kind: String, Sendable, Equatable, Codable {
        /// The job threw an error for this input.
        case jobError
        /// The worker process died (signal, exit or a malformed reply) while running this item.
        case workerCrashed
        /// The item ran longer than the per-item timeout; its worker was killed and replaced.
        case timedOut
        /// The batch was cancelled before this item finished.
        case cancelled
        /// The input or output could not be encoded or decoded, or the job is unknown to the worker.
        case protocolError
    }

    // One reference, not three fields: an outcome is then its output plus a tag (16 bytes for
    // an `Int` instead of 40), which halves what a map of a million tiny items writes to memory.
    private final class Storage: Sendable {
        let index: Int
        let kind: Kind
        let message: String

        init(index: Int, kind: Kind, message: String) {
            self.index = index
            self.kind = kind
            self.message = message
        }
    }

    private var storage: Storage

    /// Position of the item in the input array.
    public var index: Int {
        get { storage.index }
        set { storage = Storage(index: newValue, kind: kind, message: message) }
    }

    public var kind: Kind {
        get { storage.kind }
        set { storage = Storage(index: index, kind: newValue, message: message) }
    }

    /// A sentence a user can act on, such as "worker process crashed with signal 6 (SIGABRT)".
    public var message: String {
        get { storage.message }
        set { storage = Storage(index: index, kind: kind, message: newValue) }
    }

    public init(index: Int, kind: Kind, message: String) {
        storage = Storage(index: index, kind: kind, message: message)
    }

    public static func == (lhs: ItemFailure, rhs: ItemFailure) -> Bool {
        lhs.index == rhs.index && lhs.kind == rhs.kind && lhs.message == rhs.message
    }

    public var description: String { "item \(index): \(message)" }
}

/// The result of one item: its output, or the reason it has none.
public typealias Outcome<Output> = Result<Output, ItemFailure>

extension Result where Failure == ItemFailure {
    /// The output, or `nil` when the item failed.
    public var output: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    /// The failure, or `nil` when the item succeeded.
    public var failure: ItemFailure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

/// A readable message for an error thrown by a job, preferring its own description.
func describe(_ error: any Error) -> String {
    if let failure = error as? ItemFailure { return failure.message }
    let text = String(describing: error)
    return text.isEmpty ? "\(type(of: error))" : text
}
