/// A list of jobs, kept for programs written against earlier versions of Trenza.
///
/// Worker processes no longer look jobs up in a registry: each job travels to the worker with
/// its value (see ``Job``), so registering jobs is not needed. A registry still records names,
/// which a program may use to list its jobs.
public struct JobRegistry: Sendable {
    private var registered: Set<String> = []

    /// An empty registry.
    public init() {}

    /// A registry naming Trenza's own diagnostic jobs.
    public static var builtIn: JobRegistry {
        var registry = JobRegistry()
        registry.register(ProbeJob())
        registry.register(SquareJob())
        return registry
    }

    /// Records `job`'s name.
    public mutating func register<J: Job>(_ job: J) {
        registered.insert(J.name)
    }

    /// Adds every job of `other`.
    public mutating func merge(_ other: JobRegistry) {
        registered.formUnion(other.registered)
    }

    /// The registered job names, sorted.
    public var names: [String] { registered.sorted() }
}
