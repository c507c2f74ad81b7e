import Foundation
import Testing

@Suite("trenza tour, through the built binary", .serialized)
struct TourTests {
    static let lessons = ["threads", "locks", "cpu", "ipc", "async", "fetch", "compare", "matrices", "logging", "patterns"]

    @Test("each lesson passes at time scale 0.01", arguments: lessons)
    func lessonPasses(lesson: String) async throws {
        let result = try await trenza(["tour", lesson, "--time-scale", "0.01"])
        #expect(result.status == 0, "\(result.output)\n\(result.error)")
        #expect(result.output.contains("PASS §"))
        #expect(!result.output.contains("FAIL"))
    }

    @Test("the download lessons check every file, on every engine, against the server's bytes")
    func downloadLessons() async throws {
        let fetch = try await trenza(["tour", "4.2", "--time-scale", "0.01"])
        #expect(fetch.status == 0, "\(fetch.output)\n\(fetch.error)")
        #expect(fetch.output.contains("ok   every URL downloaded, byte-identical to the server's (both runs) — 5 of 5 downloaded, 5 byte-identical"))
        #expect(fetch.output.contains("Sizes: [1256, 48000, 23500, 310000, 152000]"))

        let compare = try await trenza(["tour", "5.1", "--time-scale", "0.01"])
        #expect(compare.status == 0, "\(compare.output)\n\(compare.error)")
        for engine in ["threads", "processes", "async"] {
            #expect(compare.output.contains("ok   \(engine): all 10 files, byte-identical to the server's — 10 of 10 downloaded, 10 byte-identical"))
        }
        #expect(compare.output.contains("ok   the three engines wrote the same bytes"))
        #expect(compare.output.contains("ok   a pool of 5 processes needs 2 rounds"))
    }

    @Test("--list names all ten lessons")
    func list() async throws {
        let result = try await trenza(["tour", "--list"])
        #expect(result.status == 0)
        for lesson in Self.lessons { #expect(result.output.contains(lesson)) }
    }

    @Test("an unknown lesson is a usage error (exit 2) that lists the lessons")
    func unknownLesson() async throws {
        let result = try await trenza(["tour", "nine"])
        #expect(result.status == 2)
        #expect(result.error.contains("no lesson named \"nine\""))
        #expect(result.error.contains("threads"))
    }

    @Test("a bad time scale is a usage error")
    func badTimeScale() async throws {
        let result = try await trenza(["tour", "--time-scale", "-1"])
        #expect(result.status == 2)
        #expect(result.error.contains("--time-scale"))
    }

    @Test("--help explains every command")
    func help() async throws {
        let result = try await trenza(["--help"])
        #expect(result.status == 0)
        #expect(result.output.contains("tour"))
        #expect(result.output.contains("worker"))
        #expect(result.output.contains("processes"))
    }
}
