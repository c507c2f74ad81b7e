import Foundation
import Synchronization
import Trenza
import TrenzaCluster
import TrenzaImaging
import TrenzaLessons

/// One timed run about to start: for a progress display.
public struct BenchStep: Sendable, Equatable {
    /// 1-based.
    public var number: Int
    public var total: Int
    public var description: String
}

/// Runs a ``BenchPlan``'s workloads on every engine and collects a ``BenchReport``.
///
/// Every batch is checked: an item that fails or returns a wrong result is counted in its row's
/// `failures`, never silently timed. Generated inputs live in a temporary folder that is removed
/// before returning.
public enum BenchSuite {
    public static func run(_ plan: BenchPlan, onStep: @escaping @Sendable (BenchStep) -> Void = { _ in }) async throws -> BenchReport {
        let machine = MachineInfo.current()
        let started = monotonicSeconds()
        let steps = StepCounter(total: plan.stepCount, onStep: onStep)
        var sections: [BenchSection] = []
        for workload in BenchWorkload.allCases where plan.workloads.contains(workload) {
            switch workload {
            case .overhead:
                sections.append(await startup(plan, steps))
                sections.append(try await dispatch(plan, steps))
            case .cpu:
                sections.append(await cpu(plan, steps))
            case .images:
                sections.append(try await images(plan, steps))
            case .io:
                sections.append(try await DownloadWorkload.run(plan, steps))
            case .concurrency:
                sections.append(await concurrency(plan, steps))
            case .dispatch:
                sections += try await DispatchWorkload.run(plan, steps)
            }
        }
        return BenchReport(machine: machine, mode: plan.mode, totalSeconds: monotonicSeconds() - started, sections: sections)
    }

    // MARK: - Overhead

    static func startup(_ plan: BenchPlan, _ steps: StepCounter) async -> BenchSection {
        var section = BenchSection(
            id: "overhead.startup", workload: .overhead, title: "Overhead: start-up",
            summary: "From nothing to the first results: a pool of \(plan.startupWidth) lanes is created and runs one tiny item (x → x²) per lane.",
            nature: .startup, unit: "items")
        for engine in Engine.allCases {
            steps.next("start-up: \(engine), width \(plan.startupWidth)")
            let inputs = Array(0..<plan.startupWidth)
            let runner = Runner(engine: engine, width: plan.startupWidth, options: .init(workerExecutable: plan.workerExecutable))
            let (outcomes, seconds, memory) = await timed(engine) { await runner.map(SquareJob(), inputs) }
            section.rows.append(row(engine, width: plan.startupWidth, items: inputs.count, seconds: seconds, memory: memory,
                                    failures: wrong(outcomes, inputs.map { $0 * $0 })))
        }
        return section
    }

    static func dispatch(_ plan: BenchPlan, _ steps: StepCounter) async throws -> BenchSection {
        var section = BenchSection(
            id: "overhead.dispatch", workload: .overhead, title: "Overhead: dispatch of tiny items",
            summary: "\(BenchFormat.grouped(plan.dispatchItems)) tiny items (x → x²) through a pool started and warmed before the clock starts: the cost of handing work to an engine and getting it back.",
            nature: .dispatch, unit: "items")
        let sizes = DispatchWorkload.wireSizes(input: 0, output: 0)
        section.inputBytesPerItem = sizes.input
        section.outputBytesPerItem = sizes.output
        let inputs = Array(0..<plan.dispatchItems)
        let expected = inputs.map { $0 * $0 }
        for width in plan.widths {
            for engine in Engine.allCases {
                steps.next("dispatch: \(engine), width \(width), \(BenchFormat.grouped(inputs.count)) items")
                let (outcomes, seconds, memory) = try await warmDispatch(engine, width: width, inputs: inputs, chunkSize: 1, plan: plan)
                section.rows.append(row(engine, width: width, items: inputs.count, seconds: seconds, memory: memory, failures: wrong(outcomes, expected)))
            }
            steps.next("dispatch: processes in chunks of \(BenchFormat.grouped(plan.chunkSize)), width \(width)")
            let (outcomes, seconds, memory) = try await warmDispatch(.processes, width: width, inputs: inputs, chunkSize: plan.chunkSize, plan: plan)
            section.rows.append(row(Engine.processes, variant: "chunks of \(BenchFormat.grouped(plan.chunkSize))", width: width, items: inputs.count,
                                    seconds: seconds, memory: memory, failures: wrong(outcomes, expected)))
            if let queue = plan.queue {
                steps.next("dispatch: cluster, \(width) worker\(width == 1 ? "" : "s")")
                let (outcomes, seconds, memory) = try await ClusterLanes(url: queue).map(SquareJob(), inputs, workers: width, engine: .threads)
                section.rows.append(row(.cluster, width: width, items: inputs.count, seconds: seconds, memory: memory, failures: wrong(outcomes, expected)))
            }
        }
        if plan.queue != nil {
            section.notes.append("cluster: one worker per lane (as many trenza worker processes would be), each on a one-thread pool, chunks sized automatically, every commit durable as the server is configured.")
        }
        section.notes.append("Start-up is measured apart (above); here pools already run and have served a first batch.")
        return section
    }

