import HTTPTypes
import Hummingbird
import Logging

/// Turns every failure behind it into a JSON response, the way the tutorial's middleware does:
/// `{"error": "<message>"}` with the status of the failure.
///
/// An ``HTTPResponseError`` keeps its status, and its message is its reason phrase unless it
/// carries one of its own: an unknown route becomes 404 `{"error": "Not Found"}`, the text
/// aiohttp puts in its `HTTPNotFound`. Any other error becomes 500 with the error's description,
/// as the tutorial's `{"error": str(e)}`. The client always gets a well-formed answer, never a
/// dropped connection or an empty body.
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The middleware; it needs no configuration.
    public init() {}

    /// Passes the request on and turns whatever it throws into a JSON response.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            var response = Self.response(status: error.status, message: error.body ?? error.status.reasonPhrase)
            // An error's own headers (a 405's Allow, a 401's WWW-Authenticate) still matter.
            for field in error.headers where field.name != .contentType && field.name != .contentLength {
                response.headers.append(field)
            }
            return response
        } catch let error as any HTTPResponseError {
            return Self.response(status: error.status, message: error.status.reasonPhrase)
        } catch {
            context.logger.error("Request failed", metadata: ["http.path": .string(request.uri.path), "error": .string("\(error)")])
            return Self.response(status: .internalServerError, message: String(describing: error))
        }
    }

    static func response(status: HTTPResponse.Status, message: String) -> Response {
        .json(.object([("error", .string(message))]), status: status)
    }
}
