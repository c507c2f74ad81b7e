import Foundation
import Trenza

/// What a lesson needs from the world: the time scale, the program to start worker and helper
/// processes from, and where to say what happens (lessons never print themselves).
public struct LessonContext: Sendable {
    /// Multiplies every sleep of every lesson (tests use 0.01).
    public var timeScale: Double
    /// The executable that serves as worker process and helper process (the `trenza` binary).
    public var executable: String
    /// Width of the pools and engines the lessons use.
    public var width: Int
    /// Receives each line of narration as it happens.
    public var say: @Sendable (String) -> Void

    public init(timeScale: Double = 1, executable: String = ProcessPool.currentExecutable, width: Int = 2, say: @escaping @Sendable (String) -> Void) {
        self.timeScale = timeScale
        self.executable = executable
        self.width = width
        self.say = say
    }

    /// `seconds` of the tutorial's time, scaled.
    public func scaled(_ seconds: Double) -> Double { seconds * timeScale }

    /// Blocks the calling thread for `seconds` of the tutorial's time.
    public func sleep(_ seconds: Double) { Thread.sleep(forTimeInterval: scaled(seconds)) }

    /// Suspends the calling task for `seconds` of the tutorial's time.
    public func sleepAsync(_ seconds: Double) async throws {
        try await Task.sleep(for: .seconds(scaled(seconds)))
    }

    /// Formats a measured duration back in the tutorial's seconds, with the real figure beside it
    /// when scaled ("3.01 s" or "3.02 s (30 ms real)").
    public func describe(_ elapsed: Double) -> String {
        let tutorial = String(format: "%.2f s", elapsed / timeScale)
        return timeScale == 1 ? tutorial : "\(tutorial) scaled (\(String(format: "%.1f ms", elapsed * 1000)) real)"
    }
}

/// One claim a lesson makes about what it just ran, and whether the run bore it out.
public struct Check: Sendable, Equatable {
    public var claim: String
    public var passed: Bool
    public var observed: String

    public init(_ claim: String, _ passed: Bool, observed: String) {
        self.claim = claim
        self.passed = passed
        self.observed = observed
    }
}

/// A runnable, self-checking lesson from the tutorial.
public protocol Lesson: Sendable {
    /// Short name used on the command line (`trenza tour threads`).
    var slug: String { get }
    /// The tutorial's section ("2.1").
    var section: String { get }
    var title: String { get }
    /// Runs the lesson's program, narrating through `context.say`, and returns its checked claims.
    func run(_ context: LessonContext) async throws -> [Check]
}

/// How one lesson went.
public struct LessonResult: Sendable {
    public var slug: String
    public var section: String
    public var title: String
    public var checks: [Check]
    /// Set when the lesson could not run to the end.
    public var error: String?
    public var seconds: Double

    public var passed: Bool { error == nil && !checks.isEmpty && checks.allSatisfy(\.passed) }
}

/// The tutorial's lessons, in order.
public enum Tour {
    public static let lessons: [any Lesson] = [
        ThreadsLesson(), LocksLesson(), CPUBoundLesson(), InterProcessLesson(),
        AsyncLesson(), FetchLesson(), ApproachesLesson(), MatricesLesson(), LoggingLesson(), PatternsLesson(),
    ]

    /// Finds a lesson by number in the tour ("3"), section ("3.1", "§3.1") or slug ("cpu").
    public static func lesson(named name: String) -> (any Lesson)? {
        let key = name.hasPrefix("§") ? String(name.dropFirst()) : name
        if let number = Int(key), (1...lessons.count).contains(number) { return lessons[number - 1] }
        return lessons.first { $0.section == key || $0.slug == key.lowercased() }
    }

    /// Runs `lesson`, turning an error into a failed result rather than ending the tour.
    public static func run(_ lesson: any Lesson, in context: LessonContext) async -> LessonResult {
        let start = monotonicSeconds()
        var result = LessonResult(slug: lesson.slug, section: lesson.section, title: lesson.title, checks: [], error: nil, seconds: 0)
        do {
            result.checks = try await lesson.run(context)
        } catch {
            result.error = String(describing: error)
        }
        result.seconds = monotonicSeconds() - start
        return result
    }

    /// Serves a lesson's helper role (producer, consumer, …) and exits, if this process was
    /// started as one; returns at once otherwise. Call at the top of `main`.
    public static func runHelperIfRequested() {
        guard let role = ProcessInfo.processInfo.environment[LessonHelpers.environmentKey] else { return }
        LessonHelpers.serve(role: role, arguments: Array(CommandLine.arguments.dropFirst()))
    }
}
