import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The tutorial's asynchronous web server (§9.3) as a Hummingbird application.
///
/// ```swift
/// let configuration = DemoServer.Configuration(port: 0, timeScale: 0.01, seed: 42)
/// try await DemoServer.run(configuration) { address in print("Listening on \(address.url)") }
/// ```
///
/// Routes, all `GET`, each answering JSON exactly as the Python server does:
/// `/` (the information document), `/rapido`, `/medio`, `/lento` (one simulated operation each),
/// `/mixto` (the three at once) and `/secuencial` (one after another), with the English aliases
/// `/fast`, `/medium`, `/slow`, `/mixed`, `/sequential`, and `/health`. Every response carries
/// `X-Tiempo-Respuesta` and `Server-Timing`; failures are JSON too (see ``JSONErrorMiddleware``):
/// 404 for an unknown path, 405 for another method on a known one, 500 for a handler's error.
public enum DemoServer {
    /// Everything the server needs to know, as a value: tests build one, `trenza serve` parses one.
    public struct Configuration: Sendable {
        /// The address to listen on (`127.0.0.1`, `::1`, `0.0.0.0`, or a host name).
        public var host: String
        /// The port to listen on; 0 lets the system pick a free one (``ListeningAddress`` tells which).
        public var port: Int
        /// Multiplies every simulated wait: 0.01 runs `/lento` in 20–40 ms.
        public var timeScale: Double
        /// Makes the waits reproducible: they come from one SplitMix64 stream seeded with it, and
        /// each request takes its draws in one go, so the n-th request answered gets the same
        /// waits on every run. `nil` starts the stream from a random seed.
        public var seed: UInt64?
        /// The lowest level logged; each request is logged at `info`.
        public var logLevel: Logger.Level
        /// How long a graceful shutdown waits for requests in flight before cancelling them.
        public var shutdownTimeout: Duration
        /// A fixed delay before every response, like a distant server's round trip.
        public var latency: Duration
        /// A folder served read-only under `/files/`; `nil` serves none.
        public var filesDirectory: String?
        /// How long a client may take to send a request's head: from the moment the connection
        /// opens for its first request, from the request's first byte for later ones. A client
        /// that takes longer (a slowloris) gets a 408 and is disconnected.
        public var headerTimeout: Duration
        /// How long a kept-alive connection may wait between requests before it is closed.
        public var idleTimeout: Duration
        /// The most connections open at once; `nil` for as many as the open-file limit allows
        /// with a tenth of it kept in reserve (``FileDescriptorLimit``). A larger number is
        /// lowered to that too. Past it, the connection that has waited longest for a request
        /// is closed to make room, or, when all are being answered, the newcomer gets a 503.
        public var maximumConnections: Int?

        /// A configuration; the defaults are `trenza serve`'s.
        public init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            timeScale: Double = 1,
            seed: UInt64? = nil,
            logLevel: Logger.Level = .info,
            shutdownTimeout: Duration = .seconds(10),
            latency: Duration = .zero,
            filesDirectory: String? = nil,
            headerTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(60),
            maximumConnections: Int? = nil
        ) {
            self.host = host
            self.port = port
            self.timeScale = timeScale
            self.seed = seed
            self.logLevel = logLevel
            self.shutdownTimeout = shutdownTimeout
            self.latency = latency
            self.filesDirectory = filesDirectory
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.maximumConnections = maximumConnections
        }