    /// Times `inputs` through a pool that exists and has already served a batch.
    private static func warmDispatch(_ engine: Engine, width: Int, inputs: [Int], chunkSize: Int,
                                     plan: BenchPlan) async throws -> ([Outcome<Int>], Double, MemorySampler.Figures) {
        switch engine {
        case .threads:
            let pool = ThreadPool(width: width)
            defer { pool.shutdown() }
            _ = await pool.map(SquareJob(), Array(0..<min(1_000, inputs.count)))
            return await timed(engine) { await pool.map(SquareJob(), inputs) }
        case .processes:
            let pool = try ProcessPool(width: width, executable: plan.workerExecutable)
            defer { pool.shutdown() }
            _ = await pool.map(SquareJob(), Array(0..<(width * 10)))
            return await timed(engine) { await pool.map(SquareJob(), inputs, chunkSize: chunkSize) }
        case .async:
            // Structured concurrency has no pool to warm: its threads are the cooperative pool's.
            let runner = Runner(engine: .async, width: width)
            _ = await runner.map(SquareJob(), Array(0..<min(1_000, inputs.count)))
            return await timed(engine) { await runner.map(SquareJob(), inputs) }
        }
    }

    // MARK: - CPU-bound

    static func cpu(_ plan: BenchPlan, _ steps: StepCounter) async -> BenchSection {
        let inputs = plan.cpuNumbers.map { TareaIntensivaJob.Input(numero: $0, steps: plan.cpuSteps) }
        let expected = plan.cpuNumbers.map { tareaIntensivaExpected($0, steps: plan.cpuSteps) }
        steps.next("cpu: sequential, \(inputs.count) tasks of \(BenchFormat.grouped(plan.cpuSteps)) steps")
        var sequential = Double.infinity
        var sequentialFailures = 0
        for _ in 0..<plan.repeats {
            let start = monotonicSeconds()
            let results = inputs.map { TareaIntensivaJob().run($0) }
            sequential = min(sequential, monotonicSeconds() - start)
            sequentialFailures = max(sequentialFailures, zip(results, expected).filter { $0 != $1 }.count)
        }
        var section = BenchSection(
            id: "cpu", workload: .cpu, title: "CPU-bound: the tutorial's tarea_intensiva (§3.1)",
            summary: "tarea_intensiva(n) for n in \(plan.cpuNumbers.map(String.init).joined(separator: ", ")), \(BenchFormat.grouped(plan.cpuSteps)) loop steps each, every result checked against the closed form; best of \(plan.repeats).",
            nature: .cpuBound, unit: "tasks", sequentialSeconds: sequential)
        if sequentialFailures > 0 {
            section.notes.append("The sequential run computed \(sequentialFailures) wrong results.")
        }
        let measured = await everyEngine(plan, steps, label: "cpu", job: TareaIntensivaJob(), inputs: inputs) { wrong($0, expected) }
        section.rows += measured.rows
        section.inputBytesPerItem = measured.inputBytes
        section.outputBytesPerItem = measured.outputBytes
        return section
    }

