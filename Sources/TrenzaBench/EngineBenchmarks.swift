import Foundation
import Trenza
import TrenzaLessons

/// One timed run of a batch on one engine.
public struct EngineMeasurement: Codable, Sendable, Equatable {
    public var workload: String
    public var engine: String
    public var width: Int
    public var chunkSize: Int
    public var items: Int
    public var seconds: Double
    public var failures: Int

    public var itemsPerSecond: Double { seconds > 0 ? Double(items) / seconds : 0 }
}

/// Figures of the CPU-bound comparison: the tutorial's §3.1 task, sequential and per engine.
public struct CPUComparison: Codable, Sendable, Equatable {
    public var steps: Int
    public var numbers: [Int]
    public var sequentialSeconds: Double
    public var engines: [EngineMeasurement]
    public var resultsMatch: Bool

    public func speedUp(_ engine: String) -> Double? {
        engines.first { $0.engine == engine }.map { sequentialSeconds / $0.seconds }
    }
}

/// The engine benchmarks: per-item dispatch cost of tiny jobs and the speed-up of CPU work.
///
/// Pools are started and warmed before the clock starts, so dispatch figures measure the
/// engine, not process start-up; ``startup(engine:width:workerExecutable:)`` measures that apart.
public enum EngineBenchmarks {
    /// Runs `items` tiny jobs (`x → x²`) through `engine` and times them.
    public static func dispatch(engine: Engine, width: Int, items: Int, chunkSize: Int = 1, workerExecutable: String? = nil) async throws -> EngineMeasurement {
        let inputs = Array(0..<items)
        let seconds: Double
        let outcomes: [Outcome<Int>]
        switch engine {
        case .threads:
            let pool = ThreadPool(width: width)
            defer { pool.shutdown() }
            _ = await pool.map(SquareJob(), Array(0..<1_000))
            let start = monotonicSeconds()
            outcomes = await pool.map(SquareJob(), inputs)
            seconds = monotonicSeconds() - start
        case .processes:
            let pool = try ProcessPool(width: width, executable: workerExecutable)
            defer { pool.shutdown() }
            _ = await pool.map(SquareJob(), Array(0..<(width * 10)))
            let start = monotonicSeconds()
            outcomes = await pool.map(SquareJob(), inputs, chunkSize: chunkSize)
            seconds = monotonicSeconds() - start
        case .async:
            let runner = Runner(engine: .async, width: width)
            _ = await runner.map(SquareJob(), Array(0..<1_000))
            let start = monotonicSeconds()
            outcomes = await runner.map(SquareJob(), inputs)
            seconds = monotonicSeconds() - start
        }
        let failures = zip(outcomes, inputs).filter { $0.0.output != $0.1 &* $0.1 }.count
        return EngineMeasurement(workload: "dispatch", engine: engine.rawValue, width: width, chunkSize: engine == .processes ? chunkSize : 1,
                           items: items, seconds: seconds, failures: failures)
    }

    /// Time from nothing to the first result of one tiny job: pool creation included.
    public static func startup(engine: Engine, width: Int, workerExecutable: String? = nil) async -> EngineMeasurement {
        let start = monotonicSeconds()
        let outcomes = await Runner(engine: engine, width: width, options: .init(workerExecutable: workerExecutable))
            .map(SquareJob(), Array(0..<width))
        let seconds = monotonicSeconds() - start
        return EngineMeasurement(workload: "startup", engine: engine.rawValue, width: width, chunkSize: 1, items: width,
                           seconds: seconds, failures: outcomes.filter { $0.output == nil }.count)
    }

    /// The tutorial's `tarea_intensiva` over `numbers`, sequentially and on each engine; each
    /// figure is the best of `repeats` runs (the least disturbed by other load).
    public static func cpu(numbers: [Int] = [1, 2, 3, 4], steps: Int = 10_000_000, width: Int, repeats: Int = 3,
                           workerExecutable: String? = nil) async -> CPUComparison {
        let inputs = numbers.map { TareaIntensivaJob.Input(numero: $0, steps: steps) }
        let expected = numbers.map { tareaIntensivaExpected($0, steps: steps) }
        var sequentialBest = Double.infinity
        var matches = true
        for _ in 0..<repeats {
            let start = monotonicSeconds()
            let results = inputs.map { TareaIntensivaJob().run($0) }
            sequentialBest = min(sequentialBest, monotonicSeconds() - start)
            matches = matches && results == expected
        }
        var engines: [EngineMeasurement] = []
        for engine in Engine.allCases {
            var best = Double.infinity
            var failures = 0
            for _ in 0..<repeats {
                let runner = Runner(engine: engine, width: width, options: .init(workerExecutable: workerExecutable))
                let start = monotonicSeconds()
                let outcomes = await runner.map(TareaIntensivaJob(), inputs)
                best = min(best, monotonicSeconds() - start)
                let results = outcomes.map(\.output)
                failures = max(failures, zip(results, expected).filter { $0.0 != $0.1 }.count)
            }
            matches = matches && failures == 0
            engines.append(EngineMeasurement(workload: "cpu", engine: engine.rawValue, width: width, chunkSize: 1,
                                       items: inputs.count, seconds: best, failures: failures))
        }
        return CPUComparison(steps: steps, numbers: numbers, sequentialSeconds: sequentialBest, engines: engines, resultsMatch: matches)
    }
}
