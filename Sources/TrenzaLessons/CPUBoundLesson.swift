import Foundation
import Trenza

/// The tutorial's `tarea_intensiva`: `resultado += i * numero` for `i` in `0..<steps`.
///
/// Checked arithmetic keeps the loop a loop: with wrapping operators the optimiser replaces it by
/// its closed form and the "CPU-bound" work disappears.
public func tareaIntensiva(_ numero: Int, steps: Int = 10_000_000) -> Int {
    var resultado = 0
    for i in 0..<steps {
        resultado += i * numero
    }
    return resultado
}

/// The closed form of ``tareaIntensiva(_:steps:)``, to check the loop's arithmetic.
public func tareaIntensivaExpected(_ numero: Int, steps: Int = 10_000_000) -> Int {
    numero * (steps * (steps - 1) / 2)
}

/// ``tareaIntensiva(_:steps:)`` as a job, so every engine can run it.
public struct TareaIntensivaJob: Job {
    public static let name = "lessons.tarea-intensiva"

    public struct Input: Codable, Sendable {
        public var numero: Int
        public var steps: Int
        public init(numero: Int, steps: Int = 10_000_000) {
            self.numero = numero
            self.steps = steps
        }
    }

    public init() {}

    public func run(_ input: Input) -> Int {
        tareaIntensiva(input.numero, steps: input.steps)
    }
}

/// §3.1: the CPU-bound task over [1, 2, 3, 4], sequentially and on each engine.
struct CPUBoundLesson: Lesson {
    let slug = "cpu"
    let section = "3.1"
    let title = "CPU-bound work: threads, processes and tasks in parallel"

    /// What the tutorial's Python program prints for [1, 2, 3, 4].
    static let tutorialResults = [49_999_995_000_000, 99_999_990_000_000, 149_999_985_000_000, 199_999_980_000_000]

    func run(_ context: LessonContext) async throws -> [Check] {
        let numbers = [1, 2, 3, 4]
        let inputs = numbers.map { TareaIntensivaJob.Input(numero: $0) }

        let start = monotonicSeconds()
        let sequential = inputs.map { TareaIntensivaJob().run($0) }
        let sequentialSeconds = monotonicSeconds() - start
        context.say("sequential:         \(format(sequentialSeconds))  results \(sequential)")

        var checks = [
            Check("sequential results equal the tutorial's", sequential == Self.tutorialResults, observed: "\(sequential)"),
        ]
        var speedUps: [Engine: Double] = [:]
        for engine in Engine.allCases {
            let runner = Runner(engine: engine, width: context.width, options: .init(workerExecutable: context.executable))
            let engineStart = monotonicSeconds()
            let outcomes = await runner.map(TareaIntensivaJob(), inputs)
            let seconds = monotonicSeconds() - engineStart
            let results = outcomes.map { $0.output }
            speedUps[engine] = sequentialSeconds / seconds
            context.say("\(engine.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) width \(context.width): \(format(seconds))  speed-up \(String(format: "%.2f", sequentialSeconds / seconds))×")
            let failures = outcomes.compactMap { $0.failure?.message }
            checks.append(Check("\(engine) results equal the tutorial's", results == Self.tutorialResults.map { Optional($0) },
                                observed: failures.isEmpty ? "\(results.map { $0 ?? -1 })" : failures.joined(separator: "; ")))
        }
        context.say(conclusion(speedUps))
        return checks
    }

    private func format(_ seconds: Double) -> String { String(format: "%6.3f s", seconds) }

    /// What the measured speed-ups show, in words that follow the figures.
    private func conclusion(_ speedUps: [Engine: Double]) -> String {
        let threads = speedUps[.threads] ?? 0, processes = speedUps[.processes] ?? 0
        let cores = ProcessInfo.processInfo.activeProcessorCount
        func x(_ value: Double) -> String { String(format: "%.2f×", value) }
        var text: String
        if threads >= 1.3 {
            text = "Swift has no GIL: threads ran this CPU-bound work in parallel (\(x(threads))); Python's threads stay near 1× here."
        } else {
            text = "Threads gained only \(x(threads)) in this run: the machine was busy or has one free core; Swift threads are not held back by a GIL."
        }
        if processes >= 0.8 * threads {
            text += " Worker processes scaled the same way (\(x(processes)))."
        } else {
            text += " Worker processes gained \(x(processes)): starting them is part of the time, and each task here lasts only milliseconds in Swift (`trenza bench --steps 400000000` makes the tasks long enough to see processes scale like threads)."
        }
        return text + " \(cores) cores bound the gain."
    }
}
