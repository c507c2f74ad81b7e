/// One of the tutorial's three simulated operations: a wait of random length, standing in for
/// a database query or a call to another service.
public enum SimulatedOperation: String, CaseIterable, Sendable {
    /// `/rapido`: 0.1–0.3 s.
    case fast
    /// `/medio`: 0.5–1.5 s.
    case medium
    /// `/lento`: 2–4 s.
    case slow

    /// The name the tutorial's JSON reports in `"operacion"`.
    public var spanishName: String {
        switch self {
        case .fast: "rápida"
        case .medium: "media"
        case .slow: "lenta"
        }
    }

    /// How long the operation waits at time scale 1, in seconds; drawn uniformly, as Python's
    /// `random.uniform` does.
    public var secondsRange: ClosedRange<Double> {
        switch self {
        case .fast: 0.1...0.3
        case .medium: 0.5...1.5
        case .slow: 2...4
        }
    }
}

/// What one operation reports: its name and the seconds it waited (the tutorial's
/// `{"operacion": ..., "tiempo": ...}`).
public struct OperationResult: Sendable, Equatable {
    /// Which operation ran.
    public var operation: SimulatedOperation
    /// The wait it was given, already multiplied by the time scale.
    public var seconds: Double

    /// A result for `operation`, which waited `seconds`.
    public init(operation: SimulatedOperation, seconds: Double) {
        self.operation = operation
        self.seconds = seconds
    }

    /// The tutorial's JSON for it.
    public var json: PythonJSON {
        .object([("operacion", .string(operation.spanishName)), ("tiempo", .double(seconds))])
    }
}
