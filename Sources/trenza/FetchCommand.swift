import ArgumentParser
import Foundation
import Synchronization
import Trenza
import TrenzaFetch

#if canImport(Glibc)
import Glibc
#endif

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download many URLs at once, without ever losing or corrupting a file.",
        discussion: """
            Each file streams into <name>.part in the output folder and is renamed only when it is \
            complete (and matches its checksum, when the list gives one). Running the same command \
            again skips finished files and resumes .part files with Range/If-Range when the server \
            allows it (--force downloads everything again).

            Names: the URL's last path segment when it has an extension (…/cat.jpg → cat.jpg), else a \
            name made from the path with the extension from Content-Type (/id/1/800/600 → \
            id-1-800-600.jpg). Two different URLs that would share a name each get a short hash of \
            their URL (cat-3f9a1c0e.jpg): the same list always gives the same names. \
            --name-template builds the name (before its extension) from {name}, {host}, {index}, {hash}.

            Retries (--retries, with exponential backoff and jitter, after at least Retry-After): \
            connection failures, timeouts, resets, bodies shorter than their Content-Length, \
            408, 429, 500, 502, 503, 504 and checksum mismatches. Other 4xx fail at once. \
            No wait lasts more than --max-retry-wait seconds (120), whatever Retry-After asks, \
            and every wait is announced on stderr as it starts (file, seconds, why).

            Hostile servers: a file larger than --max-size (8G) fails at once when the server \
            announces its length, and is cut off when it streams past it without one; nothing \
            is kept of it. Redirects are followed to http and https only; one to another \
            scheme (file:, ftp:) fails and says so.

            Engines: -j is the number of downloads at once on every engine. On processes, a \
            few worker processes (one per core, at most -j) each run their share of them.

            List files (-i FILE, or -i - for stdin): one URL per line, optionally followed by a tab \
            and sha256=<64 hex digits>; blank lines and lines starting with # are ignored.

            --json prints one JSON object per URL on stdout (url, path, bytes, status, attempts, \
            seconds, result, error, waits: [{attempt, seconds, reason}]), and on stderr each \
            wait as it starts ({"event": "retry-wait", url, path, attempt, seconds, reason}) and \
            the summary. Exit status 1 if any URL failed.

            Examples:
              trenza fetch -i urls.txt -o downloads
              trenza fetch https://example.org/a.jpg https://example.org/b.jpg -o out --engine async -j 32
              cat urls.txt | trenza fetch -i - -o out --per-host 4 --retries 5 --json
              trenza fetch -i urls.txt -o cmp --compare
            """
    )

    @Argument(help: "URLs to download (http or https).")
    var urls: [String] = []

    @Option(name: [.short, .customLong("input")], help: "A file listing URLs, one per line (- for stdin).")
    var inputFile: String?

    @Option(name: [.short, .customLong("output")], help: "The folder for the files (created if missing).")
    var output: String?

    // Not the shared EngineOptions: downloads wait on the network, not on the CPU, so the
    // default width is 8 whatever the number of cores.
    @Option(name: .long, help: "Where the downloads run: threads, processes or async.")
    var engine: Engine = .threads

    @Option(name: [.customShort("j"), .long], help: "Downloads at once: threads, worker processes or tasks.")
    var jobs = 8

    @Option(help: "At most N downloads from one host at once (processes engine: at most N workers).")
    var perHost: Int?

    @Option(help: "Attempts after the first for failures worth another try.")
    var retries = 3

    @Option(help: "Seconds before the first retry; each later one waits twice as long (with jitter).")
    var retryDelay = 0.5

    @Option(help: "Seconds to wait for a connection.")
    var connectTimeout = 10.0

    @Option(help: "Seconds without a byte from the server before the attempt fails.")
    var timeout = 30.0

    @Option(help: "Redirects followed before giving up.")
    var maxRedirects = 10

    @Option(help: "The largest file accepted: bytes, or with K, M, G, T (powers of 1024).")
    var maxSize = "8G"

    @Option(help: "The longest wait before a retry, in seconds, whatever the server's Retry-After asks.")
    var maxRetryWait = 120.0

    @Option(help: "File names from {name}, {host}, {index}, {hash}; the extension is added.")
    var nameTemplate: String?

    @Flag(help: "Download again even when a file is already complete; drop .part files.")
    var force = false

    @Flag(help: "Download the list on all three engines (into separate folders, always afresh) and compare.")
    var compare = false

    @Flag(help: "One JSON object per URL on stdout.")
    var json = false

    @Flag(name: [.short, .long], help: "Print only failures and the summary.")
    var quiet = false

    func validate() throws {
        guard !urls.isEmpty || inputFile != nil else { throw ValidationError("name at least one URL, or a list with -i FILE (-i - for stdin).") }
        guard output != nil else { throw ValidationError("-o/--output DIR is required.") }
        guard jobs > 0, jobs <= 10_000 else { throw ValidationError("-j/--jobs must be between 1 and 10000 (got \(jobs)).") }
        if let perHost { guard perHost > 0 else { throw ValidationError("--per-host must be at least 1.") } }
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more.") }
        guard retryDelay >= 0 else { throw ValidationError("--retry-delay must be 0 or more.") }
        guard connectTimeout > 0, timeout > 0 else { throw ValidationError("--connect-timeout and --timeout must be positive.") }
        guard maxRedirects >= 0 else { throw ValidationError("--max-redirects must be 0 or more.") }
        guard let size = ByteSize.parse(maxSize), size > 0 else {
            throw ValidationError("--max-size must be a size such as 500000, 200K, 500M or 8G (got \(maxSize)).")
        }
        guard maxRetryWait >= 0 else { throw ValidationError("--max-retry-wait must be 0 or more seconds (got \(maxRetryWait)).") }
        if let nameTemplate {
            do { try FileNaming.validate(template: nameTemplate) } catch { throw ValidationError(error.description) }
        }
        for url in urls {
            if let problem = DownloadList.validate(url: url) { throw ValidationError(problem) }
        }
    }

    func run() async throws {
        let (requests, duplicates) = DownloadList.removingDuplicates(try readRequests())
        guard !requests.isEmpty else {
            Terminal.err("The list has no URLs.")
            throw ExitCode(1)
        }
        if duplicates > 0 && !quiet { Terminal.err("\(duplicates) repeated URL\(duplicates == 1 ? "" : "s") downloaded once.") }
        let folder = output ?? "."
        let clients = FetchClients()
        // The clients close their connections whatever happens; errors (and exit codes) go on after.
        let finished: Result<Void, any Error>
        do {
            if compare {
                try await runComparison(requests, folder: folder, clients: clients)
            } else {
                let batch = try await runBatch(requests, folder: folder, engine: engine, force: force, clients: clients)
                report(batch)
                if !batch.failures.isEmpty { throw ExitCode(1) }
            }
            finished = .success(())
        } catch {
            finished = .failure(error)
        }
        await clients.shutdown()
        try finished.get()
    }

    /// The URLs from the arguments, then from the list file.
    private func readRequests() throws -> [DownloadRequest] {
        var requests = urls.map { DownloadRequest(url: $0) }
        guard let inputFile else { return requests }
        let text: String
        if inputFile == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: inputFile) else {
                throw ValidationError("cannot read the list \(inputFile): \(String(cString: strerror(errno)))")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        do {
            requests += try DownloadList.parse(text, source: inputFile == "-" ? "stdin" : inputFile)
        } catch {
            throw ValidationError(error.description)
        }
        return requests
    }

    private func runBatch(_ requests: [DownloadRequest], folder: String, engine: Engine, force: Bool, clients: FetchClients) async throws -> FetchBatch {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the output folder \(folder): \(error.localizedDescription)")
        }
        // Worker processes cannot share one limiter: the per-host limit caps the width, which
        // the workers share out.
        let width = engine == .processes ? min(jobs, perHost ?? jobs) : jobs
        let workers = engine == .processes ? min(width, max(1, ProcessInfo.processInfo.activeProcessorCount)) : nil
        let settings = FetchSettings(
            retry: RetryPolicy(retries: retries, baseDelay: retryDelay).cappingWaits(at: maxRetryWait),
            connectTimeout: connectTimeout, readTimeout: timeout,
            maximumRedirects: maxRedirects, force: force,
            perHost: workers.map { workers in perHost.map { ($0 + workers - 1) / workers } } ?? perHost,
            connectionsPerHost: max(width, perHost ?? 0),
            // One flush of the folder after the batch instead of one per file; it comes before
            // the results are reported, so a file reported done is durably there.
            syncFolderAfterBatch: true,
            maximumSize: ByteSize.parse(maxSize) ?? FetchSettings.defaultMaximumSize)
        let items = FetchItem.batch(requests, folder: folder, template: nameTemplate, settings: settings)
        let showProgress = !json && !quiet
        let progress = Terminal.progressReporter(total: items.count, unit: "files")
        let failedItems = Mutex<Set<Int>>([])
        let announce = RetryAnnouncer(items: items, json: json, quiet: quiet)
        let job = FetchJob(clients: clients, onBytes: { index, count in
            if showProgress { progress.record(.bytes(index: index, count: count)) }
        }, onResult: { index, result in
            if !result.succeeded { failedItems.withLock { _ = $0.insert(index) } }
        }, onWait: { index, wait in
            announce.wait(index: index, wait)
        })
        let start = monotonicSeconds()
        let outcomes: [Outcome<FetchResult>]
        if let workers {
            outcomes = await runInWorkers(items, width: width, workers: workers, clients: clients, announce: announce,
                                          progress: showProgress ? progress : nil)
        } else {
            outcomes = await Runner(engine: engine, width: width).map(job, items) { event in
                guard showProgress else { return }
                // A download that failed still returns its result (attempts, status): the bar
                // counts it as failed all the same.
                if case .succeeded(let index, _) = event, failedItems.withLock({ $0.contains(index) }) {
                    progress.record(.failed(ItemFailure(index: index, kind: .jobError, message: "download failed")))
                } else {
                    progress.record(event)
                }
            }
        }
        if showProgress { Terminal.endProgress() }
        for problem in await clients.syncFolders(items) { Terminal.err("warning: \(problem)") }
        let seconds = monotonicSeconds() - start
        let results = zip(items, outcomes).map { item, outcome -> FetchResult in
            switch outcome {
            case .success(let result): return result
            case .failure(let failure):
                return FetchResult(url: item.request.url, path: item.folder + "/" + item.name.fileName(contentTypeExtension: nil),
                                   bytes: 0, status: nil, attempts: 0, seconds: 0, disposition: .failed, error: failure.message)
            }
        }
        return FetchBatch(engine: engine, width: width, workers: workers, seconds: seconds, results: results)
    }

    /// The processes engine: `workers` worker processes, each downloading its chunks `width /
    /// workers` at a time. A worker reports nothing until its chunk is done, so the bar moves by
    /// chunks and a chunk's retry waits are announced when it ends.
    private func runInWorkers(_ items: [FetchItem], width: Int, workers: Int, clients: FetchClients,
                              announce: RetryAnnouncer, progress: ProgressReporter?) async -> [Outcome<FetchResult>] {
        let chunks = FetchChunk.split(items, width: width, workers: workers)
        let outcomes = await Runner(engine: .processes, width: workers).map(FetchChunkJob(clients: clients), chunks) { event in
            guard let progress else { return }
            switch event {
            case .started(let chunk):
                for item in chunks[chunk].items { progress.record(.started(index: item.index)) }
            case .failed(let failure):
                for item in chunks[failure.index].items {
                    progress.record(.failed(ItemFailure(index: item.index, kind: failure.kind, message: failure.message)))
                }
            default:
                break
            }
        }
        return zip(chunks, outcomes).flatMap { chunk, outcome -> [Outcome<FetchResult>] in
            switch outcome {
            case .success(let results):
                for (item, result) in zip(chunk.items, results) {
                    for wait in result.waits { announce.wait(index: item.index, wait) }
                    progress?.record(result.succeeded ? .succeeded(index: item.index, duration: .seconds(result.seconds))
                        : .failed(ItemFailure(index: item.index, kind: .jobError, message: result.error ?? "download failed")))
                    progress?.record(.bytes(index: item.index, count: result.succeeded ? result.bytes : 0))
                }
                return results.map { .success($0) }
            case .failure(let failure):
                return chunk.items.map { .failure(ItemFailure(index: $0.index, kind: failure.kind, message: failure.message)) }
            }
        }
    }

    private func report(_ batch: FetchBatch) {
        if json {
            for result in batch.results { Terminal.out(FetchBatch.jsonLine(result)) }
            Terminal.err(batch.line)
            return
        }
        for result in batch.results where !result.succeeded {
            Terminal.err("failed: \(result.url): \(result.error ?? "unknown error") (\(result.attempts) attempt\(result.attempts == 1 ? "" : "s"))")
        }
        Terminal.out(batch.line)
    }

    private func runComparison(_ requests: [DownloadRequest], folder: String, clients: FetchClients) async throws {
        var batches: [FetchBatch] = []
        for engine in Engine.allCases {
            let subfolder = URL(fileURLWithPath: folder).appendingPathComponent(engine.rawValue).path
            if !json && !quiet { Terminal.err("\(engine)…") }
            batches.append(try await runBatch(requests, folder: subfolder, engine: engine, force: true, clients: clients))
        }
        let identical = FetchBatch.identicalFiles(batches)
        if json {
            for batch in batches {
                for result in batch.results { Terminal.out(FetchBatch.jsonLine(result, engine: batch.engine)) }
            }
        }
        let table = ["engine      width   seconds   files/s      MB/s    ok  failed"] + batches.map { batch in
            let best = batches.min { $0.seconds < $1.seconds }?.engine == batch.engine
            return batch.engine.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(format: " %6d %9.3f %9.1f %9.2f %5d %7d", batch.width, batch.seconds, batch.filesPerSecond,
                         batch.megabytesPerSecond, batch.succeeded, batch.failures.count)
                + (best ? "  ← fastest" : "")
        } + [identical ? "All three engines wrote identical files." : "The engines' files DIFFER."]
        for line in table { json ? Terminal.err(line) : Terminal.out(line) }
        for batch in batches {
            for result in batch.failures {
                Terminal.err("failed (\(batch.engine)): \(result.url): \(result.error ?? "unknown error")")
            }
        }
        if !identical || batches.contains(where: { !$0.failures.isEmpty }) { throw ExitCode(1) }
    }
}

