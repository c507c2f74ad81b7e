import Foundation
import Synchronization
import Testing
@testable import Trenza

@Suite("Every engine")
struct EngineTests {
    @Test("results come back one per input, in input order", arguments: Engine.allCases)
    func ordering(engine: Engine) async {
        let inputs = Array(0..<300)
        let outcomes = await runner(engine, width: 3).map(SquareJob(), inputs)
        #expect(outcomes.map(\.output) == inputs.map { $0 * $0 })
    }

    @Test("an empty batch returns no outcomes", arguments: Engine.allCases)
    func empty(engine: Engine) async {
        let outcomes = await runner(engine, width: 2).map(SquareJob(), [])
        #expect(outcomes.isEmpty)
    }

    @Test("a failing item fails alone, with the job's message", arguments: Engine.allCases)
    func perItemFailure(engine: Engine) async {
        let inputs: [ProbeJob.Action] = [.echo(1), .fail(message: "no such photo: cat.jpg"), .echo(3)]
        let outcomes = await runner(engine, width: 2).map(ProbeJob(), inputs)
        #expect(outcomes[0].output?.value == 1)
        #expect(outcomes[2].output?.value == 3)
        let failure = outcomes[1].failure
        #expect(failure?.kind == .jobError)
        #expect(failure?.index == 1)
        #expect(failure?.message == "no such photo: cat.jpg")
    }

    @Test("never more than the width in flight, and the width is used", arguments: Engine.allCases)
    func widthRespected(engine: Engine) async {
        let width = 3
        let inputs = (0..<12).map { ProbeJob.Action.sleep(milliseconds: 60, value: $0) }
        let outcomes = await runner(engine, width: width).map(ProbeJob(), inputs)
        let reports = outcomes.compactMap(\.output)
        #expect(reports.count == inputs.count)
        let overlap = maximumOverlap(reports.map { ($0.start, $0.end) })
        #expect(overlap <= width)
        #expect(overlap >= 2, "items should have run side by side")
        if engine == .processes {
            #expect(Set(reports.map(\.processID)).count <= width)
        }
    }

    @Test("progress reports every item's start and end", arguments: Engine.allCases)
    func progressEvents(engine: Engine) async {
        let tally = Mutex(ProgressTally(total: 20))
        let inputs: [ProbeJob.Action] = (0..<20).map { $0 == 7 ? .fail(message: "seven") : .echo($0) }
        _ = await runner(engine, width: 2).map(ProbeJob(), inputs) { event in
            tally.withLock { $0.record(event) }
        }
        let final = tally.withLock { $0 }
        #expect(final.started == 20)
        #expect(final.succeeded == 19)
        #expect(final.failed == 1)
    }

    @Test("cancelling the calling task stops the batch", arguments: Engine.allCases)
    func cancellation(engine: Engine) async {
        let inputs = (0..<8).map { ProbeJob.Action.sleep(milliseconds: 1_500, value: $0) }
        // Cancelled from the engine's own thread at the first start, so the moment does not
        // depend on when this test's task gets scheduled on a busy machine.
        let trigger = CancelOnFirstStart()
        let task = Task {
            await runner(engine, width: 2).map(ProbeJob(), inputs) { event in
                if case .started(let index) = event { trigger.started(index) }
            }
        }
        trigger.attach(task)
        let outcomes = await task.value
        #expect(outcomes.count == inputs.count)
        let cancelled = outcomes.filter { $0.failure?.kind == .cancelled }.count
        // 8 items of 1.5 s on 2 lanes; cancelled as the first item starts: at most the first pair
        // gets to finish, and no new item is handed out (the processes engine may already have
        // queued a second chunk at each worker: those are killed with their worker).
        #expect(cancelled >= 6, "\(outcomes.map { $0.failure?.kind.rawValue ?? "ok" })")
        #expect(trigger.startedCount <= (engine == .processes ? 4 : 2), "\(trigger.startedCount) items started")
    }
}

/// Cancels a task when the first item starts, and counts the items that start at all.
final class CancelOnFirstStart: Sendable {
    private struct State {
        var task: Task<[Outcome<ProbeJob.Report>], Never>?
        var fired = false
        var started = 0
    }
    private let state = Mutex(State())

    func attach(_ task: Task<[Outcome<ProbeJob.Report>], Never>) {
        let fired = state.withLock { state in
            state.task = task
            return state.fired
        }
        if fired { task.cancel() }
    }

    func started(_ index: Int) {
        let task: Task<[Outcome<ProbeJob.Report>], Never>? = state.withLock { state in
            state.started += 1
            if state.fired { return nil }
            state.fired = true
            return state.task
        }
        task?.cancel()
    }

    var startedCount: Int { state.withLock { $0.started } }
}
