import Foundation
import Synchronization
import Trenza

/// Counts the words of one text file: the map step of the map–reduce pattern.
public struct WordCountJob: Job {
    public static let name = "lessons.word-count"
    public init() {}

    public func run(_ path: String) throws -> [String: Int] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JobError("\(path): cannot read the file")
        }
        return countWords(in: String(decoding: data, as: UTF8.self))
    }
}

/// Lower-cased words split on anything that is not a letter.
public func countWords(in text: String) -> [String: Int] {
    var counts: [String: Int] = [:]
    for word in text.lowercased().split(whereSeparator: { !$0.isLetter }) {
        counts[String(word), default: 0] += 1
    }
    return counts
}

/// §7.3: producer–consumer, map–reduce, a pool reused across batches, futures.
struct PatternsLesson: Lesson {
    let slug = "patterns"
    let section = "7.3"
    let title = "Common concurrency patterns"

    func run(_ context: LessonContext) async throws -> [Check] {
        var checks = producerConsumer(context)
        checks.append(try await mapReduce(context))
        checks.append(contentsOf: await reusedPool(context))
        checks.append(contentsOf: try await futures(context))
        return checks
    }

    /// Several producers and consumers around one bounded queue; every item consumed once.
    private func producerConsumer(_ context: LessonContext) -> [Check] {
        let capacity = 8, producers = 3, consumers = 2, perProducer = 1_000
        let queue = BoundedQueue<Int?>(capacity: capacity)
        let consumed = Mutex<[Int]>([])
        let consumerThreads = (0..<consumers).map { number in
            JoinableThread(name: "consumer-\(number)") {
                var mine: [Int] = []
                while let item = queue.take() { mine.append(item) }
                consumed.withLock { $0.append(contentsOf: mine) }
            }
        }
        let producerThreads = (0..<producers).map { number in
            JoinableThread(name: "producer-\(number)") {
                for item in 0..<perProducer { queue.put(number * perProducer + item) }
            }
        }
        producerThreads.forEach { $0.join() }
        // One sentinel per consumer, after every real item.
        for _ in 0..<consumers { queue.put(nil) }
        consumerThreads.forEach { $0.join() }
        let items = consumed.withLock { $0 }.sorted()
        let expected = Array(0..<producers * perProducer)
        context.say("Producer–consumer: \(producers) producers, \(consumers) consumers, queue of \(capacity): \(items.count) items consumed, queue never above \(queue.highWater)")
        return [
            Check("Producer–consumer: every item consumed exactly once", items == expected, observed: "\(items.count) of \(expected.count), distinct \(Set(items).count)"),
            Check("Producer–consumer: the bounded queue never held more than \(capacity)", queue.highWater <= capacity, observed: "\(queue.highWater)"),
        ]
    }

    /// Word counts of generated files, mapped across worker processes and reduced here.
    private func mapReduce(_ context: LessonContext) async throws -> Check {
        let scratch = try ScratchFolder(prefix: "trenza-mapreduce")
        defer { scratch.remove() }
        let folder = scratch.url
        let vocabulary = ["hilo", "proceso", "tarea", "cola", "lock", "evento", "futuro", "pool", "mapa", "reduce", "gil", "núcleo"]
        var generator = SplitMix64(seed: 73)
        var paths: [String] = []
        var sequential: [String: Int] = [:]
        for number in 0..<8 {
            let words = (0..<5_000).map { _ in vocabulary[Int(generator.next() % UInt64(vocabulary.count))] }
            let text = stride(from: 0, to: words.count, by: 12).map { words[$0..<min($0 + 12, words.count)].joined(separator: " ") }.joined(separator: ".\n")
            let path = folder.appendingPathComponent("text-\(number).txt").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
            sequential.merge(countWords(in: text), uniquingKeysWith: +)
        }
        let outcomes = await Runner(engine: .processes, width: context.width, options: .init(workerExecutable: context.executable))
            .map(WordCountJob(), paths)
        var reduced: [String: Int] = [:]
        var failures: [String] = []
        for outcome in outcomes {
            switch outcome {
            case .success(let counts): reduced.merge(counts, uniquingKeysWith: +)
            case .failure(let failure): failures.append(failure.message)
            }
        }
        let top = reduced.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map { "\($0.key)=\($0.value)" }
        context.say("Map–reduce: \(paths.count) files counted in worker processes, \(reduced.values.reduce(0, +)) words; most common \(top.joined(separator: ", "))")
        return Check("Map–reduce: the reduced counts equal a sequential count", failures.isEmpty && reduced == sequential,
                     observed: failures.isEmpty ? "\(reduced.count) distinct words" : failures.joined(separator: "; "))
    }

