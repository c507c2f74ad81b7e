import Foundation
import Synchronization
import Trenza

/// The `dispatch` workload: what a caller gets from a ``Pool`` without tuning anything.
///
/// - tiny items (x → x²) through `map` with every setting at its default (on processes that
///   means automatic chunks), and one item per message for comparison with Python's
///   `chunksize=1`;
/// - inputs counted out by an `AsyncSequence` (never an array) through `stream`, at two sizes,
///   so that memory that stays put while the count grows tenfold shows the stream is flat;
/// - single items through `submit` from many tasks at once: rate, latency per item and the
///   process's thread count, which must not grow with the items pending.
enum DispatchWorkload {
    static func run(_ plan: BenchPlan, _ steps: StepCounter) async throws -> [BenchSection] {
        [try await defaults(plan, steps), try await streaming(plan, steps), try await submits(plan, steps)]
    }

    // MARK: - map with default settings

    static func defaults(_ plan: BenchPlan, _ steps: StepCounter) async throws -> BenchSection {
        let sizes = wireSizes(input: 0, output: 0)
        var section = BenchSection(
            id: "dispatch.map", workload: .dispatch, title: "Dispatch with default settings",
            summary: "\(BenchFormat.grouped(plan.dispatchItems)) tiny items (x → x²) through Pool.map with every option at its default (automatic chunks on processes), after a first batch of 100 items that starts the pool; one item per message on processes for comparison.",
            nature: .throughput, unit: "items", inputBytesPerItem: sizes.input, outputBytesPerItem: sizes.output)
        let inputs = Array(0..<plan.dispatchItems)
        let expected = inputs.map { $0 &* $0 }
        for width in plan.widths {
            for engine in Engine.allCases {
                steps.next("dispatch: \(engine) with default settings, width \(width), \(BenchFormat.grouped(inputs.count)) items")
                section.rows.append(try await warmMap(engine, width: width, inputs: inputs, expected: expected, options: .init(workerExecutable: plan.workerExecutable)))
            }
            steps.next("dispatch: processes one item per message, width \(width)")
            var row = try await warmMap(.processes, width: width, inputs: inputs, expected: expected,
                                        options: .init(chunkSize: 1, workerExecutable: plan.workerExecutable))
            row.variant = "one item per message"
            section.rows.append(row)
        }
        section.notes.append("The first batch also teaches the processes engine how long an item takes, which its automatic chunks are sized from; the Python peers of scripts/bench-engines.sh are warmed the same way.")
        return section
    }

    /// Times `inputs` through a new pool that has already run a first batch.
    private static func warmMap(_ engine: Engine, width: Int, inputs: [Int], expected: [Int], options: Pool.Options) async throws -> BenchRow {
        let pool = try Pool(engine: engine, width: width, options: options)
        _ = await pool.map(SquareJob(), Array(0..<min(100, inputs.count)))
        let (outcomes, seconds, memory) = await BenchSuite.timed(engine) { await pool.map(SquareJob(), inputs) }
        await pool.shutdown()
        return BenchSuite.row(engine, width: width, items: inputs.count, seconds: seconds, memory: memory,
                              failures: BenchSuite.wrong(outcomes, expected))
    }

    // MARK: - stream

    static func streaming(_ plan: BenchPlan, _ steps: StepCounter) async throws -> BenchSection {
        let width = plan.startupWidth
        let counts = plan.streamCounts
        var section = BenchSection(
            id: "dispatch.stream", workload: .dispatch, title: "Streaming generated inputs",
            summary: "x → x² over \(counts.map { BenchFormat.grouped($0) }.joined(separator: " and ")) inputs counted out by an AsyncSequence (no array) through Pool.stream at width \(width), outcomes taken as they finish and each checked; memory sampled throughout.",
            nature: .streaming, sweep: .items, unit: "items")
        for engine in Engine.allCases {
            for count in counts {
                steps.next("stream: \(engine), width \(width), \(BenchFormat.grouped(count)) generated inputs")
                let pool = try Pool(engine: engine, width: width, options: .init(workerExecutable: plan.workerExecutable))
                _ = await pool.map(SquareJob(), Array(0..<100))
                let ((received, wrong), seconds, memory) = await BenchSuite.timed(engine, releaseFreeMemory: true) {
                    await drain(pool.stream(SquareJob(), CountingInputs(count: count)))
                }
                await pool.shutdown()
                section.rows.append(BenchSuite.row(engine, width: width, items: count, seconds: seconds, memory: memory,
                                                   failures: wrong + (count - received)))
            }
        }
        section.notes.append("Flat memory means the peak does not grow with the count: the stream holds only its window of inputs pulled ahead of the consumer.")
        return section
    }

