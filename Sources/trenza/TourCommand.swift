import ArgumentParser
import Foundation
import Trenza
import TrenzaLessons

struct TourCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "Run the tutorial's lessons live; each checks its own claim.",
        discussion: """
            Each lesson runs the tutorial's program in Swift, narrates what happens with timings, and
            ends with PASS or FAIL for the claim it makes (for example: two threads sleeping 2 s and
            3 s finish in about 3 s, not 5 s). Name a lesson by number, section or name:
              trenza tour 1        trenza tour 2.1        trenza tour threads
            With no lesson, all of them run in order. Exit status 1 if any lesson fails.
            """
    )

    @Argument(help: "The lesson to run (number, section such as 3.1, or name); all when omitted.")
    var lesson: String?

    @Flag(help: "List the lessons and exit.")
    var list = false

    @Option(help: "Multiply every sleep in the lessons by this factor (0.01 runs the timed lessons in milliseconds).")
    var timeScale: Double = 1

    @Option(name: [.customShort("j"), .long], help: "Width of the thread and process pools the lessons use.")
    var jobs: Int = 2

    func validate() throws {
        guard timeScale > 0, timeScale <= 100 else { throw ValidationError("--time-scale must be in (0, 100] (got \(timeScale)).") }
        guard jobs > 0, jobs <= 256 else { throw ValidationError("-j/--jobs must be between 1 and 256 (got \(jobs)).") }
        if let lesson, Tour.lesson(named: lesson) == nil {
            throw ValidationError("no lesson named \"\(lesson)\". \(Self.listing)")
        }
    }

    static var listing: String {
        "Lessons:\n" + Tour.lessons.enumerated().map { number, lesson in
            "  \(number + 1). §\(lesson.section.padding(toLength: 4, withPad: " ", startingAt: 0)) \(lesson.slug.padding(toLength: 9, withPad: " ", startingAt: 0)) \(lesson.title)"
        }.joined(separator: "\n")
    }

    func run() async throws {
        if list {
            Terminal.out(Self.listing)
            return
        }
        let lessons = lesson.flatMap(Tour.lesson(named:)).map { [$0] } ?? Tour.lessons
        let context = LessonContext(timeScale: timeScale, width: jobs) { line in Terminal.out("    \(line)") }
        var results: [LessonResult] = []
        for lesson in lessons {
            Terminal.out("§\(lesson.section) \(lesson.title) [\(lesson.slug)]")
            let result = await Tour.run(lesson, in: context)
            for check in result.checks {
                Terminal.out("  \(check.passed ? "ok  " : "FAIL") \(check.claim) — \(check.observed)")
            }
            if let error = result.error { Terminal.out("  FAIL the lesson stopped: \(error)") }
            Terminal.out("\(result.passed ? "PASS" : "FAIL") §\(result.section) \(result.slug) (\(String(format: "%.2f", result.seconds)) s)\n")
            results.append(result)
        }
        let passed = results.filter(\.passed).count
        if passed == results.count {
            Terminal.out("Tour: all \(results.count) lesson\(results.count == 1 ? "" : "s") passed.")
        } else {
            let failed = results.filter { !$0.passed }.map { "§\($0.section) \($0.slug)" }
            Terminal.out("Tour: \(passed) of \(results.count) lessons passed; failed: \(failed.joined(separator: ", ")).")
            throw ExitCode(1)
        }
    }
}
