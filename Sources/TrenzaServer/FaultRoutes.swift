import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Routes that fail the way networks and servers do, for a downloader to survive.
///
/// Each serves the bytes of `/bytes/{n}?seed=S` when it does not fail, ranges included, so a
/// client that resumes gets the right rest. `times=K&key=X` makes only the first K requests for
/// key X fail (the key defaults to the path); without `times` every request fails.
///
/// - `/fault/reset/{n}`: the full `Content-Length`, about half the body, then a TCP reset.
/// - `/fault/short/{n}`: the full `Content-Length`, about half the body, then a clean close.
/// - `/fault/unavailable/{n}?retry-after=S`: `503` with `Retry-After: S` (1 by default).
/// - `/fault/status/{code}/{n}`: that status (400–599) with a JSON error.
struct FaultRoutes: Sendable {
    private let attempts = AttemptCounter()

    func register(on router: Router<ServerContext>) {
        router.get("/fault/reset/:count") { request, context in
            try await serve(request, context) { representation in
                Self.brokenOff(representation, seed: try Self.seed(request), channel: context.channel, reset: true)
            }
        }
        router.get("/fault/short/:count") { request, context in
            try await serve(request, context) { representation in
                Self.brokenOff(representation, seed: try Self.seed(request), channel: context.channel, reset: false)
            }
        }
        router.get("/fault/unavailable/:count") { request, context in
            let retryAfter = try request.query("retry-after", as: Int.self) ?? 1
            guard (0...3600).contains(retryAfter) else { throw HTTPError(.badRequest, message: "retry-after must be between 0 and 3600 seconds") }
            return try await serve(request, context) { _ in
                var response = JSONErrorMiddleware<ServerContext>.response(status: .serviceUnavailable, message: "Service Unavailable")
                response.headers[.retryAfter] = String(retryAfter)
                return response
            }
        }
        router.get("/fault/status/:code/:count") { request, context in
            let code = try context.parameters.require("code", as: Int.self)
            guard (400...599).contains(code) else { throw HTTPError(.badRequest, message: "the status must be between 400 and 599 (got \(code))") }
            // HTTPTypes knows no reason phrases by number; NIO's table does.
            let status = HTTPResponse.Status(code: code, reasonPhrase: HTTPResponseStatus(statusCode: code).reasonPhrase)
            return try await serve(request, context) { _ in
                JSONErrorMiddleware<ServerContext>.response(status: status, message: status.reasonPhrase)
            }
        }
    }

    /// Answers with `failure` when this request is one that fails, with the bytes otherwise.
    private func serve(
        _ request: Request, _ context: ServerContext,
        failure: (Representation) throws -> Response
    ) async throws -> Response {
        let count = try context.parameters.require("count", as: Int.self)
        guard (0...ContentRoutes.maximumByteCount).contains(count) else {
            throw HTTPError(.badRequest, message: "the byte count must be between 0 and \(ContentRoutes.maximumByteCount) (got \(count))")
        }
        let representation = ContentRoutes.sampleBytes(count: count, seed: try Self.seed(request))
        let times = try request.query("times", as: Int.self)
        let key = request.uri.queryParameters.get("key").map { String($0) } ?? request.uri.path
        if let times, attempts.next(for: key) > times {
            return try await representation.response(to: request)
        }
        return try failure(representation)
    }

    private static func seed(_ request: Request) throws -> UInt64 {
        try request.query("seed", as: UInt64.self) ?? 0
    }

    /// A response that promises every byte, sends about half and then breaks the connection:
    /// with a reset (`SO_LINGER` 0, so the peer gets RST) or with a clean close (FIN).
    private static func brokenOff(_ representation: Representation, seed: UInt64, channel: any Channel, reset: Bool) -> Response {
        let length = representation.length
        return Response(
            status: .ok,
            headers: [
                .contentType: representation.contentType, .eTag: representation.etag,
                .acceptRanges: "bytes", .contentLength: String(length),
            ],
            body: ResponseBody(contentLength: length) { writer in
                let half = length / 2
                if half > 0 {
                    try await writer.write(ByteBuffer(bytes: SampleBytes.generate(count: half, seed: seed)))
                }
                // Let the half leave before the connection goes, or a reset could overtake it.
                try await Task.sleep(for: .milliseconds(20))
                if reset, let socket = channel as? any SocketOptionProvider {
                    try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                }
                try? await channel.close().get()
                throw BrokenOffOnPurpose()
            }
        )
    }
}

/// How many requests each key has had.
final class AttemptCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Counts one more request for `key` and returns its number, from 1.
    func next(for key: String) -> Int {
        counts.withLock { counts in
            counts[key, default: 0] += 1
            return counts[key]!
        }
    }
}

/// Ends a fault route's body writer once the connection is gone.
struct BrokenOffOnPurpose: Error {}
