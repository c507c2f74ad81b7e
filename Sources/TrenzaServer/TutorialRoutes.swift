import Foundation
import HTTPTypes
import Hummingbird

/// The tutorial's §9.3 endpoints, each under its Spanish path and an English alias, answering
/// with the same JSON as the Python server.
struct TutorialRoutes: Sendable {
    let durations: DurationSource
    let timeScale: Double
    /// `/` and `/health` never change while the server runs: written once.
    private let constants: ConstantRoutes

    init(durations: DurationSource, timeScale: Double) {
        self.durations = durations
        self.timeScale = timeScale
        constants = ConstantRoutes(timeScale: timeScale)
    }

    /// The paths served, in the order the index lists them.
    static let single: [(spanish: String, english: String, operation: SimulatedOperation)] = [
        ("/rapido", "/fast", .fast),
        ("/medio", "/medium", .medium),
        ("/lento", "/slow", .slow),
    ]

    func register(on router: Router<ServerContext>) {
        for (path, answer) in constants.answers {
            Self.get(path, on: router) { .json(bytes: answer.body) }
        }
        for route in Self.single {
            let operation = route.operation
            for path in [route.spanish, route.english] {
                Self.get(path, on: router) { try await self.respond(to: operation) }
            }
        }
        for path in ["/mixto", "/mixed"] {
            Self.get(path, on: router) { try await self.concurrently() }
        }
        for path in ["/secuencial", "/sequential"] {
            Self.get(path, on: router) { try await self.sequentially() }
        }
    }

    /// Serves `path` with `handler` on GET (the router adds HEAD) and answers the other methods
    /// with 405 and `Allow`, as aiohttp does for a route it knows under another method.
    private static func get(_ path: String, on router: Router<ServerContext>, _ handler: @escaping @Sendable () async throws -> Response) {
        router.get(RouterPath(path)) { _, _ in try await handler() }
        for method in [HTTPRequest.Method.post, .put, .patch, .delete, .options] {
            router.on(RouterPath(path), method: method) { _, _ -> Response in
                throw HTTPError(.methodNotAllowed, headers: [.allow: "GET, HEAD"])
            }
        }
    }

    /// The information document: the same keys and shape as the tutorial's (`servidor`, and
    /// `endpoints` as a list of `ruta` and `descripción`), with the waits as this server's time
    /// scale makes them.
    static func index(timeScale: Double) -> PythonJSON {
        func waits(_ operation: SimulatedOperation) -> String {
            let range = operation.secondsRange
            return String(format: "%g-%g s", range.lowerBound * timeScale, range.upperBound * timeScale)
        }
        let endpoints: [(String, String)] = [
            ("/", "Esta información sobre el servidor y sus rutas"),
            ("/rapido", "Una operación rápida: espera \(waits(.fast)) (alias /fast)"),
            ("/medio", "Una operación media: espera \(waits(.medium)) (alias /medium)"),
            ("/lento", "Una operación lenta: espera \(waits(.slow)) (alias /slow)"),
            ("/mixto", "Las tres operaciones a la vez: tarda lo que la más lenta (alias /mixed)"),
            ("/secuencial", "Las tres operaciones una tras otra: tarda la suma de las tres (alias /sequential)"),
            ("/health", "Comprobación de estado: {\"status\": \"ok\"}"),
        ]
        return .object([
            ("servidor", .string("Trenza: servidor web asíncrono de demostración")),
            ("endpoints", .array(endpoints.map { .object([("ruta", .string($0.0)), ("descripción", .string($0.1))]) })),
        ])
    }

    private func respond(to operation: SimulatedOperation) async throws -> Response {
        let result = durations.draw([operation])[0]
        try await Self.wait(result)
        return .json(result.json)
    }

    /// `/mixto`: the three waits run at once, like `asyncio.gather`; results in call order.
    private func concurrently() async throws -> Response {
        let results = durations.draw(SimulatedOperation.allCases)
        let start = ContinuousClock.now
        async let fast: Void = Self.wait(results[0])
        async let medium: Void = Self.wait(results[1])
        async let slow: Void = Self.wait(results[2])
        _ = try await (fast, medium, slow)
        return .json(Self.summary(results, since: start, notes: "Las operaciones se ejecutaron concurrentemente"))
    }

    /// `/secuencial`: the same three waits, one after the other.
    private func sequentially() async throws -> Response {
        let results = durations.draw(SimulatedOperation.allCases)
        let start = ContinuousClock.now
        for result in results { try await Self.wait(result) }
        return .json(Self.summary(results, since: start, notes: "Las operaciones se ejecutaron secuencialmente"))
    }

    private static func wait(_ result: OperationResult) async throws {
        try await Task.sleep(for: .seconds(result.seconds))
    }

    private static func summary(_ results: [OperationResult], since start: ContinuousClock.Instant, notes: String) -> PythonJSON {
        .object([
            ("resultados", .array(results.map(\.json))),
            ("tiempo_total", .double((ContinuousClock.now - start).inSeconds)),
            ("notas", .string(notes)),
        ])
    }
}
