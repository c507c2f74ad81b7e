/// The three strands of concurrency a ``Runner`` can braid a job over.
public enum Engine: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// A fixed pool of OS threads, each blocking on one item at a time.
    case threads
    /// A pool of worker processes (the same binary started as a worker), items sent over pipes.
    case processes
    /// Swift structured concurrency: at most `width` child tasks in flight.
    case async

    public var description: String { rawValue }
}

/// A named, pure unit of work over `Codable` data, runnable on every ``Engine``.
///
/// The name is how a worker process finds the job in its ``JobRegistry``: the job value itself
/// never crosses a process boundary, so anything that varies per call belongs in `Input`.
/// Jobs should be free of side effects beyond their output: the process engine may run an item
/// again when the worker that held it died before starting it.
public protocol Job: Sendable {
    associatedtype Input: Codable & Sendable
    associatedtype Output: Codable & Sendable

    /// A stable name, unique within a registry (for example `"lessons.tarea-intensiva"`).
    static var name: String { get }

    /// The blocking form, used by the threads and processes engines.
    func run(_ input: Input) throws -> Output

    /// The async form, used by the async engine. The default calls the blocking form, which
    /// occupies one of Swift's cooperative threads for the duration: I/O jobs implement it natively.
    func runAsync(_ input: Input) async throws -> Output
}

extension Job {
    public func runAsync(_ input: Input) async throws -> Output {
        try run(input)
    }
}

/// An error a job throws to report a failure of one item with a readable message.
public struct JobError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