    // MARK: - Images

    static func images(_ plan: BenchPlan, _ steps: StepCounter) async throws -> BenchSection {
        let scratch = try ScratchFolder(prefix: "trenza-bench-images")
        defer { scratch.remove() }
        let inputs = scratch.url.appendingPathComponent("in"), outputs = scratch.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)

        steps.next("images: generating \(plan.imageCount) photo-like \(plan.imageWidth)×\(plan.imageHeight) JPEGs")
        var tasks: [ImageTask] = []
        for number in 0..<plan.imageCount {
            let image = SampleImages.generate(width: plan.imageWidth, height: plan.imageHeight, seed: UInt64(number + 1))
            let path = inputs.appendingPathComponent(String(format: "sample_%03d.jpg", number + 1)).path
            try AtomicFile.write(try ImageCodec.encode(image, as: .jpeg, quality: 90), to: path)
            tasks.append(ImageTask(source: path, destinationFolder: outputs.path, filters: plan.imageFilters))
        }

        steps.next("images: sequential, \(tasks.count) images")
        var sequential = Double.infinity
        var sequentialFailures = 0
        for _ in 0..<plan.repeats {
            let start = monotonicSeconds()
            var failures = 0
            for task in tasks {
                do { _ = try ImageJob().run(task) } catch { failures += 1 }
            }
            sequential = min(sequential, monotonicSeconds() - start)
            sequentialFailures = max(sequentialFailures, failures)
        }
        let filterNames = plan.imageFilters.map(\.description).joined(separator: ", ")
        var section = BenchSection(
            id: "images", workload: .images, title: "CPU-bound: image filter batch (§9.2)",
            summary: "\(tasks.count) generated \(plan.imageWidth)×\(plan.imageHeight) JPEG photographs, each decoded, filtered (\(filterNames)), encoded and written; best of \(plan.repeats).",
            nature: .cpuBound, unit: "images", sequentialSeconds: sequential)
        if sequentialFailures > 0 {
            section.notes.append("\(sequentialFailures) images failed in the sequential run.")
        }
        let measured = await everyEngine(plan, steps, label: "images", job: ImageJob(), inputs: tasks) { outcomes in
            outcomes.filter { $0.output == nil }.count
        }
        section.rows += measured.rows
        if let queue = plan.queue {
            let lanes = ClusterLanes(url: queue)
            for width in plan.widths {
                steps.next("images: cluster, \(width) worker\(width == 1 ? "" : "s")")
                do {
                    let (outcomes, seconds, memory) = try await lanes.map(ImageJob(), tasks, workers: width, engine: .threads, chunkSize: 1)
                    section.rows.append(row(.cluster, width: width, items: tasks.count, seconds: seconds, memory: memory,
                                            failures: outcomes.filter { $0.output == nil }.count))
                } catch {
                    section.notes.append("cluster, width \(width): \(error)")
                }
            }
            section.notes.append("cluster: one worker per lane, each on a one-thread pool, one image per chunk.")
        }
        section.inputBytesPerItem = measured.inputBytes
        section.outputBytesPerItem = measured.outputBytes
        section.notes.append("A worker process is sent each image's task (its file path, output folder and filters), not the image: it reads and writes the files itself.")
        return section
    }

    // MARK: - High concurrency

    static func concurrency(_ plan: BenchPlan, _ steps: StepCounter) async -> BenchSection {
        let wait = Double(plan.waitMilliseconds) / 1000
        var section = BenchSection(
            id: "concurrency", workload: .concurrency, title: "I/O-bound: many concurrent waits",
            summary: "Every waiter sleeps \(plan.waitMilliseconds) ms, all at once: a thread per waiter (Thread.sleep), a task per waiter (Task.sleep), or worker processes taking waiters in turn.",
            nature: .ioBound, sweep: .items, unit: "waiters", idealSeconds: wait)
        // Room for the cooperative pool, the sampler and whatever else starts meanwhile.
        let threadMargin = 256
        let threadRoom = ThreadHeadroom.available()
        var threadsSkipped: [Int] = []
        for count in plan.waiterCounts {
            let inputs = (0..<count).map { ProbeJob.Action.sleep(milliseconds: plan.waitMilliseconds, value: $0) }
            let expected = Array(0..<count)
            for engine in Engine.allCases {
                if engine == .processes && !plan.processWaiterCounts.contains(count) { continue }
                if engine == .threads, let threadRoom, count + threadMargin > threadRoom {
                    threadsSkipped.append(count)
                    continue
                }
                let width = engine == .processes ? min(count, plan.processCap) : count
                steps.next("concurrency: \(BenchFormat.grouped(count)) waiters on \(engine), width \(BenchFormat.grouped(width))")
                let runner = Runner(engine: engine, width: width, options: .init(workerExecutable: plan.workerExecutable))
                let (outcomes, seconds, memory) = await timed(engine, releaseFreeMemory: true) { await runner.map(ProbeJob(), inputs) }
                let values = outcomes.map { $0.output?.value }
                let failures = zip(values, expected).filter { $0 != $1 }.count
                section.rows.append(row(engine, width: width, items: count, seconds: seconds, memory: memory, failures: failures))
            }
        }
        section.notes.append("threads: one OS thread per waiter, created for the batch and joined after it; creating them is part of the time. Their stacks count as memory only where touched; kernel memory per thread is not counted.")
        section.notes.append("processes: at most \(plan.processCap) worker processes (one per waiter would need gigabytes); each runs one waiter at a time, so N waiters take about N ÷ \(plan.processCap) rounds. Memory includes the workers.")
        if !threadsSkipped.isEmpty, let threadRoom {
            section.notes.append("threads were not run at \(threadsSkipped.map { BenchFormat.grouped($0) }.joined(separator: ", ")) waiters: this machine lets this process start only about \(BenchFormat.grouped(threadRoom)) more threads (ulimit -u, threads-max or the cgroup's pids.max), and a refused thread would end the run.")
        }
        let skipped = plan.waiterCounts.filter { !plan.processWaiterCounts.contains($0) }
        if !skipped.isEmpty {
            let rounds = skipped.map { Double(($0 + plan.processCap - 1) / plan.processCap) * wait }
            section.notes.append("processes were not run at \(skipped.map { BenchFormat.grouped($0) }.joined(separator: ", ")) waiters in this \(plan.mode) run: at \(plan.processCap) workers that alone would take at least \(rounds.map(BenchFormat.seconds).joined(separator: ", ")).")
        }
        return section
    }

    // MARK: - Helpers

    /// One row per engine and width of the plan: `job` over `inputs`, the best of the plan's
    /// repeats, each with the time until every lane had its first item. Also what one item's
    /// input and output weigh in the wire's encoding (what crosses the pipes on processes).
    private static func everyEngine<J: Job>(
        _ plan: BenchPlan, _ steps: StepCounter, label: String, job: J, inputs: [J.Input],
        failures: ([Outcome<J.Output>]) -> Int
    ) async -> (rows: [BenchRow], inputBytes: Double?, outputBytes: Double?) {
        var rows: [BenchRow] = []
        var outputs: [J.Output] = []
        for width in plan.widths {
            for engine in Engine.allCases {
                steps.next("\(label): \(engine), width \(width)")
                let runner = Runner(engine: engine, width: width, options: .init(workerExecutable: plan.workerExecutable))
                rows.append(await best(of: plan.repeats) {
                    let lanes = LaneClock(lanes: min(width, inputs.count))
                    let (outcomes, seconds, memory) = await timed(engine) {
                        lanes.begin()
                        return await runner.map(job, inputs, onEvent: lanes.record)
                    }
                    if outputs.isEmpty { outputs = outcomes.compactMap(\.output) }
                    var measured = row(engine, width: width, items: inputs.count, seconds: seconds, memory: memory, failures: failures(outcomes))
                    measured.startupSeconds = lanes.seconds
                    return measured
                })
            }
        }
        return (rows, meanEncodedBytes(inputs), meanEncodedBytes(outputs))
    }

    /// The mean size of `values` in the wire's encoding; `nil` when there are none or one fails.
    static func meanEncodedBytes<T: Encodable>(_ values: [T]) -> Double? {
        guard !values.isEmpty else { return nil }
        var total = 0
        for value in values {
            guard let bytes = try? BinaryCodec.encode(value) else { return nil }
            total += bytes.count
        }
        return Double(total) / Double(values.count)
    }

    /// The fastest of `repeats` runs, the least disturbed by other load; but a run with failures
    /// is kept over any clean one, so that a flaky engine cannot hide behind a lucky repeat.
    private static func best(of repeats: Int, _ measure: () async -> BenchRow) async -> BenchRow {
        var best = await measure()
        for _ in 1..<max(1, repeats) {
            let candidate = await measure()
            if candidate.failures > best.failures || (candidate.failures == best.failures && candidate.seconds < best.seconds) {
                best = candidate
            }
        }
        return best
    }

    /// Runs `body`, timing it and sampling memory (worker processes included for that engine).
    static func timed<T>(_ engine: Engine, releaseFreeMemory: Bool = false,
                                 _ body: () async throws -> T) async rethrows -> (T, Double, MemorySampler.Figures) {
        let sampler = MemorySampler(includeChildren: engine == .processes, releaseFreeMemory: releaseFreeMemory)
        let start = monotonicSeconds()
        do {
            let value = try await body()
            let seconds = monotonicSeconds() - start
            return (value, seconds, sampler.stop())
        } catch {
            _ = sampler.stop()
            throw error
        }
    }

    static func row(_ engine: Engine, variant: String? = nil, width: Int, items: Int, seconds: Double,
                            memory: MemorySampler.Figures, failures: Int) -> BenchRow {
        row(BenchEngine(engine), variant: variant, width: width, items: items, seconds: seconds, memory: memory, failures: failures)
    }

    static func row(_ engine: BenchEngine, variant: String? = nil, width: Int, items: Int, seconds: Double,
                    memory: MemorySampler.Figures, failures: Int) -> BenchRow {
        BenchRow(engine: engine, variant: variant, width: width, items: items, seconds: seconds,
                 baselineMemoryBytes: memory.baselineBytes, peakMemoryBytes: memory.peakBytes, heapGrowthBytes: memory.heapGrowthBytes,
                 failures: failures)
    }

    /// Items that failed or whose output differs from the expected one.
    static func wrong<Output: Equatable>(_ outcomes: [Outcome<Output>], _ expected: [Output]) -> Int {
        zip(outcomes, expected).filter { $0.0.output != $0.1 }.count + abs(outcomes.count - expected.count)
    }
}

