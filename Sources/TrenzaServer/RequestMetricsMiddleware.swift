import CoreMetrics
import HTTPTypes
import Hummingbird
import Synchronization

/// Counts requests and times them per route, method and status, through swift-metrics.
///
/// Hummingbird ships a `MetricsMiddleware`, but it records after the body is written by wrapping
/// the body in a closure, which turns every prepared body into a streamed one: measured on `/`,
/// that halved the requests a second. This one records when the response is ready — the moment
/// `RequestTimingMiddleware` also stamps — and keeps bodies as they are. Handles are made once
/// per route, method and status and kept, so a request costs a lookup, not a factory call.
///
/// Put it after ``RequestTimingMiddleware`` and before ``JSONErrorMiddleware``, so it sees every
/// failure as the response the client gets.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let handles = MetricHandles()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let active = handles.active(request.method)
        active.increment()
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            handles.record(route: context.endpointPath ?? "NotFound", method: request.method, status: response.status, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            handles.record(route: context.endpointPath ?? "NotFound", method: request.method, status: status, since: start)
            throw error
        }
    }
}

/// The swift-metrics handles, made on first use and kept. Handles with the same label and
/// dimensions feed the same series, so the router's middleware and ``ConstantRouteHandler``
/// each keep their own and still count together.
final class MetricHandles: Sendable {
    private struct Key: Hashable {
        var route: String
        var method: HTTPRequest.Method
        var status: Int
    }

    private struct Recorders: Sendable {
        var requests: Counter
        var duration: Timer
        var errors: Counter?
    }

    private let recorders = Mutex<[Key: Recorders]>([:])
    private let meters = Mutex<[HTTPRequest.Method: Meter]>([:])

    func active(_ method: HTTPRequest.Method) -> Meter {
        meters.withLock { meters in
            if let meter = meters[method] { return meter }
            let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
            meters[method] = meter
            return meter
        }
    }

    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let key = Key(route: route, method: method, status: status.code)
        let recorder = recorders.withLock { recorders in
            if let existing = recorders[key] { return existing }
            let dimensions = [
                ("http.route", route), ("http.request.method", method.rawValue),
                ("http.response.status_code", String(status.code)),
            ]
            let made = Recorders(
                requests: Counter(label: "http.server.requests", dimensions: dimensions),
                duration: Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds),
                errors: status.code >= 500 ? Counter(label: "http.server.errors", dimensions: dimensions) : nil
            )
            recorders[key] = made
            return made
        }
        recorder.requests.increment()
        recorder.duration.record(duration: elapsed)
        recorder.errors?.increment()
    }
}
