import HTTPTypes
import Hummingbird

extension Response {
    /// A response carrying `document` as aiohttp's `web.json_response` sends it: the body as
    /// `json.dumps` writes it and `Content-Type: application/json; charset=utf-8`.
    public static func json(_ document: PythonJSON, status: HTTPResponse.Status = .ok) -> Response {
        json(bytes: ByteBuffer(bytes: document.bytes), status: status)
    }

    /// A JSON response whose body was written already.
    static func json(bytes: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: jsonContentType], body: ResponseBody(byteBuffer: bytes))
    }

    /// aiohttp's type for JSON.
    static let jsonContentType = "application/json; charset=utf-8"

}
