import NIOCore

/// Answers a connection the server has no room for with a 503 and closes it, before any of the
/// request is read: a clear "come back later" instead of a reset.
final class BusyRefusal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The request is not going to be served: the HTTP handlers never see it.
    }

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let body = "{\"error\": \"Service Unavailable\"}\r\n"
        let head = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\nretry-after: 1\r\nconnection: close\r\n\r\n"
        context.writeAndFlush(NIOAny(ByteBuffer(string: head + body))).assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
