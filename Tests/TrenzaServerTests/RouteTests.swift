import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import TrenzaServer

@Suite("The tutorial's routes answer as its Python server does")
struct RouteTests {
    @Test("GET / is the information document: servidor and endpoints of ruta and descripción")
    func index() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let document = try response.object()
                #expect(Set(document.keys) == ["servidor", "endpoints"])
                #expect(document["servidor"] is String)
                let endpoints = try #require(document["endpoints"] as? [[String: Any]])
                for endpoint in endpoints {
                    #expect(Set(endpoint.keys) == ["ruta", "descripción"])
                    #expect(endpoint["descripción"] is String)
                }
                #expect(endpoints.compactMap { $0["ruta"] as? String } == ["/", "/rapido", "/medio", "/lento", "/mixto", "/secuencial", "/health"])
                // Keys in the tutorial's order, and non-ASCII escaped as json.dumps does.
                #expect(response.text.hasPrefix(#"{"servidor": ""#))
                #expect(response.text.contains(#"{"ruta": "/rapido", "descripci\u00f3n": "#))
                // The waits it announces are the scaled ones.
                #expect(response.text.contains("0.001-0.003 s"))
            }
            for path in ["/", "/rapido", "/medio", "/lento", "/mixto", "/secuencial", "/health"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path) is listed but answers \(response.status)")
            }
        }
    }

    @Test("One operation per route: {operacion, tiempo} with the wait in the tutorial's range × the time scale",
          arguments: [
              ("/rapido", "rápida", 0.1...0.3), ("/fast", "rápida", 0.1...0.3),
              ("/medio", "media", 0.5...1.5), ("/medium", "media", 0.5...1.5),
              ("/lento", "lenta", 2.0...4.0), ("/slow", "lenta", 2.0...4.0),
          ])
    func operation(path: String, name: String, range: ClosedRange<Double>) async throws {
        try await makeApp(timeScale: 0.01).test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.text.hasPrefix(#"{"operacion": ""#))
                let reported = try Reported(try response.object())
                #expect(reported.operacion == name)
                #expect(reported.tiempo >= range.lowerBound * 0.01 && reported.tiempo <= range.upperBound * 0.01)
                // The server really waited that long before answering.
                let header = try #require(response.headers[.xTiempoRespuesta].flatMap(Double.init))
                #expect(header >= reported.tiempo - 0.00005)
            }
        }
    }

    @Test("With a seed the waits are those of SplitMix64, and the bytes are Python's (json.dumps and float repr)")
    func seededBytes() async throws {
        // Expected bodies computed by Python 3 (json.dumps) from a SplitMix64 seeded with 42,
        // `lower + (upper - lower) * unit`, × 0.01: the fourth request gets the next three draws.
        try await makeApp(timeScale: 0.01, seed: 42).test(.router) { client in
            let first = try await client.execute(uri: "/rapido", method: .get)
            #expect(first.text == #"{"operacion": "r\u00e1pida", "tiempo": 0.0024831297575436465}"#)
            let mixed = try await client.execute(uri: "/mixto", method: .get)
            #expect(mixed.text.hasPrefix(
                #"{"resultados": [{"operacion": "r\u00e1pida", "tiempo": 0.0013198207857538402}, "#
                    + #"{"operacion": "media", "tiempo": 0.0077860113025513865}, "#
                    + #"{"operacion": "lenta", "tiempo": 0.026883814330472752}], "tiempo_total": "#))
            #expect(mixed.text.hasSuffix(#", "notas": "Las operaciones se ejecutaron concurrentemente"}"#))
        }
    }

    @Test("/mixto runs the three at once: it takes about the longest wait, less than their sum",
          arguments: ["/mixto", "/mixed"])
    func concurrent(path: String) async throws {
        // At 0.5 the sum exceeds the longest wait by at least 0.3 s: room for a busy machine.
        try await makeApp(timeScale: 0.5).test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                let document = try response.object()
                #expect(Set(document.keys) == ["resultados", "tiempo_total", "notas"])
                #expect(response.text.hasPrefix(#"{"resultados": ["#))
                #expect(document["notas"] as? String == "Las operaciones se ejecutaron concurrentemente")
                let results = try #require(document["resultados"] as? [Any]).map(Reported.init)
                #expect(results.map(\.operacion) == ["rápida", "media", "lenta"])
                let total = try #require(document["tiempo_total"] as? Double)
                let longest = results.map(\.tiempo).max()!, sum = results.map(\.tiempo).reduce(0, +)
                #expect(total >= longest, "finished before its longest wait")
                #expect(total < sum, "took \(total) s: no faster than one after the other (\(sum) s)")
            }
        }
    }

    @Test("/secuencial runs them one after another: it takes at least their sum",
          arguments: ["/secuencial", "/sequential"])
    func sequential(path: String) async throws {
        try await makeApp(timeScale: 0.05).test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                let document = try response.object()
                #expect(Set(document.keys) == ["resultados", "tiempo_total", "notas"])
                #expect(document["notas"] as? String == "Las operaciones se ejecutaron secuencialmente")
                let results = try #require(document["resultados"] as? [Any]).map(Reported.init)
                #expect(results.map(\.operacion) == ["rápida", "media", "lenta"])
                let total = try #require(document["tiempo_total"] as? Double)
                let sum = results.map(\.tiempo).reduce(0, +)
                #expect(total >= sum, "took \(total) s, less than the sum of its waits (\(sum) s)")
                #expect(total < sum + 2, "took \(total) s for waits adding up to \(sum) s")
            }
        }
    }

    @Test("The same seed gives the same waits, request after request; another seed does not")
    func reproducible() async throws {
        let paths = ["/rapido", "/mixto", "/lento", "/secuencial", "/medio"]
        @Sendable func waits(seed: UInt64) async throws -> [Double] {
            try await makeApp(timeScale: 0.001, seed: seed).test(.router) { client in
                var waits: [Double] = []
                for path in paths {
                    let document = try await client.execute(uri: path, method: .get).object()
                    if let results = document["resultados"] as? [Any] {
                        waits += try results.map { try Reported($0).tiempo }
                    } else {
                        waits.append(try Reported(document).tiempo)
                    }
                }
                return waits
            }
        }
        let first = try await waits(seed: 2024), second = try await waits(seed: 2024), other = try await waits(seed: 2025)
        #expect(first.count == 9)
        #expect(first == second)
        #expect(first != other)
    }

    @Test("Each English alias answers the same JSON as its Spanish route")
    func aliases() async throws {
        for (spanish, english) in [("/rapido", "/fast"), ("/medio", "/medium"), ("/lento", "/slow")] {
            let bodies = try await [spanish, english].asyncMap { path in
                try await makeApp(seed: 9).test(.router) { client in try await client.execute(uri: path, method: .get).text }
            }
            #expect(bodies[0] == bodies[1], "\(spanish) and \(english) differ")
        }
    }

    @Test("GET /health answers {\"status\": \"ok\"}")
    func health() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text == #"{"status": "ok"}"#)
            }
        }
    }

    @Test("HEAD answers like GET without a body, as aiohttp's web.get does")
    func head() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/rapido", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.xTiempoRespuesta] != nil)
            }
        }
    }
}

extension Array where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
