import Trenza

/// A job of the consumer's own, with state of its own: the factor must be the one that runs.
struct Scale: Job, Codable {
    static let name = "consumer.scale"
    var factor: Int

    func run(_ input: Int) throws -> Int {
        guard input >= 0 else { throw JobError("negative input \(input)") }
        return input * factor
    }
}

// No worker hook anywhere: on the processes engine, workers are this program started again,
// and Trenza serves the job in them before this code would run.
for engine in Engine.allCases {
    let outcomes = await Runner(engine: engine, width: 2).map(Scale(factor: 5), [1, 2, 3, -1])
    for outcome in outcomes {
        switch outcome {
        case .success(let value): print("\(engine) ok \(value)")
        case .failure(let failure): print("\(engine) failed \(failure.message)")
        }
    }
}
