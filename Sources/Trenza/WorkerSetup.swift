/// Work done once in every worker process before its first item: Python's `initializer`.
///
/// The value travels to each worker like a `Codable` job does, so it runs there exactly as the
/// caller built it. A setup that throws stops that worker from starting; the pool reports the
/// error on the items it could not run.
///
/// ```swift
/// struct LoadModel: WorkerSetup {
///     var path: String
///     func setUp() throws { try Model.loadShared(from: path) }
/// }
/// let pool = try ProcessPool(width: 4, options: .init(setup: LoadModel(path: "model.bin")))
/// ```
public protocol WorkerSetup: Codable, Sendable {
    /// Runs in the worker process, once, before any job.
    func setUp() throws
}
