import Foundation
import Testing
import Trenza
import TrenzaCluster
import TrenzaClusterTestSupport
import TrenzaTestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("A worker cut off by a network partition", .serialized, needsPostgres,
       .enabled(if: IsolatedHost.unavailableReason == nil, Comment(rawValue: IsolatedHost.unavailableReason ?? "")))
struct PartitionTests {
    @Test("a worker in another network namespace is cut off mid-chunk: another worker completes the chunk, and the late completion is refused when the link returns")
    func lateCompletionRefused() async throws {
        let host = try IsolatedHost()
        defer { host.remove() }
        let server = try TestPostgres(addresses: [host.ourAddress], trustedNetworks: ["198.18.0.0/30"])
        defer { server.stop() }
        try await ClusterQueue.withQueue(server.socketURL) { queue in
            let overTheLink = "postgresql://postgres@\(host.ourAddress):\(server.port)/postgres?sslmode=disable&connect_timeout=5"
            let cutOff = try BackgroundTrenza(["worker", "--queue", overTheLink, "--serve", "probe", "-j", "1", "--lease", "2", "--verbose"],
                                              launcher: host.launcher)
            defer { cutOff.signal(SIGKILL) }
            let run = try await queue.submit(ProbeJob(), [ProbeJob.Action.sleep(milliseconds: 5_000, value: 7)], chunkSize: 1)
            #expect(await cutOff.waitForLog("claimed", within: 30), "\(cutOff.log)")
            try host.cut()

            // Its lease runs out; a worker on this side rescues the chunk and completes it.
            let other = try BackgroundTrenza(["worker", "--queue", "\(server.socketURL)", "--serve", "probe", "-j", "1", "--lease", "2", "--verbose"])
            defer { other.signal(SIGKILL) }
            #expect(await eventually(within: 30) { other.log.contains("done in") }, "\(other.log)")
            let finished = try #require(try await queue.results(run: run.id).first)
            #expect(finished.state == .done && finished.attempts == 2)

            try host.restore()
            #expect(await cutOff.waitForLog("result refused", within: 60), "\(cutOff.log)")
            let after = try #require(try await queue.results(run: run.id).first)
            #expect(after.result == finished.result, "the refused completion changed nothing")
        }
    }
}
