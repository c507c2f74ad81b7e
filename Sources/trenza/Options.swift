import ArgumentParser
import Trenza

extension Engine: ExpressibleByArgument {}

/// `--engine` and `-j`, shared by every command that runs a batch.
struct EngineOptions: ParsableArguments {
    @Option(name: .long, help: "Where the work runs: threads, processes or async.")
    var engine: Engine = .threads

    @Option(name: [.customShort("j"), .long], help: "Width: threads, worker processes or tasks in flight at once.")
    var jobs: Int = 2

    func validate() throws {
        guard jobs > 0 else { throw ValidationError("-j/--jobs must be at least 1 (got \(jobs)).") }
        guard jobs <= 100_000 else { throw ValidationError("-j/--jobs \(jobs) is beyond the limit of 100000.") }
    }
}

/// `--json` and `--quiet`.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print a machine-readable summary on stdout instead of the text report.")
    var json = false

    @Flag(name: [.short, .long], help: "Print only failures and the final line.")
    var quiet = false
}
