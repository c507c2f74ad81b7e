import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's basics plus the connection itself, which
/// the fault routes need to break a response off the way a failing network does.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came in on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