    /// One process pool serves three batches: the same workers, started once.
    private func reusedPool(_ context: LessonContext) async -> [Check] {
        let pool: ProcessPool
        do {
            pool = try ProcessPool(width: context.width, executable: context.executable)
        } catch {
            return [Check("Pool: a process pool starts", false, observed: error.message)]
        }
        defer { pool.shutdown() }
        var processIDs = Set<Int32>()
        var allCorrect = true
        for batch in 0..<3 {
            let inputs = (0..<6).map { ProbeJob.Action.echo(batch * 100 + $0) }
            let outcomes = await pool.map(ProbeJob(), inputs)
            let values = outcomes.map { $0.output?.value }
            allCorrect = allCorrect && values == inputs.indices.map { batch * 100 + $0 }
            processIDs.formUnion(outcomes.compactMap { $0.output?.processID })
            context.say("Pool: batch \(batch + 1) ran in processes \(Set(outcomes.compactMap { $0.output?.processID }).sorted())")
        }
        return [
            Check("Pool: three batches all correct", allCorrect, observed: allCorrect ? "18 of 18" : "wrong values"),
            Check("Pool: the same \(context.width) workers served every batch", processIDs.count <= context.width,
                  observed: "\(processIDs.count) distinct worker processes"),
        ]
    }

    /// Futures: start work now, do something else, collect the results later.
    private func futures(_ context: LessonContext) async throws -> [Check] {
        let start = monotonicSeconds()
        let durations = Durations()
        let futures = (1...3).map { number in
            Task {
                let taskStart = monotonicSeconds()
                try await context.sleepAsync(1)
                durations.add(monotonicSeconds() - taskStart)
                return number * number
            }
        }
        context.say("Futures: 3 started; meanwhile the caller does its own work")
        let ownWork = tareaIntensiva(1, steps: 1_000)
        var results: [Int] = []
        for future in futures { results.append(try await future.value) }
        let elapsed = monotonicSeconds() - start
        context.say("Futures: results \(results) after \(context.describe(elapsed)); own work gave \(ownWork)")
        let sequential = durations.sum
        return [
            Check("Futures: each result arrives where it is awaited", results == [1, 4, 9], observed: "\(results)"),
            Check("Futures: they ran while the caller worked (about 1 s, not 3 s)", elapsed < 0.85 * sequential,
                  observed: "\(context.describe(elapsed)) against \(context.describe(sequential)) one after the other"),
        ]
    }
}

/// A FIFO queue of fixed capacity: `put` waits while full, `take` waits while empty.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private let capacity: Int
    private var highest = 0

    init(capacity: Int) { self.capacity = capacity }

    func put(_ item: Element) {
        condition.lock()
        while items.count - head >= capacity { condition.wait() }
        items.append(item)
        highest = max(highest, items.count - head)
        condition.broadcast()
        condition.unlock()
    }

    func take() -> Element {
        condition.lock()
        while items.count == head { condition.wait() }
        let item = items[head]
        head += 1
        if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        condition.broadcast()
        condition.unlock()
        return item
    }

    /// The most items the queue ever held at once.
    var highWater: Int {
        condition.lock(); defer { condition.unlock() }
        return highest
    }
}
