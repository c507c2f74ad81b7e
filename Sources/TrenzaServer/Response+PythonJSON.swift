import HTTPTypes
import Hummingbird

extension Response {
    /// A response carrying `document` as aiohttp's `web.json_response` sends it: the body as
    /// `json.dumps` writes it and `Content-Type: application/json; charset=utf-8`.
    public static func json(_ document: PythonJSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: document.bytes))
        )
    }
}
