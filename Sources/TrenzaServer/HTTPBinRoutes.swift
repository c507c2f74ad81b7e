import Foundation
import HTTPTypes
import Hummingbird

/// httpbin-shaped routes for testing HTTP clients: any status, a delay, a redirect chain, and
/// `/get`, which echoes the request back.
///
/// Their durations are the client's to choose and are not scaled by `--time-scale`, which is
/// for the tutorial's simulated operations.
struct HTTPBinRoutes: Sendable {
    static let maximumDelaySeconds = 60.0
    static let maximumRedirects = 100

    func register(on router: Router<ServerContext>) {
        router.get("/status/:code") { _, context in
            let code = try context.parameters.require("code", as: Int.self)
            guard (200...599).contains(code) else {
                throw HTTPError(.badRequest, message: "the status must be between 200 and 599 (got \(code))")
            }
            var headers: HTTPFields = [:]
            if (300...399).contains(code) { headers[.location] = "/get" }
            if code == 401 { headers[.wwwAuthenticate] = #"Basic realm="trenza""# }
            if code == 429 || code == 503 { headers[.retryAfter] = "1" }
            return Response(status: .init(code: code), headers: headers)
        }

        router.get("/delay/:seconds") { request, context in
            let seconds = try context.parameters.require("seconds", as: Double.self)
            guard (0...Self.maximumDelaySeconds).contains(seconds) else {
                throw HTTPError(.badRequest, message: "the delay must be between 0 and \(Int(Self.maximumDelaySeconds)) seconds (got \(seconds))")
            }
            try await Task.sleep(for: .seconds(seconds))
            return Response.json(Self.echo(request, extra: [("delay", .double(seconds))]))
        }

        router.get("/redirect/:count") { request, context in
            let count = try context.parameters.require("count", as: Int.self)
            guard (1...Self.maximumRedirects).contains(count) else {
                throw HTTPError(.badRequest, message: "the number of redirects must be between 1 and \(Self.maximumRedirects) (got \(count))")
            }
            let target = request.uri.queryParameters.get("to").map { String($0) } ?? "/get"
            // Only paths on this server: the route must not be an open redirector.
            guard target.hasPrefix("/"), !target.hasPrefix("//"), !target.contains("\\") else {
                throw HTTPError(.badRequest, message: "to= must be a path on this server, such as /bytes/1024")
            }
            let next: String
            if count == 1 {
                next = target
            } else {
                var query = URLComponents()
                query.queryItems = [URLQueryItem(name: "to", value: target)]
                next = "/redirect/\(count - 1)" + (request.uri.queryParameters.get("to") == nil ? "" : query.string ?? "")
            }
            return Response(status: .found, headers: [.location: next, .contentLength: "0"])
        }

        router.get("/get") { request, _ in
            Response.json(Self.echo(request, extra: []))
        }
    }

    /// The request as httpbin's `/get` shows it: path, query arguments and headers.
    static func echo(_ request: Request, extra: [(String, PythonJSON)]) -> PythonJSON {
        let arguments = request.uri.queryParameters.map { (String($0.key), PythonJSON.string(String($0.value))) }
        let headers = request.headers.map { ($0.name.canonicalName, PythonJSON.string($0.value)) }
        return .object([
            ("method", .string(request.method.rawValue)),
            ("path", .string(request.uri.path)),
            ("args", .object(arguments)),
            ("headers", .object(headers)),
        ] + extra)
    }
}
