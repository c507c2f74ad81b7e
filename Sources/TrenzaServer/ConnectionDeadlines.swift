import NIOCore

/// Closes a connection whose client is too slow to send a request's head, or that stays idle
/// between requests for too long: what stops slowloris clients from holding sockets forever.
///
/// It sits first in the pipeline, where it sees bytes as they arrive (the first byte of a
/// request starts its header clock); ``RequestProgressHandler``, after the HTTP decoder, tells
/// it when a head is complete and when a response has been written. A request being answered
/// is never cut: `/lento` and `/drip` take as long as they take.
///
/// One timer per connection, rescheduled lazily: a request changes only the deadline, and the
/// timer, when it fires, either closes the connection or sleeps until the new deadline. It is
/// never set further ahead than the shorter of the two timeouts, so a deadline that moves
/// closer (idle, then a request's first byte) is still met without cancelling anything.
final class ConnectionDeadlines: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        /// Waiting for the rest of a request's head, since the connection opened or since the
        /// request's first byte.
        case readingHead
        /// A request has its head: its body, the handler and the response are not timed here.
        case busy
        /// Between requests on a kept-alive connection.
        case idle
        /// A 408 is on its way out; what the client still sends is dropped until it closes or
        /// a second passes.
        case closing
    }

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let queue: EvictionQueue
    private var phase = Phase.readingHead
    private var deadline = NIODeadline.distantFuture
    private var bytesSinceHead = false
    private var requestsInProgress = 0
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    /// Links in the loop's ``EvictionQueue``: the connection that became evictable just before
    /// this one, and the one just after.
    var older: ConnectionDeadlines?
    var newer: ConnectionDeadlines?
    var isQueued = false

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount, queue: EvictionQueue) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.queue = queue
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        enter(.readingHead, timeout: headerTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        queue.remove(self)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .closing { return }
        if phase == .idle {
            enter(.readingHead, timeout: headerTimeout)
        }
        bytesSinceHead = true
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        queue.remove(self)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if phase == .closing, case .some(.inputClosed) = event as? ChannelEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request's head arrived whole: the connection is working, neither slow nor idle.
    func requestHeadArrived() {
        guard phase != .closing else { return }
        requestsInProgress += 1
        bytesSinceHead = false
        phase = .busy
        queue.remove(self)
    }

    /// A response was written to the end: once none is left, the idle clock starts.
    func responseEnded() {
        requestsInProgress = max(0, requestsInProgress - 1)
        if requestsInProgress == 0 {
            enter(.idle, timeout: idleTimeout)
        }
    }

    /// Closes the connection to make room for a new one; only ever called on one that is
    /// waiting for a request, never on one being answered.
    func evict() {
        queue.remove(self)
        context?.close(promise: nil)
    }

    private func enter(_ phase: Phase, timeout: TimeAmount) {
        guard self.phase != .closing else { return }
        self.phase = phase
        deadline = .now() + timeout
        queue.append(self)
        if timer == nil { scheduleTimer() }
    }

    private func scheduleTimer() {
        guard let context else { return }
        let step = min(headerTimeout, idleTimeout)
        let fireAt = min(deadline, .now() + step)
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: fireAt) { [self] in
            timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        guard phase != .busy, let context else { return }
        if phase == .closing {
            context.close(promise: nil)
            return
        }
        guard NIODeadline.now() >= deadline else {
            scheduleTimer()
            return
        }
        queue.remove(self)
        guard phase == .readingHead && bytesSinceHead else {
            context.close(promise: nil)
            return
        }
        // Part of a head came: say why, as nginx and Apache do. The close lingers, for the
        // reason BusyRefusal's does: a reset could destroy the 408 before the client reads it.
        phase = .closing
        context.writeAndFlush(NIOAny(Self.requestTimeout), promise: nil)
        context.close(mode: .output, promise: nil)
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .seconds(1)) { [self] in
            timerFired()
        }
    }

    private static let requestTimeout = ByteBuffer(
        string: "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: 30\r\nconnection: close\r\n\r\n{\"error\": \"Request Timeout\"}\r\n"
    )
}
