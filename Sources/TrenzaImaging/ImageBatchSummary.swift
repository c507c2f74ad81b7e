import Foundation
import Trenza

#if canImport(Glibc)
import Glibc
#endif

/// What one batch did, for the summary line, the failures list and the JSON report.
public struct ImageBatchSummary: Sendable {
    /// Where it ran: an engine's name, or the cluster's run.
    public var engine: String
    /// Threads, processes or tasks at once; nil on the cluster, where each worker has its own.
    public var width: Int?
    /// The cluster's run that did the work.
    public var run: Int64?
    public var seconds: Double
    public var paths: [String]
    public var outcomes: [Outcome<ImageReport>]

    public init(engine: String, width: Int?, run: Int64? = nil, seconds: Double, paths: [String], outcomes: [Outcome<ImageReport>]) {
        self.engine = engine
        self.width = width
        self.run = run
        self.seconds = seconds
        self.paths = paths
        self.outcomes = outcomes
    }

    public var succeeded: Int { outcomes.filter { $0.output != nil }.count }
    /// Each failure's message; one the job did not write (a worker killed, a timeout) is given
    /// the image's name, which the job's own messages start with.
    public var failures: [String] {
        zip(paths, outcomes).compactMap { path, outcome in
            guard let failure = outcome.failure else { return nil }
            return failure.kind == .jobError ? failure.message : URL(fileURLWithPath: path).lastPathComponent + ": " + failure.message
        }
    }
    public var megapixels: Double { outcomes.compactMap { $0.output?.megapixels }.reduce(0, +) }
    public var imagesPerSecond: Double { seconds > 0 ? Double(succeeded) / seconds : 0 }
    public var megapixelsPerSecond: Double { seconds > 0 ? megapixels / seconds : 0 }

    public var line: String {
        "\(succeeded) of \(outcomes.count) images in \(String(format: "%.2f", seconds)) s: "
            + "\(String(format: "%.1f", imagesPerSecond)) images/s, \(String(format: "%.1f", megapixelsPerSecond)) MP/s "
            + "(\(engine)\(width.map { ", width \($0)" } ?? "")\(run.map { ", run \($0)" } ?? ""))" + (failures.isEmpty ? "" : "; \(failures.count) failed")
    }

    public struct Report: Encodable, Sendable {
        public struct Item: Encodable, Sendable {
            var source: String
            var ok: Bool
            var destination: String?
            var width: Int?
            var height: Int?
            var error: String?
        }
        var engine: String
        var width: Int?
        var run: Int64?
        var seconds: Double
        var succeeded: Int
        var failed: Int
        var imagesPerSecond: Double
        var megapixelsPerSecond: Double
        /// Summed over images: where the time went.
        var stageSeconds: [String: Double]
        /// The largest resident set of any worker process (processes engine), and of this process.
        var peakWorkerRSSKilobytes: Int
        var peakProcessRSSKilobytes: Int
        var images: [Item]
    }

    public var report: Report {
        let reports = outcomes.compactMap(\.output)
        return Report(engine: engine, width: width, run: run, seconds: seconds, succeeded: succeeded, failed: failures.count,
               imagesPerSecond: imagesPerSecond, megapixelsPerSecond: megapixelsPerSecond,
               stageSeconds: ["decode": reports.map(\.decodeSeconds).reduce(0, +), "filter": reports.map(\.filterSeconds).reduce(0, +),
                              "encode": reports.map(\.encodeSeconds).reduce(0, +), "write": reports.map(\.writeSeconds).reduce(0, +)],
               peakWorkerRSSKilobytes: peakRSS(RUSAGE_CHILDREN), peakProcessRSSKilobytes: peakRSS(RUSAGE_SELF),
               images: zip(paths, outcomes).map { path, outcome in
                   switch outcome {
                   case .success(let r): .init(source: path, ok: true, destination: r.destination, width: r.width, height: r.height)
                   case .failure(let f): .init(source: path, ok: false, error: f.message)
                   }
               })
    }

    private func peakRSS(_ who: __rusage_who) -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(who.rawValue), &usage)
        return usage.ru_maxrss
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// The `--compare` table: one line per engine, the fastest marked.
    public static func comparisonTable(_ summaries: [ImageBatchSummary]) -> [String] {
        let best = summaries.min { $0.seconds < $1.seconds }?.engine
        return ["engine      width   seconds    img/s     MP/s   ok  failed"] + summaries.map { s in
            s.engine.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(format: " %6d %9.3f %8.1f %8.1f %4d %7d", s.width ?? 0, s.seconds, s.imagesPerSecond, s.megapixelsPerSecond,
                         s.succeeded, s.failures.count)
                + (s.engine == best ? "  ← fastest" : "")
        }
    }
}
