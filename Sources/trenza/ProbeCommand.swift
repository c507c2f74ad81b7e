import ArgumentParser
import Foundation
import Trenza

struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "(diagnostic) Run sleeping probe items on an engine and report where each ran.",
        discussion: """
            Prints one line per item with the process id that ran it. Used by the tests that interrupt
            a running batch, and handy to watch an engine's width at work.
            """,
        shouldDisplay: false
    )

    @OptionGroup var engine: EngineOptions

    @Option(help: "Number of items.")
    var count = 4

    @Option(help: "How long each item sleeps, in milliseconds.")
    var sleepMs = 100

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must not be negative.") }
        guard sleepMs >= 0 else { throw ValidationError("--sleep-ms must not be negative.") }
    }

    func run() async throws {
        guard let local = engine.engine.local else { throw ValidationError("probe runs on a local engine: threads, processes or async.") }
        let width = engine.width()
        let inputs = (0..<count).map { ProbeJob.Action.sleep(milliseconds: sleepMs, value: $0) }
        Terminal.out("probe: \(count) items on \(local) with width \(width), parent \(getpid())")
        let progress = Terminal.progressReporter(total: count)
        let outcomes = await Runner(engine: local, width: width).map(ProbeJob(), inputs) { event in
            if case .started(let index) = event { Terminal.out("started \(index)") }
            progress.record(event)
        }
        Terminal.endProgress()
        var failed = 0
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .success(let report): Terminal.out("item \(index): value \(report.value) in process \(report.processID)")
            case .failure(let failure): failed += 1; Terminal.out("item \(index) failed: \(failure.message)")
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
