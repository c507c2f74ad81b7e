import Foundation
import Testing

@Suite("trenza tour, through the built binary", .serialized)
struct TourTests {
    static let lessons = ["threads", "locks", "cpu", "ipc", "async", "matrices", "logging", "patterns"]

    @Test("each lesson passes at time scale 0.01", arguments: lessons)
    func lessonPasses(lesson: String) async throws {
        let result = try await trenza(["tour", lesson, "--time-scale", "0.01"])
        #expect(result.status == 0, "\(result.output)\n\(result.error)")
        #expect(result.output.contains("PASS §"))
        #expect(!result.output.contains("FAIL"))
    }

    @Test("--list names all eight lessons")
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
