import Foundation
import Trenza

/// What one batch of downloads did.
public struct FetchBatch: Sendable {
    /// Where it ran: an engine's name, or "cluster".
    public var engine: String
    /// Downloads at once; nil on the cluster, where each worker has its own.
    public var width: Int?
    /// Worker processes (processes engine).
    public var workers: Int?
    /// The cluster's run that did the work.
    public var run: Int64?
    public var seconds: Double
    public var results: [FetchResult]
    /// What went wrong without failing a download, such as a folder whose flush failed.
    public var warnings: [String]

    public init(engine: String, width: Int?, workers: Int? = nil, run: Int64? = nil, seconds: Double, results: [FetchResult],
                warnings: [String] = []) {
        self.engine = engine
        self.width = width
        self.workers = workers
        self.run = run
        self.seconds = seconds
        self.results = results
        self.warnings = warnings
    }

    /// One result per item: an outcome that failed outside the download (a worker crashed)
    /// becomes a failed result naming where the file would have gone.
    public static func results(_ items: [FetchItem], _ outcomes: [Outcome<FetchResult>]) -> [FetchResult] {
        zip(items, outcomes).map { item, outcome -> FetchResult in
            switch outcome {
            case .success(let result): return result
            case .failure(let failure):
                return FetchResult(url: item.request.url, path: item.folder + "/" + item.name.fileName(contentTypeExtension: nil),
                                   bytes: 0, status: nil, attempts: 0, seconds: 0, disposition: .failed, error: failure.message)
            }
        }
    }

    /// The `--compare` table: one line per engine, the fastest marked.
    public static func comparisonTable(_ batches: [FetchBatch]) -> [String] {
        let best = batches.min { $0.seconds < $1.seconds }?.engine
        return ["engine      width   seconds   files/s      MB/s    ok  failed"] + batches.map { batch in
            batch.engine.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(format: " %6d %9.3f %9.1f %9.2f %5d %7d", batch.width ?? 0, batch.seconds, batch.filesPerSecond,
                         batch.megabytesPerSecond, batch.succeeded, batch.failures.count)
                + (batch.engine == best ? "  ← fastest" : "")
        }
    }

    public var succeeded: Int { results.filter(\.succeeded).count }
    public var failures: [FetchResult] { results.filter { !$0.succeeded } }
    public var bytes: Int { results.filter { $0.succeeded && $0.disposition != .skipped }.map(\.bytes).reduce(0, +) }
    public var filesPerSecond: Double { seconds > 0 ? Double(succeeded) / seconds : 0 }
    public var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / 1e6 / seconds : 0 }

    public var line: String {
        let count = { (disposition: FetchResult.Disposition) in self.results.filter { $0.disposition == disposition }.count }
        var text = "\(succeeded) of \(results.count) files in \(String(format: "%.2f", seconds)) s: "
            + "\(String(format: "%.1f", Double(bytes) / 1e6)) MB downloaded, \(String(format: "%.1f", megabytesPerSecond)) MB/s "
            + "(\(engine)\(width.map { ", width \($0)" } ?? "")\(workers.map { ", \($0) worker process\($0 == 1 ? "" : "es")" } ?? "")"
            + "\(run.map { ", run \($0)" } ?? ""))"
        if count(.resumed) > 0 { text += "; \(count(.resumed)) resumed" }
        if count(.skipped) > 0 { text += "; \(count(.skipped)) already complete" }
        if !failures.isEmpty { text += "; \(failures.count) failed" }
        return text
    }

    public static func jsonLine(_ result: FetchResult, engine: String? = nil) -> String {
        struct Line: Encodable {
            var url: String
            var path: String
            var bytes: Int
            var status: Int?
            var attempts: Int
            var seconds: Double
            var result: String
            var error: String?
            var waits: [RetryWait]
            var engine: String?

            enum CodingKeys: String, CodingKey { case url, path, bytes, status, attempts, seconds, result, error, waits, engine }

            func encode(to encoder: any Encoder) throws {
                // Keys always present (null when empty), so that every line has the same shape.
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(url, forKey: .url)
                try container.encode(path, forKey: .path)
                try container.encode(bytes, forKey: .bytes)
                try container.encode(status, forKey: .status)
                try container.encode(attempts, forKey: .attempts)
                try container.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
                try container.encode(result, forKey: .result)
                try container.encode(error, forKey: .error)
                try container.encode(waits, forKey: .waits)
                if let engine { try container.encode(engine, forKey: .engine) }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = Line(url: result.url, path: result.path, bytes: result.bytes, status: result.status, attempts: result.attempts,
                        seconds: result.seconds, result: result.disposition.rawValue, error: result.error, waits: result.waits,
                        engine: engine)
        return (try? String(decoding: encoder.encode(line), as: UTF8.self)) ?? "{}"
    }

    /// True when every URL that all batches downloaded has the same bytes in each.
    public static func identicalFiles(_ batches: [FetchBatch]) -> Bool {
        guard let first = batches.first else { return true }
        for (index, reference) in first.results.enumerated() where reference.succeeded {
            let digest = try? FileChecksum.sha256(ofFile: reference.path)
            for other in batches.dropFirst() {
                let result = other.results[index]
                guard result.succeeded, digest != nil, (try? FileChecksum.sha256(ofFile: result.path)) == digest else { return false }
            }
        }
        return true
    }
}
