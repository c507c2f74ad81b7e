import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Times every request, tells the client how long it took and logs one line for it.
///
/// Two headers carry the time: the tutorial's `X-Tiempo-Respuesta` (seconds with 4 decimals,
/// as its Python middleware wrote it) and the standard `Server-Timing: total;dur=<ms>`, which
/// browsers' developer tools display. The log line goes through swift-log with the method, the
/// path, the status and the duration as metadata, at the level given.
///
/// Put it first, so that it times everything after it, and put ``JSONErrorMiddleware`` after it,
/// so that failures reach it as responses and are timed and logged with their real status.
public struct RequestTimingMiddleware<Context: RequestContext>: RouterMiddleware {
    let logLevel: Logger.Level

    /// - Parameter logLevel: The level of the line logged for each request.
    public init(logLevel: Logger.Level = .info) {
        self.logLevel = logLevel
    }

    /// Passes the request on, then stamps the response with its time and logs it.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            var response = try await next(request, context)
            let seconds = Self.seconds(since: start)
            response.headers[.xTiempoRespuesta] = Self.tiempoRespuesta(seconds)
            response.headers[.serverTiming] = Self.serverTiming(seconds)
            log(request, status: response.status, seconds: seconds, context: context)
            return response
        } catch {
            // Only reached without a JSONErrorMiddleware behind it; Hummingbird answers then.
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            log(request, status: status, seconds: Self.seconds(since: start), context: context)
            throw error
        }
    }

    private func log(_ request: Request, status: HTTPResponse.Status, seconds: Double, context: Context) {
        context.logger.log(
            level: logLevel,
            "\(request.method.rawValue) \(request.uri.path) \(status.code) \(Self.tiempoRespuesta(seconds)) s",
            metadata: [
                "http.method": .string(request.method.rawValue),
                "http.path": .string(request.uri.path),
                "http.status": .stringConvertible(status.code),
                "http.duration_s": .string(Self.tiempoRespuesta(seconds)),
            ]
        )
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).inSeconds
    }

    /// The tutorial's `f"{tiempo:.4f}"`.
    static func tiempoRespuesta(_ seconds: Double) -> String {
        fixedPoint(seconds, decimals: 4)
    }

    static func serverTiming(_ seconds: Double) -> String {
        "total;dur=" + fixedPoint(seconds * 1000, decimals: 3)
    }

    /// `String(format: "%.<decimals>f")` for the non-negative values a clock gives, without
    /// Foundation's formatter, which cost more than the rest of a small request.
    static func fixedPoint(_ value: Double, decimals: Int) -> String {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((max(0, value) * Double(scale)).rounded())
        let fraction = String(scaled % scale)
        return "\(scaled / scale)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
