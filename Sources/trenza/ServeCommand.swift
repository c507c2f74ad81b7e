import ArgumentParser
import Foundation
import Logging
import Synchronization
import Trenza
import TrenzaServer

#if canImport(Glibc)
import Glibc
#endif

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the tutorial's asynchronous web server (§9.3).",
        discussion: """
            Serves the tutorial's routes with the same JSON as its Python server,
            so a client written for that one works unchanged:
              /             what the server offers (servidor, endpoints)
              /rapido       one fast operation, 0.1-0.3 s       (alias /fast)
              /medio        one medium operation, 0.5-1.5 s     (alias /medium)
              /lento        one slow operation, 2-4 s           (alias /slow)
              /mixto        the three at once: the slowest's    (alias /mixed)
              /secuencial   the three in turn: their sum        (alias /sequential)
              /health       {"status": "ok"}
            For downloaders and HTTP clients to test against (deterministic bodies,
            with ETag and Range):
              /id/ID/W/H            a photo-like JPEG, W and H up to 4096 (picsum's shape)
              /bytes/N?seed=S       N pseudo-random bytes, the same for the same seed
              /drip?bytes=N&duration=S   N bytes spread over S seconds
              /status/CODE  /delay/SECONDS  /redirect/N?to=PATH  /get
              /fault/reset/N  /fault/short/N  /fault/unavailable/N?retry-after=S
              /fault/status/CODE/N  -- add times=K&key=X to fail only the first K
                                       requests for key X, then serve /bytes/N
              /files/PATH   the folder given with --files, read-only
              /metrics      request counts and durations, Prometheus text format
            Every response carries X-Tiempo-Respuesta (seconds) and Server-Timing;
            every request is logged on stderr.
            Slow or idle clients cannot hold the server: a request's head must
            arrive within --header-timeout seconds (10; else 408 and the connection
            closes), a kept-alive connection idle for --idle-timeout seconds (60)
            is closed, and past --max-connections (the open-file limit less a
            tenth) the connection that has waited longest for a request is closed
            to make room (a 503 when every connection is being answered).
            Prints the URL it listens on (with
            --port 0, the port it got). Ctrl-C or SIGTERM stops accepting
            connections, lets the requests in flight finish (for at most
            --shutdown-timeout seconds) and exits 0.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 8080

    @Option(help: "Multiply every simulated wait by this factor (0.01 makes /lento take 20-40 ms).")
    var timeScale: Double = 1

    @Option(help: "Seed for the random waits: the same seed gives the same waits, request after request.")
    var seed: UInt64?

    @Option(help: "The lowest level logged on stderr (each request is logged at info).")
    var logLevel: Logger.Level = .info

    @Option(help: "Seconds that requests in flight get to finish after Ctrl-C or SIGTERM.")
    var shutdownTimeout: Double = 10

    @Option(help: "Seconds added before every response, like a distant server (0.1 = 100 ms).")
    var latency: Double = 0

    @Option(help: "A folder to serve read-only under /files/.")
    var files: String?

    @Option(help: "Seconds a client may take to send a request's head before it gets a 408 and is disconnected.")
    var headerTimeout: Double = 10

    @Option(help: "Seconds a kept-alive connection may wait between requests before it is closed.")
    var idleTimeout: Double = 60

    @Option(help: "The most connections open at once (default: the open-file limit less a tenth kept in reserve).")
    var maxConnections: Int?

    // Only GET / ("Hello, world!") and GET /index (the bytes of /), without middleware: the
    // benchmark's framework ceilings.
    @Flag(help: .hidden)
    var bare = false

    func validate() throws {
        guard !host.isEmpty else { throw ValidationError("--host must not be empty.") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535 (got \(port)).") }
        guard timeScale > 0, timeScale <= 100 else { throw ValidationError("--time-scale must be in (0, 100] (got \(timeScale)).") }
        guard shutdownTimeout >= 0, shutdownTimeout <= 3600 else {
            throw ValidationError("--shutdown-timeout must be between 0 and 3600 seconds (got \(shutdownTimeout)).")
        }
        guard latency >= 0, latency <= 60 else { throw ValidationError("--latency must be between 0 and 60 seconds (got \(latency)).") }
        guard headerTimeout > 0, headerTimeout <= 3600 else {
            throw ValidationError("--header-timeout must be more than 0 and at most 3600 seconds (got \(headerTimeout)).")
        }
        guard idleTimeout > 0, idleTimeout <= 86400 else {
            throw ValidationError("--idle-timeout must be more than 0 and at most 86400 seconds (got \(idleTimeout)).")
        }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1 (got \(maxConnections)).") }
        if let files {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: files, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--files: \(files) is not a directory.")
            }
        }
    }

    /// Lets this thread take SIGINT and SIGTERM. A parent that started us from a thread blocking
    /// them (as Dispatch's threads do) leaves them blocked here too, and the server's graceful
    /// shutdown would never hear them. Call on the main thread, before anything starts threads.
    static func unblockInterrupts() {
        var interrupts = sigset_t()
        sigemptyset(&interrupts)
        sigaddset(&interrupts, SIGINT)
        sigaddset(&interrupts, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &interrupts, nil)
    }

    func run() async throws {
        // A server's crowds come and go: what they freed must go back to the system, not stay
        // in the heap for a next batch as a batch program's buffers do. Here, not in the server
        // module: the bench and the lessons run a server inside a batch program.
        MemoryTuning.returnFreedMemoryPromptly()
        let configuration = DemoServer.Configuration(
            host: host,
            port: port,
            timeScale: timeScale,
            seed: seed,
            logLevel: logLevel,
            shutdownTimeout: .milliseconds(Int64((shutdownTimeout * 1000).rounded())),
            latency: .microseconds(Int64((latency * 1_000_000).rounded())),
            filesDirectory: files,
            headerTimeout: .milliseconds(Int64((headerTimeout * 1000).rounded())),
            idleTimeout: .milliseconds(Int64((idleTimeout * 1000).rounded())),
            maximumConnections: maxConnections
        )
        let connectionCap = configuration.effectiveMaximumConnections
        let started = StartedFlag()
        do {
            try await DemoServer.run(configuration, router: bare ? DemoServer.makeBareRouter() : nil) { [shutdownTimeout, headerTimeout, idleTimeout, connectionCap] address in
                started.set()
                Terminal.out("Listening on \(address.url)")
                Terminal.out("Slow clients: a request's head within \(headerTimeout.formatted()) s, idle connections closed after \(idleTimeout.formatted()) s, at most \(connectionCap) connections.")
                Terminal.out("Ctrl-C to stop (requests in flight get up to \(shutdownTimeout.formatted()) s to finish).")
            }
        } catch {
            Terminal.err(started.isSet ? "trenza serve: the server stopped on an error: \(error)" : "trenza serve: cannot listen on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
        Terminal.out("Stopped.")
    }
}

/// Whether the server got as far as listening, so a failure can say which step failed.
private final class StartedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
