import Foundation
import Trenza

/// Everything one `trenza bench` run measured, with the machine it ran on: what the terminal
/// table, `report.json`, `report.md` and `report.html` are written from.
///
/// The advice is not stored: it is derived from the figures whenever it is needed (see
/// ``BenchAdvice``), so a report edited or decoded from JSON never carries stale conclusions.
/// `report.json` still lists it, for readers that do not run Trenza.
public struct BenchReport: Codable, Sendable, Equatable {
    /// Bumped when a field changes meaning, so that readers of old files can tell.
    /// 2 added the dispatch workload (throughput, streaming and submit sections, latency and
    /// thread figures), the bytes per item that cross the pipes and the workers' start-up time.
    public static let currentFormat = 2

    public var format: Int
    public var machine: MachineInfo
    /// `"quick"` or `"full"`: which plan produced the figures.
    public var mode: String
    /// Wall time of the whole run, set-up included.
    public var totalSeconds: Double
    public var sections: [BenchSection]

    public init(format: Int = BenchReport.currentFormat, machine: MachineInfo, mode: String, totalSeconds: Double, sections: [BenchSection]) {
        self.format = format
        self.machine = machine
        self.mode = mode
        self.totalSeconds = totalSeconds
        self.sections = sections
    }

    /// True when any item of any measured batch failed or gave a wrong result.
    public var hasFailures: Bool { sections.contains { section in section.rows.contains { $0.failures > 0 } } }

    public var advice: [BenchAdvice] { BenchAdvice.derive(from: self) }

    private enum CodingKeys: String, CodingKey {
        case format, machine, mode, totalSeconds, sections, advice
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(Int.self, forKey: .format)
        machine = try container.decode(MachineInfo.self, forKey: .machine)
        mode = try container.decode(String.self, forKey: .mode)
        totalSeconds = try container.decode(Double.self, forKey: .totalSeconds)
        sections = try container.decode([BenchSection].self, forKey: .sections)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format, forKey: .format)
        try container.encode(machine, forKey: .machine)
        try container.encode(mode, forKey: .mode)
        try container.encode(totalSeconds, forKey: .totalSeconds)
        try container.encode(sections, forKey: .sections)
        try container.encode(advice, forKey: .advice)
    }

    /// The report as pretty-printed JSON with sorted keys (stable, diff-friendly).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(json: Data) throws -> BenchReport {
        try JSONDecoder().decode(BenchReport.self, from: json)
    }
}

/// One table and one pair of charts: a workload (or one part of it) measured on every engine.
public struct BenchSection: Codable, Sendable, Equatable {
    /// What kind of work the section measures; the advice reads sections by their nature, so a
    /// new workload of a known nature (an I/O download batch, say) is advised on without changes.
    public enum Nature: String, Codable, Sendable, CaseIterable {
        /// Computation: more lanes than cores cannot help.
        case cpuBound = "cpu-bound"
        /// Waiting (sleep, network): lanes are cheap or expensive depending on the engine.
        case ioBound = "io-bound"
        /// Time from nothing to a first result.
        case startup
        /// Cost of handing tiny items to an engine and getting them back.
        case dispatch
        /// Tiny items with every setting left at its default: the rate a caller gets untuned.
        case throughput
        /// Inputs pulled from a generator and outcomes taken as they finish: rate and memory.
        case streaming
        /// Single items submitted from many concurrent tasks: rate, latency and threads.
        case submit
    }

    /// What the rows vary along, and so the x axis of the line chart.
    public enum Sweep: String, Codable, Sendable {
        /// Rows differ in width (lanes); every row does the same items.
        case width
        /// Rows differ in how many items run at once (concurrent waiters).
        case items
    }

    /// A stable identifier (`"cpu"`, `"overhead.dispatch"`), used for anchors and by tests.
    public var id: String
    /// The `--only` name the section came from.
    public var workload: BenchWorkload
    public var title: String
    /// One sentence: what exactly was measured.
    public var summary: String
    public var nature: Nature
    public var sweep: Sweep
    /// What one item is called: "tasks", "images", "waiters".
    public var unit: String
    /// The same items one after another on the calling thread, when that makes sense.
    public var sequentialSeconds: Double?
    /// The shortest wall time any engine could reach (a waiter's sleep), when known.
    public var idealSeconds: Double?
    public var rows: [BenchRow]
    /// Caveats a reader needs (caps, skipped combinations), in plain sentences.
    public var notes: [String]
    /// Mean bytes of one item's encoded input and output (the wire's encoding, without framing):
    /// what crosses a worker's pipes per item on the processes engine.
    public var inputBytesPerItem: Double?
    public var outputBytesPerItem: Double?

    public init(id: String, workload: BenchWorkload, title: String, summary: String, nature: Nature, sweep: Sweep = .width,
                unit: String, sequentialSeconds: Double? = nil, idealSeconds: Double? = nil, rows: [BenchRow] = [], notes: [String] = [],
                inputBytesPerItem: Double? = nil, outputBytesPerItem: Double? = nil) {
        self.id = id
        self.workload = workload
        self.title = title
        self.summary = summary
        self.nature = nature
        self.sweep = sweep
        self.unit = unit
        self.sequentialSeconds = sequentialSeconds
        self.idealSeconds = idealSeconds
        self.rows = rows
        self.notes = notes
        self.inputBytesPerItem = inputBytesPerItem
        self.outputBytesPerItem = outputBytesPerItem
    }

