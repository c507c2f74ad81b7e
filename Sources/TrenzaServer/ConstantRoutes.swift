import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// The routes whose answer never changes while the server runs (`/`, the information document,
/// and `/health`), each prepared once as bytes. The router serves them from this table, and so
/// does ``ConstantRouteHandler``, which answers them on the connection's event loop without the
/// router: the same bytes either way.
struct ConstantRoutes: Sendable {
    struct Answer: Sendable {
        let body: ByteBuffer
        let contentLength: String
        let contentType: String

        init(json: PythonJSON) {
            body = ByteBuffer(bytes: json.bytes)
            contentLength = String(body.readableBytes)
            contentType = Response.jsonContentType
        }
    }

    let answers: [String: Answer]

    init(timeScale: Double) {
        answers = [
            "/": Answer(json: TutorialRoutes.index(timeScale: timeScale)),
            "/health": Answer(json: .object([("status", .string("ok"))])),
        ]
    }

    /// The answer for a request that can be answered without the router: `GET` or `HEAD` of one
    /// of the paths (with any query, which those routes ignore) over HTTP/1.1, kept alive, with
    /// no body. Anything else (`Connection: close`, HTTP/1.0, an encoded path, a body) goes to
    /// the router, which knows every rule.
    func answer(for head: HTTPRequestHead) -> (path: String, answer: Answer)? {
        guard head.method == .GET || head.method == .HEAD, head.version == .http1_1, head.isKeepAlive else { return nil }
        let uri = head.uri
        let path = uri.firstIndex(of: "?").map { String(uri[..<$0]) } ?? uri
        guard let answer = answers[path] else { return nil }
        if head.headers.contains(name: "transfer-encoding") { return nil }
        for length in head.headers[canonicalForm: "content-length"] where length != "0" { return nil }
        return (path, answer)
    }
}

/// Answers the ``ConstantRoutes`` on the event loop, as soon as a request for one of them is
/// decoded, with the bytes, headers, metrics and status the router would give; everything
/// else passes on to Hummingbird.
///
/// Why: `/` through the router costs about 100 µs of CPU a request, most of it the framework's
/// per-request task and its async hand-offs, which a prepared answer does not need. It is only
/// installed when the server logs no requests (each is logged at `info` on the router's path)
/// and adds no latency.
///
/// Responses must leave in request order. A request is answered here only when no earlier
/// request of the connection is still with the router; otherwise it follows them there.
final class ConstantRouteHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: ConstantRoutes
    private let metrics: MetricHandles
    /// The request whose head was taken here and whose end has not arrived yet.
    private var pending: (head: HTTPRequestHead, path: String, answer: ConstantRoutes.Answer, start: ContinuousClock.Instant)?
    /// Requests handed to the router whose responses have not ended.
    private var routedInFlight = 0
    private var unflushed = false

    init(routes: ConstantRoutes, metrics: MetricHandles) {
        self.routes = routes
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if routedInFlight == 0, let (path, answer) = routes.answer(for: head) {
                pending = (head, path, answer, .now)
                return
            }
            routedInFlight += 1
            context.fireChannelRead(data)
        case .body:
            // A request answered here has no body by its headers, so the decoder sends none.
            if pending == nil { context.fireChannelRead(data) }
        case .end:
            if let pending {
                self.pending = nil
                answer(pending, context: context)
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), routedInFlight > 0 { routedInFlight -= 1 }
        context.write(data, promise: promise)
    }

    private func answer(_ request: (head: HTTPRequestHead, path: String, answer: ConstantRoutes.Answer, start: ContinuousClock.Instant),
                        context: ChannelHandlerContext) {
        let method: HTTPRequest.Method = request.head.method == .HEAD ? .head : .get
        let active = metrics.active(method)
        active.increment()
        let seconds = (ContinuousClock.now - request.start).inSeconds
        let headers = HTTPHeaders([
            ("Content-Type", request.answer.contentType),
            ("Content-Length", request.answer.contentLength),
            ("X-Tiempo-Respuesta", RequestTimingMiddleware<ServerContext>.tiempoRespuesta(seconds)),
            ("Server-Timing", RequestTimingMiddleware<ServerContext>.serverTiming(seconds)),
            ("Date", HTTPDate.now()),
        ])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        if method == .get { context.write(wrapOutboundOut(.body(.byteBuffer(request.answer.body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        unflushed = true
        metrics.record(route: request.path, method: method, status: .ok, since: request.start)
        active.decrement()
    }
}
