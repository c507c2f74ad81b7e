import ArgumentParser
import Foundation
import Trenza

extension Engine: ExpressibleByArgument {}

/// `--engine` and `-j`, shared by every command that runs a batch.
struct EngineOptions: ParsableArguments {
    @Option(name: .long, help: "Where the work runs: threads, processes or async.")
    var engine: Engine = .threads

    @Option(name: [.customShort("j"), .long], help: "Width: threads, worker processes or tasks in flight at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard jobs > 0 else { throw ValidationError("-j/--jobs must be at least 1 (got \(jobs)).") }
        guard jobs <= 100_000 else { throw ValidationError("-j/--jobs \(jobs) is beyond the limit of 100000.") }
    }
}
