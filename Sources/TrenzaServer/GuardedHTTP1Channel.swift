import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 connection with this server's defences added: the connection cap
/// (``ConnectionLimiter``), and the header and idle timeouts (``ConnectionDeadlines``); and,
/// when given, the prepared answers of ``ConstantRoutes`` (``ConstantRouteHandler``).
///
/// Hummingbird's own `idleTimeout` restarts only when a whole head or body part has been
/// decoded, so it cannot tell a slow head from an idle connection; these handlers see the bytes
/// themselves and time each separately.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let headerTimeout: TimeAmount
    let idleTimeout: TimeAmount
    let limiter: ConnectionLimiter
    let constantRoutes: ConstantRoutes?
    let metrics = MetricHandles()

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let loop = channel.eventLoop
        let admitted = limiter.admit(on: loop)
        if admitted {
            let limiter = self.limiter
            channel.closeFuture.whenComplete { _ in limiter.closed() }
        }
        return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            guard admitted else {
                try pipeline.addHandler(BusyRefusal(), position: .first)
                return value
            }
            let deadlines = ConnectionDeadlines(headerTimeout: headerTimeout, idleTimeout: idleTimeout, queue: limiter.queue(for: loop))
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let progress = RequestProgressHandler(deadlines: deadlines)
            try pipeline.addHandler(progress, position: .after(decoder))
            if let constantRoutes {
                try pipeline.addHandler(ConstantRouteHandler(routes: constantRoutes, metrics: metrics), position: .after(progress))
            }
            try pipeline.addHandler(deadlines, position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
