import CoreMetrics
import Hummingbird
import Prometheus

/// The process's metrics, in Prometheus's text format at `/metrics`.
///
/// swift-metrics has one backend per process, chosen once; the first server made in a process
/// installs Prometheus's, and every later one (tests make many) shares it. A program that
/// installed its own backend before keeps it, and `/metrics` then shows only what reached this
/// registry.
enum ServerMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrapIfUnset(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func register(on router: Router<ServerContext>) {
        let registry = self.registry
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
    }
}

extension MetricsSystem {
    /// Installs `factory` unless a backend is installed already (bootstrapping twice traps).
    static func bootstrapIfUnset(_ factory: any MetricsFactory) {
        if MetricsSystem.factory is NOOPMetricsHandler { MetricsSystem.bootstrap(factory) }
    }
}

/// Holds every response back by a fixed time, like a distant server: the downloader benchmark's
/// "100 ms of added latency per response".
struct LatencyMiddleware<Context: RequestContext>: RouterMiddleware {
    let latency: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await Task.sleep(for: latency)
        return try await next(request, context)
    }
}
