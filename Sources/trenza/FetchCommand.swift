import ArgumentParser
import Foundation
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
        let batch = FetchBatchRunner(
            requests: requests, folder: outputFolder ?? ".", nameTemplate: nameTemplate, width: jobs, perHost: perHost,
            settings: FetchSettings(
                retry: RetryPolicy(retries: retries, baseDelay: retryDelay).cappingWaits(at: maxRetryWait),
                connectTimeout: connectTimeout, readTimeout: timeout, maximumRedirects: maxRedirects, force: force,
                maximumSize: ByteSize.parse(maxSize) ?? FetchSettings.defaultMaximumSize))
        do {
            if compare { return try await runComparison(batch) }
            let result: FetchBatch
            if let local = engine.engine.local {
                result = try await runLocally(batch, on: local)
            } else {
                guard let clustered = try await runOnCluster(batch) else { return }
                result = clustered
            }
            report(result)
            if !result.failures.isEmpty { throw ExitCode(1) }
        } catch let error as FetchBatchError {
            throw ValidationError(error.description)
        }
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

    private func runLocally(_ batch: FetchBatchRunner, on engine: Engine) async throws -> FetchBatch {
        let announce = RetryAnnouncer(json: json, quiet: quiet)
        let progress = output.showsProgress ? Terminal.progressReporter(total: batch.requests.count, unit: "files") : nil
        var onEvent: ProgressHandler?
        if let progress { onEvent = { progress.record($0) } }
        let result = try await batch.run(on: engine, observer: .init(onEvent: onEvent, onWait: { item, wait in announce.wait(item, wait) }))
        if progress != nil { Terminal.endProgress() }
        for problem in result.warnings { Terminal.err("warning: \(problem)") }
        return result
    }

    /// The downloads as a run of the cluster, into a folder every worker sees.
    private func runOnCluster(_ batch: FetchBatchRunner) async throws -> FetchBatch? {
        let items = try batch.clusterItems()
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

    private func runComparison(_ batch: FetchBatchRunner) async throws {
        var batches: [FetchBatch] = []
        for engine in Engine.allCases {
            if output.showsProgress { Terminal.err("\(engine)…") }
            batches.append(try await runLocally(batch.writing(into: engine.rawValue), on: engine))
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
