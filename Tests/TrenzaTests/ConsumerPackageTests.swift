import Foundation
import Testing
import Trenza
import TrenzaTestSupport

/// What a package that needs only the library gets: Tests/Fixtures/Consumer depends on this
/// repository by path with `traits: []`, defines a job of its own and runs it.
@Suite("A package that depends only on the library", .timeLimit(.minutes(10)))
struct ConsumerPackageTests {
    @Test("resolves swift-log and swift-system, none of the command line's stack")
    func resolvesOnlyTheLibrarysDependencies() async throws {
        let fixture = FixturePackage("Consumer")
        let packages = try await onOwnThread { try fixture.resolvedPackages() }
        #expect(packages == [fixture.repositoryIdentity, "swift-log", "swift-system"])
    }

    @Test("builds against the public API and runs its own Codable job on every engine, worker processes included, with no hook")
    func runsItsOwnJob() async throws {
        let fixture = FixturePackage("Consumer")
        // Contained (a pids cgroup): a regression here would make workers multiply.
        let run = try await onOwnThread {
            let executable = try fixture.build(product: "Consumer")
            return try runContained(executable, [], maxProcesses: 64, timeout: 120)
        }
        let result = try #require(run, "no pids cgroup to contain the run (needs root and /sys/fs/cgroup/pids)")
        let expected = Engine.allCases.map { engine in
            ["ok 5", "ok 10", "ok 15", "failed negative input -1"].map { "\(engine) \($0)\n" }.joined()
        }.joined()
        #expect(result.stdout == expected, "\(result.stdout)\(result.stderr)")
        #expect(result.leftBehind == 0)
    }
}
