import Foundation
import Testing
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

    @Test("builds against the public API and runs its own Codable job")
    func runsItsOwnJob() async throws {
        let fixture = FixturePackage("Consumer")
        let output = try await onOwnThread {
            let executable = try fixture.build(product: "Consumer")
            return try runProgram(executable, [])
        }
        #expect(output == "ok 5\nok 10\nok 15\nfailed negative input -1\n")
    }
}