/// What one batch of downloads did.
struct FetchBatch {
    var engine: Engine
    var width: Int
    /// Worker processes (processes engine).
    var workers: Int?
    var seconds: Double
    var results: [FetchResult]

    var succeeded: Int { results.filter(\.succeeded).count }
    var failures: [FetchResult] { results.filter { !$0.succeeded } }
    var bytes: Int { results.filter { $0.succeeded && $0.disposition != .skipped }.map(\.bytes).reduce(0, +) }
    var filesPerSecond: Double { seconds > 0 ? Double(succeeded) / seconds : 0 }
    var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / 1e6 / seconds : 0 }

    var line: String {
        let count = { (disposition: FetchResult.Disposition) in self.results.filter { $0.disposition == disposition }.count }
        var text = "\(succeeded) of \(results.count) files in \(String(format: "%.2f", seconds)) s: "
            + "\(String(format: "%.1f", Double(bytes) / 1e6)) MB downloaded, \(String(format: "%.1f", megabytesPerSecond)) MB/s "
            + "(\(engine), width \(width)\(workers.map { ", \($0) worker process\($0 == 1 ? "" : "es")" } ?? ""))"
        if count(.resumed) > 0 { text += "; \(count(.resumed)) resumed" }
        if count(.skipped) > 0 { text += "; \(count(.skipped)) already complete" }
        if !failures.isEmpty { text += "; \(failures.count) failed" }
        return text
    }

    static func jsonLine(_ result: FetchResult, engine: Engine? = nil) -> String {
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
                        engine: engine?.rawValue)
        return (try? String(decoding: encoder.encode(line), as: UTF8.self)) ?? "{}"
    }

    /// True when every URL that all batches downloaded has the same bytes in each.
    static func identicalFiles(_ batches: [FetchBatch]) -> Bool {
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
