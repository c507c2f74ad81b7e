import Foundation
import Testing

@Suite("trenza bench, through the built binary")
struct BenchCommandTests {
    struct Report: Decodable {
        struct Figure: Decodable {
            var engine: String
            var items: Int
            var seconds: Double
            var failures: Int
            var chunkSize: Int
        }
        struct CPU: Decodable {
            var sequentialSeconds: Double
            var engines: [Figure]
            var resultsMatch: Bool
        }
        var startup: [Figure]
        var dispatch: [Figure]
        var cpu: CPU?
    }

    @Test("overhead and cpu figures come out as JSON, every result correct")
    func json() async throws {
        let result = try await trenza(["bench", "--json", "--items", "2000", "--chunk-size", "100", "--steps", "100000", "--repeats", "1"])
        #expect(result.status == 0, "\(result.error)")
        let report = try JSONDecoder().decode(Report.self, from: Data(result.output.utf8))
        #expect(Set(report.startup.map(\.engine)) == ["threads", "processes", "async"])
        #expect(report.dispatch.count == 4)
        #expect(report.dispatch.allSatisfy { $0.failures == 0 && $0.items == 2000 && $0.seconds > 0 })
        #expect(report.dispatch.contains { $0.engine == "processes" && $0.chunkSize == 100 })
        let cpu = try #require(report.cpu)
        #expect(cpu.resultsMatch)
        #expect(cpu.engines.count == 3)
    }

    @Test("an unknown workload is a usage error")
    func unknownWorkload() async throws {
        let result = try await trenza(["bench", "--only", "gpu"])
        #expect(result.status == 2)
        #expect(result.error.contains("unknown workload \"gpu\""))
    }
}