        /// The connection cap in force: ``maximumConnections``, lowered to what the process's
        /// open-file limit allows (raised to its hard limit first).
        public var effectiveMaximumConnections: Int {
            let capacity = FileDescriptorLimit.connectionCapacity(forLimit: FileDescriptorLimit.raise())
            return min(maximumConnections ?? capacity, capacity)
        }
    }

    /// Where a running server accepts connections.
    public struct ListeningAddress: Sendable, Equatable {
        /// The host from the configuration, as given.
        public var host: String
        /// The real port, also when the configuration asked for port 0.
        public var port: Int

        /// `http://host:port`, with an IPv6 address in brackets.
        public var url: String {
            host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
        }
    }

    /// A configuration the server cannot start with.
    public struct ConfigurationError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The router with the middleware and every route. Routes added to it afterwards get the
    /// same middleware, which is how tests add a route that fails on purpose.
    ///
    /// Throws ``ConfigurationError`` when `filesDirectory` is not a directory.
    public static func makeRouter(_ configuration: Configuration) throws -> Router<ServerContext> {
        let files = try configuration.filesDirectory.map { directory in
            guard let routes = FileRoutes(directory: directory) else {
                throw ConfigurationError(description: "\(directory) is not a directory that can be read")
            }
            return routes
        }
        // Like aiohttp's `web.get`, every GET route answers HEAD too.
        let router = Router(context: ServerContext.self, options: .autoGenerateHeadEndpoints)
        // Middleware first: Hummingbird applies it only to the routes added after it. Timing
        // outermost so it times everything; metrics see the final statuses, errors included.
        router.add(middleware: RequestTimingMiddleware(logLevel: .info))
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        if configuration.latency > .zero {
            router.add(middleware: LatencyMiddleware(latency: configuration.latency))
        }
        let durations = DurationSource(seed: configuration.seed, timeScale: configuration.timeScale)
        TutorialRoutes(durations: durations, timeScale: configuration.timeScale).register(on: router)
        ContentRoutes().register(on: router)
        HTTPBinRoutes().register(on: router)
        FaultRoutes().register(on: router)
        files?.register(on: router)
        ServerMetrics.register(on: router)
        return router
    }

    /// A router without middleware: `GET /` answering `Hello, world!` and `GET /index` answering
    /// the bytes of the information document. The framework's own ceilings, which the server
    /// benchmark measures the real routes against: the first for the smallest answer, the
    /// second for the same answer as `/` without this server's middleware.
    public static func makeBareRouter() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        router.get("/") { _, _ in "Hello, world!" }
        let index = ByteBuffer(bytes: TutorialRoutes.index(timeScale: 1).bytes)
        router.get("/index") { _, _ in Response.json(bytes: index) }
        return router
    }

    /// The application, ready to run as a `Service` or to test with HummingbirdTesting.
    ///
    /// - Parameters:
    ///   - router: The router to serve; ``makeRouter(_:)`` for this configuration when `nil`
    ///     (which throws when the configuration's folder is missing). With that router, when
    ///     requests are not logged (a level above `info`) and no latency is added, `/` and
    ///     `/health` are answered as soon as they are decoded, on the connection's event loop,
    ///     with the same bytes, headers and metrics as through the router, at a fraction of
    ///     the CPU.
    ///   - logger: Where requests are logged; when `nil`, a `trenza.server` logger at the
    ///     configuration's level writing to standard error through ``BufferedLogHandler``.
    ///   - onListening: Called once the socket is bound, with the real address.
    public static func makeApplication(
        _ configuration: Configuration,
        router: Router<ServerContext>? = nil,
        logger: Logger? = nil,
        onListening: @escaping @Sendable (ListeningAddress) async -> Void = { _ in }
    ) throws -> Application<RouterResponder<ServerContext>> {
        let host = configuration.host
        let limiter = ConnectionLimiter(maximum: configuration.effectiveMaximumConnections)
        let headerTimeout = TimeAmount(configuration.headerTimeout)
        let idleTimeout = TimeAmount(configuration.idleTimeout)
        let logger = logger ?? defaultLogger(configuration)
        let constantRoutes = earlyAnswers(configuration, ownRouter: router == nil, logLevel: logger.logLevel)
        let server = HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http1: HTTP1Channel(responder: responder), headerTimeout: headerTimeout,
                                idleTimeout: idleTimeout, limiter: limiter, constantRoutes: constantRoutes)
        }
        return Application(
            router: try router ?? makeRouter(configuration),
            server: server,
            // A deep accept queue: thousands of clients connecting in the same instant (a load
            // test, a downloader at -j 1000) must wait in it, not have their SYNs dropped and
            // retried a second later. The kernel caps it at net.core.somaxconn.
            configuration: ApplicationConfiguration(address: .hostname(host, port: configuration.port), backlog: 8192),
            onServerRunning: { channel in
                await onListening(ListeningAddress(host: host, port: channel.localAddress?.port ?? configuration.port))
            },
            logger: logger
        )
    }

    /// The routes answered before the router (see ``makeApplication(_:router:logger:onListening:)``):
    /// only when nothing would tell the difference, that is when the router is the
    /// configuration's own, requests are not logged and no latency is added.
    static func earlyAnswers(_ configuration: Configuration, ownRouter: Bool, logLevel: Logger.Level) -> ConstantRoutes? {
        guard ownRouter, configuration.latency == .zero, logLevel > .info else { return nil }
        return ConstantRoutes(timeScale: configuration.timeScale)
    }

    /// Runs the server until SIGINT or SIGTERM, then shuts down gracefully: it stops accepting
    /// connections, lets the requests in flight finish (for at most the configuration's
    /// `shutdownTimeout`, after which they are cancelled) and returns.
    ///
    /// The caller must not have another handler ending the process on those signals.
    /// Throws when the server cannot start, for example when the port is taken.
    public static func run(
        _ configuration: Configuration,
        router: Router<ServerContext>? = nil,
        logger: Logger? = nil,
        onListening: @escaping @Sendable (ListeningAddress) async -> Void = { _ in }
    ) async throws {
        let logger = logger ?? defaultLogger(configuration)
        let application = try makeApplication(configuration, router: router, logger: logger, onListening: onListening)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [application],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        try await ServiceGroup(configuration: groupConfiguration).run()
    }

    /// Runs `body` while the server listens, then shuts the server down gracefully and returns
    /// what `body` returned: for programs that need a server of their own for a while (the
    /// tour's download lessons), without touching the process's signal handling.
    ///
    /// Throws when the server cannot start, or what `body` throws (the server is shut down
    /// either way).
    public static func withRunning<T: Sendable>(
        _ configuration: Configuration,
        logger: Logger? = nil,
        _ body: (ListeningAddress) async throws -> T
    ) async throws -> T {
        let logger = logger ?? defaultLogger(configuration)
        let (addresses, addressSink) = AsyncStream<ListeningAddress>.makeStream()
        let application = try makeApplication(configuration, logger: logger, onListening: { address in
            addressSink.yield(address)
            addressSink.finish()
        })
        var groupConfiguration = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        let group = ServiceGroup(configuration: groupConfiguration)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // A server that fails to bind ends here: the waiting side then sees no address.
                defer { addressSink.finish() }
                try await group.run()
            }
            var iterator = addresses.makeAsyncIterator()
            guard let address = await iterator.next() else {
                try await tasks.waitForAll()
                throw ConfigurationError(description: "the server stopped before it listened on \(configuration.host):\(configuration.port)")
            }
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await body(address))
            } catch {
                outcome = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }

    private static func defaultLogger(_ configuration: Configuration) -> Logger {
        var logger = Logger(label: "trenza.server") { BufferedLogHandler(label: $0) }
        logger.logLevel = configuration.logLevel
        return logger
    }
}
