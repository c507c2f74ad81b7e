import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TrenzaServer

/// What a handler throws when a backend fails; its description is what the client should read.
private struct BackendDown: Error, CustomStringConvertible {
    var description: String { "la base de datos no responde" }
}

@Suite("Timing, logging and JSON errors")
struct MiddlewareTests {
    static var tiempoPattern: Regex<Substring> { /^\d+\.\d{4}$/ }
    static var serverTimingPattern: Regex<(Substring, Substring)> { /^total;dur=(\d+\.\d{3})$/ }

    @Test("Every response carries X-Tiempo-Respuesta (s, 4 decimals) and Server-Timing (ms), telling the same time",
          arguments: ["/", "/rapido", "/medio", "/lento", "/mixto", "/secuencial", "/health", "/no-such-route"])
    func timingHeaders(path: String) async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                let tiempo = try #require(response.headers[.xTiempoRespuesta])
                #expect(tiempo.wholeMatch(of: Self.tiempoPattern) != nil, "X-Tiempo-Respuesta: \(tiempo)")
                let serverTiming = try #require(response.headers[.serverTiming])
                let match = try #require(serverTiming.wholeMatch(of: Self.serverTimingPattern), "Server-Timing: \(serverTiming)")
                let milliseconds = try #require(Double(match.1)), seconds = try #require(Double(tiempo))
                #expect(abs(milliseconds / 1000 - seconds) <= 0.00006)
            }
        }
    }

    @Test("The time in the headers covers the whole request: at least the total the handler reports")
    func timingCoversHandler() async throws {
        try await makeApp(timeScale: 0.02).test(.router) { client in
            try await client.execute(uri: "/secuencial", method: .get) { response in
                let total = try #require(try response.object()["tiempo_total"] as? Double)
                let header = try #require(response.headers[.xTiempoRespuesta].flatMap(Double.init))
                #expect(header >= total - 0.00005)
            }
        }
    }

    @Test("An unknown route is a JSON 404, never a dropped connection", arguments: [
        (HTTPRequest.Method.get, "/no-such-route"), (.get, "/rapido/extra"), (.post, "/no-such-route"), (.head, "/nada"),
    ])
    func notFound(method: HTTPRequest.Method, path: String) async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: path, method: method) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                if method != .head { #expect(response.text == #"{"error": "Not Found"}"#) }
            }
        }
    }

    @Test("Another method on a known route is a JSON 405 with Allow, as aiohttp answers it", arguments: [
        (HTTPRequest.Method.post, "/rapido"), (.delete, "/"), (.put, "/mixed"), (.patch, "/health"), (.options, "/secuencial"),
    ])
    func methodNotAllowed(method: HTTPRequest.Method, path: String) async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: path, method: method) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
                #expect(response.text == #"{"error": "Method Not Allowed"}"#)
            }
        }
    }

    @Test("A handler that throws gives the tutorial's JSON 500 with the error's description, timed like any response")
    func thrownError() async throws {
        let app = try makeApp { router in
            router.get("/explota") { _, _ -> Response in throw BackendDown() }
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/explota", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.text == #"{"error": "la base de datos no responde"}"#)
                #expect(response.headers[.xTiempoRespuesta]?.wholeMatch(of: Self.tiempoPattern) != nil)
            }
            // The failure is confined to its request.
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
    }

    @Test("An HTTPError keeps its status, its message and its headers")
    func httpError() async throws {
        let app = try makeApp { router in
            router.get("/prohibido") { _, _ -> Response in
                throw HTTPError(.forbidden, headers: [.wwwAuthenticate: "Basic"], message: "sin permiso")
            }
            router.get("/teapot") { _, _ -> Response in throw HTTPError(.init(code: 418, reasonPhrase: "I'm a teapot")) }
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/prohibido", method: .get) { response in
                #expect(response.status == .forbidden)
                #expect(response.text == #"{"error": "sin permiso"}"#)
                #expect(response.headers[.wwwAuthenticate] == "Basic")
            }
            try await client.execute(uri: "/teapot", method: .get) { response in
                #expect(response.status.code == 418)
                #expect(response.text == #"{"error": "I'm a teapot"}"#)
            }
        }
    }

    @Test("Each request is logged once, with method, path, status and duration, at info")
    func logging() async throws {
        let recorder = LogRecorder()
        try await makeApp(logger: recorder.logger(level: .info)).test(.router) { client in
            _ = try await client.execute(uri: "/rapido", method: .get)
            _ = try await client.execute(uri: "/no-such-route", method: .post)
        }
        let lines = recorder.all.filter { $0.metadata["http.path"] != nil && $0.metadata["http.status"] != nil }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.level == .info })
        let rapido = try #require(lines.first { $0.metadata["http.path"] == "/rapido" })
        #expect(rapido.metadata["http.method"] == "GET")
        #expect(rapido.metadata["http.status"]?.description == "200")
        #expect(rapido.metadata["http.duration_s"]?.description.wholeMatch(of: Self.tiempoPattern) != nil)
        #expect(rapido.message.hasPrefix("GET /rapido 200 "))
        let missing = try #require(lines.first { $0.metadata["http.path"] == "/no-such-route" })
        #expect(missing.metadata["http.method"] == "POST")
        #expect(missing.metadata["http.status"]?.description == "404")
    }

    @Test("Above info, requests are not logged")
    func loggingLevel() async throws {
        let recorder = LogRecorder()
        let status = try await makeApp(logger: recorder.logger(level: .warning)).test(.router) { client in
            try await client.execute(uri: "/rapido", method: .get).status
        }
        #expect(status == .ok)
        #expect(recorder.all.isEmpty)
    }
}
