import Foundation
import Synchronization
import Trenza

/// §4.1: three async tasks sleeping 2, 3 and 1 s, gathered in about 3 s, results in call order.
struct AsyncLesson: Lesson {
    let slug = "async"
    let section = "4.1"
    let title = "Async tasks gathered"

    func run(_ context: LessonContext) async throws -> [Check] {
        let finishOrder = FinishOrder()
        let durations = Durations()
        let start = monotonicSeconds()
        // `async let` is Swift's `asyncio.gather`: all three run at once, awaited in call order.
        async let a = Self.tarea("A", 2, context, finishOrder, durations)
        async let b = Self.tarea("B", 3, context, finishOrder, durations)
        async let c = Self.tarea("C", 1, context, finishOrder, durations)
        let results = try await [a, b, c]
        let elapsed = monotonicSeconds() - start
        context.say("Results: \(results)")
        context.say("Total time: \(context.describe(elapsed))")

        let longest = context.scaled(3)
        let sequential = durations.sum
        let order = finishOrder.names
        return [
            Check("results come back in call order", results == ["Result of A", "Result of B", "Result of C"],
                  observed: "\(results)"),
            Check("the tasks finished in order of their sleeps (C, A, B)", order == ["C", "A", "B"], observed: "\(order)"),
            Check("gathered in about 3 s, not 6 s", elapsed >= longest * 0.98 && elapsed < 0.85 * sequential,
                  observed: "\(context.describe(elapsed)) against \(context.describe(sequential)) one after the other"),
        ]
    }

    private static func tarea(_ name: String, _ seconds: Double, _ context: LessonContext, _ order: FinishOrder, _ durations: Durations) async throws -> String {
        context.say("Task \(name) starting")
        let start = monotonicSeconds()
        try await context.sleepAsync(seconds)
        durations.add(monotonicSeconds() - start)
        context.say("Task \(name) done after \(Int(seconds)) seconds")
        order.append(name)
        return "Result of \(name)"
    }
}

/// The order in which tasks finished.
private final class FinishOrder: Sendable {
    private let list = Mutex<[String]>([])
    func append(_ name: String) { list.withLock { $0.append(name) } }
    var names: [String] { list.withLock { $0 } }
}