    /// Takes every outcome of `stream`: how many arrived and how many were not x².
    private static func drain(_ stream: OutcomeStream<Int>) async -> (received: Int, wrong: Int) {
        var received = 0, wrong = 0
        do {
            for try await result in stream {
                received += 1
                if result.outcome.output != result.index &* result.index { wrong += 1 }
            }
        } catch {
            // The inputs cannot fail; an error here leaves the rest unreceived, counted as failures.
        }
        return (received, wrong)
    }

    // MARK: - submit

    static func submits(_ plan: BenchPlan, _ steps: StepCounter) async throws -> BenchSection {
        let width = plan.startupWidth
        let total = plan.submitItems, tasks = min(plan.submitTasks, plan.submitItems)
        var section = BenchSection(
            id: "dispatch.submit", workload: .dispatch, title: "Single items from many tasks (submit)",
            summary: "\(BenchFormat.grouped(total)) single items (x → x²), each its own Pool.submit, from \(BenchFormat.grouped(tasks)) concurrent tasks that each await one outcome before submitting the next, at width \(width): about \(BenchFormat.grouped(tasks)) submits pending at any moment.",
            nature: .submit, unit: "items")
        for engine in Engine.allCases {
            steps.next("submit: \(engine), width \(width), \(BenchFormat.grouped(total)) items from \(BenchFormat.grouped(tasks)) tasks")
            let pool = try Pool(engine: engine, width: width, options: .init(workerExecutable: plan.workerExecutable))
            _ = await pool.map(SquareJob(), Array(0..<100))
            let ((latencies, wrong), seconds, memory) = await BenchSuite.timed(engine) {
                await submitAll(pool, total: total, tasks: tasks)
            }
            await pool.shutdown()
            var row = BenchSuite.row(engine, width: width, items: total, seconds: seconds, memory: memory, failures: wrong)
            let sorted = latencies.sorted()
            row.latencyP50Seconds = percentile(sorted, 0.50)
            row.latencyP99Seconds = percentile(sorted, 0.99)
            row.baselineThreads = memory.baselineThreads
            row.peakThreads = memory.peakThreads
            section.rows.append(row)
        }
        section.notes.append("Latency runs from the call to submit to its outcome, queueing behind the other pending submits included. Threads are this process's own (worker processes not counted), before the batch and at most during it.")
        return section
    }

    /// `total` submits spread over `tasks` tasks; every latency, and the outcomes that were not x².
    private static func submitAll(_ pool: Pool, total: Int, tasks: Int) async -> (latencies: [Double], wrong: Int) {
        await withTaskGroup(of: (latencies: [Double], wrong: Int).self) { group in
            for task in 0..<tasks {
                let share = total / tasks + (task < total % tasks ? 1 : 0)
                group.addTask {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(share)
                    var wrong = 0
                    for step in 0..<share {
                        let x = task + step * tasks
                        let start = monotonicSeconds()
                        let outcome = await pool.submit(SquareJob(), x)
                        latencies.append(monotonicSeconds() - start)
                        if outcome.output != x &* x { wrong += 1 }
                    }
                    return (latencies, wrong)
                }
            }
            var all: [Double] = []
            all.reserveCapacity(total)
            var wrong = 0
            for await part in group {
                all += part.latencies
                wrong += part.wrong
            }
            return (all, wrong)
        }
    }

    /// The value below which `fraction` of `sorted` lies (nearest rank).
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    /// Bytes of one input and one output in the wire's encoding.
    static func wireSizes<Input: Encodable, Output: Encodable>(input: Input, output: Output) -> (input: Double?, output: Double?) {
        ((try? BinaryCodec.encode(input)).map { Double($0.count) }, (try? BinaryCodec.encode(output)).map { Double($0.count) })
    }
}

/// The integers `0..<count`, made one at a time as a stream pulls them: ten million inputs
/// without ten million of anything in memory.
struct CountingInputs: AsyncSequence, Sendable {
    let count: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let count: Int
        var current = 0

        mutating func next() async -> Int? {
            guard current < count else { return nil }
            defer { current += 1 }
            return current
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(count: count) }
}