/// When the first `lanes` items of a batch had started: for processes, about when every worker
/// was up, since each worker's first chunk is one item.
final class LaneClock: Sendable {
    private let state = Mutex<(start: Double, started: Int, reached: Double?)>((0, 0, nil))
    private let lanes: Int

    init(lanes: Int) { self.lanes = max(1, lanes) }

    func begin() { state.withLock { $0 = (monotonicSeconds(), 0, nil) } }

    var record: ProgressHandler {
        { [self] event in
            guard case .started = event else { return }
            state.withLock { state in
                state.started += 1
                if state.started == lanes { state.reached = monotonicSeconds() - state.start }
            }
        }
    }

    /// Seconds from `begin` until `lanes` items had started, if they did.
    var seconds: Double? { state.withLock { $0.reached } }
}

/// Numbers the timed runs as they start.
final class StepCounter: Sendable {
    private let count = Mutex(0)
    private let total: Int
    private let onStep: @Sendable (BenchStep) -> Void

    init(total: Int, onStep: @escaping @Sendable (BenchStep) -> Void) {
        self.total = total
        self.onStep = onStep
    }

    func next(_ description: String) {
        let number = count.withLock { value -> Int in
            value += 1
            return value
        }
        onStep(BenchStep(number: number, total: max(total, number), description: description))
    }
}
