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

    @Option(name: [.short, .customLong("output")], help: "The folder for the files (created if missing; on the cluster, one every worker sees).")
    var outputFolder: String?

    // Downloads wait on the network, not on the CPU: the default width is 8 whatever the cores.
    @OptionGroup var engine: EngineOptions

    /// Downloads at once.
    var jobs: Int { engine.width(default: 8) }

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

    @Flag(help: "Download the list on all three local engines (into separate folders, always afresh) and compare.")
    var compare = false

    @OptionGroup var output: OutputOptions

    var json: Bool { output.json }
    var quiet: Bool { output.quiet }

    func validate() throws {
        guard !urls.isEmpty || inputFile != nil else { throw ValidationError("name at least one URL, or a list with -i FILE (-i - for stdin).") }
        guard outputFolder != nil else { throw ValidationError("-o/--output DIR is required.") }
        if compare && engine.engine == .cluster { throw ValidationError("--compare runs the three local engines; leave out --engine cluster.") }
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
        let folder = outputFolder ?? "."
        if engine.engine == .cluster {
            guard let batch = try await runOnCluster(requests, folder: folder) else { return }
            report(batch)
            if !batch.failures.isEmpty { throw ExitCode(1) }
            return
        }
        let clients = FetchClients()
        // The clients close their connections whatever happens; errors (and exit codes) go on after.
        let finished: Result<Void, any Error>
        do {
            if compare {
                try await runComparison(requests, folder: folder, clients: clients)
            } else {
                let batch = try await runBatch(requests, folder: folder, engine: engine.engine.local ?? .threads, force: force, clients: clients)
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

    private func createFolder(_ folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the output folder \(folder): \(error.localizedDescription)")
        }
    }

    private func settings(force: Bool, width: Int, workers: Int?, syncFolderAfterBatch: Bool) -> FetchSettings {
        FetchSettings(
            retry: RetryPolicy(retries: retries, baseDelay: retryDelay).cappingWaits(at: maxRetryWait),
            connectTimeout: connectTimeout, readTimeout: timeout,
            maximumRedirects: maxRedirects, force: force,
            perHost: workers.map { workers in perHost.map { ($0 + workers - 1) / workers } } ?? perHost,
            connectionsPerHost: max(width, perHost ?? 0),
            syncFolderAfterBatch: syncFolderAfterBatch,
            maximumSize: ByteSize.parse(maxSize) ?? FetchSettings.defaultMaximumSize)
    }

    /// The downloads as a run of the cluster, into a folder every worker sees. Each worker
    /// flushes the folder after each file, since the submitter's flush would be of another
    /// machine's view of it. The items ask each worker to look for earlier files: what this
    /// machine lists says nothing of theirs, and the same command must name the same run.
    private func runOnCluster(_ requests: [DownloadRequest], folder: String) async throws -> FetchBatch? {
        try createFolder(folder)
        let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
        let settings = settings(force: force, width: jobs, workers: nil, syncFolderAfterBatch: false)
        let items = FetchItem.batch(requests, folder: absolute, template: nameTemplate, settings: settings).map { item in
            var item = item
            item.mayFindEarlierFiles = true
            return item
        }
        let start = monotonicSeconds()
        // Only the job's type travels: these clients stay unused here and close at once.
        let clients = FetchClients()
        let submitted = await ClusterConnection.capture {
            try await ClusterSubmission(engine, output: output, unit: "files").run(FetchJob(clients: clients), items)
        }
        await clients.shutdown()
        let (run, outcomes) = try submitted.get()
        guard let outcomes else { return nil }
        return FetchBatch(engine: "cluster", width: nil, run: run, seconds: monotonicSeconds() - start,
                          results: FetchBatch.results(items, outcomes))
    }

    private func runBatch(_ requests: [DownloadRequest], folder: String, engine: Engine, force: Bool, clients: FetchClients) async throws -> FetchBatch {
        try createFolder(folder)
        // Worker processes cannot share one limiter: the per-host limit caps the width, which
        // the workers share out.
        let width = engine == .processes ? min(jobs, perHost ?? jobs) : jobs
        let workers = engine == .processes ? min(width, max(1, ProcessInfo.processInfo.activeProcessorCount)) : nil
        // One flush of the folder after the batch instead of one per file; it comes before the
        // results are reported, so a file reported done is durably there.
        let settings = settings(force: force, width: width, workers: workers, syncFolderAfterBatch: true)
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
        return FetchBatch(engine: engine.rawValue, width: width, workers: workers, seconds: seconds, results: FetchBatch.results(items, outcomes))
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
        let table = FetchBatch.comparisonTable(batches) + [identical ? "All three engines wrote identical files." : "The engines' files DIFFER."]
        for line in table { json ? Terminal.err(line) : Terminal.out(line) }
        for batch in batches {
            for result in batch.failures {
                Terminal.err("failed (\(batch.engine)): \(result.url): \(result.error ?? "unknown error")")
            }
        }
        if !identical || batches.contains(where: { !$0.failures.isEmpty }) { throw ExitCode(1) }
    }
}