    /// How many times faster than sequential `row` ran, when a sequential time was measured.
    public func speedUp(_ row: BenchRow) -> Double? {
        guard let sequentialSeconds, row.seconds > 0 else { return nil }
        return sequentialSeconds / row.seconds
    }

    /// The row with the highest throughput among those without failures: each engine at its
    /// best width (or, sweeping concurrency, at the largest count it reached).
    public var winner: BenchRow? {
        rows.filter { $0.failures == 0 && $0.seconds > 0 }.max { $0.throughput < $1.throughput }
    }

    /// Each series' best row (most throughput), in the order the series first appear.
    public var bestPerSeries: [BenchRow] {
        var best: [String: BenchRow] = [:]
        for row in rows where row.failures == 0 && row.seconds > 0 {
            if let current = best[row.series], current.throughput >= row.throughput { continue }
            best[row.series] = row
        }
        return series.compactMap { best[$0] }
    }

    /// Series labels (engine and variant) in the order they first appear.
    public var series: [String] {
        var seen: [String] = []
        for row in rows where !seen.contains(row.series) { seen.append(row.series) }
        return seen
    }

    /// The value the line chart and the sweep are indexed by.
    public func sweepValue(_ row: BenchRow) -> Int { sweep == .width ? row.width : row.items }

    /// The distinct sweep values, ascending.
    public var sweepValues: [Int] { Array(Set(rows.map(sweepValue))).sorted() }
}

/// What ran a row's batch: one of the local engines, or the cluster's workers.
public enum BenchEngine: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case threads, processes, async, cluster

    public init(_ engine: Engine) {
        switch engine {
        case .threads: self = .threads
        case .processes: self = .processes
        case .async: self = .async
        }
    }

    public var description: String { rawValue }
}

/// One timed batch: an engine at one width over some items.
public struct BenchRow: Codable, Sendable, Equatable {
    public var engine: BenchEngine
    /// What sets this row apart from the engine's plain run ("chunks of 10000"); `nil` for none.
    public var variant: String?
    /// Lanes: threads, worker processes or tasks in flight.
    public var width: Int
    public var items: Int
    public var seconds: Double
    /// Resident memory of the process and its worker processes before the batch started.
    public var baselineMemoryBytes: Int?
    /// The most resident memory (process plus workers) seen while the batch ran.
    public var peakMemoryBytes: Int?
    /// How far this process's heap in use grew during the batch: growth that reused freed pages,
    /// which resident memory does not show.
    public var heapGrowthBytes: Int?
    /// Items that failed or gave a wrong result.
    public var failures: Int
    /// Seconds from the start until every lane had its first item: for processes, the workers'
    /// start-up (spawn and hello), paid once per pool.
    public var startupSeconds: Double?
    /// Per item, from the call to its outcome (submit sections): median and 99th percentile.
    public var latencyP50Seconds: Double?
    public var latencyP99Seconds: Double?
    /// OS threads of this process before the batch and the most seen while it ran.
    public var baselineThreads: Int?
    public var peakThreads: Int?

    public init(engine: BenchEngine, variant: String? = nil, width: Int, items: Int, seconds: Double,
                baselineMemoryBytes: Int? = nil, peakMemoryBytes: Int? = nil, heapGrowthBytes: Int? = nil, failures: Int = 0,
                startupSeconds: Double? = nil, latencyP50Seconds: Double? = nil, latencyP99Seconds: Double? = nil,
                baselineThreads: Int? = nil, peakThreads: Int? = nil) {
        self.engine = engine
        self.variant = variant
        self.width = width
        self.items = items
        self.seconds = seconds
        self.baselineMemoryBytes = baselineMemoryBytes
        self.peakMemoryBytes = peakMemoryBytes
        self.heapGrowthBytes = heapGrowthBytes
        self.failures = failures
        self.startupSeconds = startupSeconds
        self.latencyP50Seconds = latencyP50Seconds
        self.latencyP99Seconds = latencyP99Seconds
        self.baselineThreads = baselineThreads
        self.peakThreads = peakThreads
    }

    /// The share of the wall time spent before every lane had work, when measured.
    public var startupShare: Double? {
        guard let startupSeconds, seconds > 0 else { return nil }
        return min(1, startupSeconds / seconds)
    }

    /// Items per second.
    public var throughput: Double { seconds > 0 ? Double(items) / seconds : 0 }

    /// The engine, with its variant in parentheses: one line of a chart.
    public var series: String { variant.map { "\(engine) (\($0))" } ?? engine.rawValue }

    /// What the batch added to memory, per item: the cost of one more waiter. The larger of
    /// resident growth (which sees thread stacks and worker processes) and heap growth (which sees
    /// reused pages).
    public var memoryPerItemBytes: Double? {
        guard let peakMemoryBytes, let baselineMemoryBytes, items > 0 else { return nil }
        let growth = max(peakMemoryBytes - baselineMemoryBytes, heapGrowthBytes ?? 0, 0)
        return Double(growth) / Double(items)
    }

    /// Wall time divided by items.
    public var secondsPerItem: Double { items > 0 ? seconds / Double(items) : 0 }
}
