import Foundation
import TrenzaTestSupport
import Synchronization
import Testing
import Trenza
@testable import TrenzaFetch
import TrenzaServer

/// Downloads from the project's own server over real sockets, on every engine.
@Suite(.serialized) struct DownloadTests {
    @Test(arguments: Engine.allCases)
    func filesArriveByteForByteUnderStableNames(engine: Engine) async throws {
        let folder = try temporaryFolder()
        let results = try await withServer { base in
            try await fetch([
                .init(url: "\(base)/bytes/300000?seed=1"), .init(url: "\(base)/bytes/300000?seed=2"),
                .init(url: "\(base)/bytes/0"), .init(url: "\(base)/id/7/320/200"),
                .init(url: "\(base)/redirect/3?to=/bytes/1000%3Fseed%3D5"),
            ], into: folder, engine: engine)
        }
        #expect(results.map(\.disposition) == [.downloaded, .downloaded, .downloaded, .downloaded, .downloaded])
        #expect(sameBytes(results[0].path, sampleBytes(300000, seed: 1)))
        #expect(sameBytes(results[1].path, sampleBytes(300000, seed: 2)))
        #expect(sameBytes(results[2].path, []))
        #expect(results[0].path != results[1].path)
        #expect(results[0].path.hasSuffix(".bin") && results[0].path.contains("/bytes-300000-"))
        let jpeg = try #require(contents(results[3].path))
        #expect(results[3].path.hasSuffix("/id-7-320-200.jpg"))
        #expect(jpeg.prefix(2) == [0xFF, 0xD8] && jpeg.suffix(2) == [0xFF, 0xD9] && jpeg.count == results[3].bytes)
        #expect(sameBytes(results[4].path, sampleBytes(1000, seed: 5)))
        #expect(listing(folder).allSatisfy { !$0.hasSuffix(".part") })
    }

    @Test(arguments: Engine.allCases)
    func faultsEndCorrectOrReportedNeverHalfWritten(engine: Engine) async throws {
        let folder = try temporaryFolder()
        let key = "\(engine)-\(UUID().uuidString)"
        let results = try await withServer { base in
            try await fetch([
                .init(url: "\(base)/fault/reset/200000?seed=3&times=2&key=reset-\(key)"),
                .init(url: "\(base)/fault/short/200000?seed=4&times=1&key=short-\(key)"),
                .init(url: "\(base)/fault/unavailable/5000?retry-after=1&times=1&key=busy-\(key)"),
                .init(url: "\(base)/fault/status/500/7000?times=2&key=500-\(key)"),
                .init(url: "\(base)/fault/status/404/100"),
                .init(url: "\(base)/fault/reset/100000?seed=9"),
                .init(url: "\(base)/drip?bytes=2000&duration=0.5&seed=6"),
            ], into: folder, engine: engine)
        }
        // Resets and short bodies resume from the bytes kept: the rest comes as a 206.
        #expect(results[0].disposition == .resumed && results[0].attempts == 3 && results[0].status == 206)
        #expect(sameBytes(results[0].path, sampleBytes(200000, seed: 3)))
        #expect(results[1].disposition == .resumed && results[1].attempts == 2)
        #expect(sameBytes(results[1].path, sampleBytes(200000, seed: 4)))
        #expect(results[2].succeeded && results[2].attempts == 2 && sameBytes(results[2].path, sampleBytes(5000)))
        #expect(results[3].succeeded && results[3].attempts == 3 && sameBytes(results[3].path, sampleBytes(7000)))
        // A 404 is final: one attempt, no file.
        #expect(results[4].disposition == .failed && results[4].attempts == 1 && results[4].status == 404)
        #expect(results[4].error == "HTTP 404 Not Found")
        // Always reset: reported after every attempt, the bytes so far only in the .part file.
        #expect(results[5].disposition == .failed && results[5].attempts == 4)
        #expect(FileManager.default.fileExists(atPath: results[5].path) == false)
        #expect(results[6].succeeded && sameBytes(results[6].path, sampleBytes(2000, seed: 6)))
        #expect(Set(listing(folder)) == Set([results[0], results[1], results[2], results[3], results[6]].map { URL(fileURLWithPath: $0.path).lastPathComponent }
            + ["fault-reset-100000.part"]))
    }

    @Test(arguments: Engine.allCases)
    func checksumsAreVerified(engine: Engine) async throws {
        let folder = try temporaryFolder()
        let good = sha256Hex(sampleBytes(4096, seed: 8))
        let wrong = String(repeating: "0", count: 64)
        let settings = FetchSettings(retry: RetryPolicy(retries: 2, baseDelay: 0.01))
        let results = try await withServer { base in
            try await fetch([
                .init(url: "\(base)/bytes/4096?seed=8", sha256: good),
                .init(url: "\(base)/bytes/4096?seed=9", sha256: wrong),
            ], into: folder, engine: engine, settings: settings)
        }
        #expect(results[0].succeeded && sameBytes(results[0].path, sampleBytes(4096, seed: 8)))
        #expect(results[1].disposition == .failed && results[1].attempts == 3)
        #expect(results[1].error?.hasPrefix("checksum mismatch: expected sha256 \(wrong), got ") == true)
        #expect(listing(folder) == [URL(fileURLWithPath: results[0].path).lastPathComponent])
    }

    @Test(arguments: Engine.allCases)
    func reRunsSkipCompleteFilesAndForceDownloadsAgain(engine: Engine) async throws {
        let folder = try temporaryFolder()
        try await withServer { base in
            let requests: [DownloadRequest] = [.init(url: "\(base)/bytes/1000?seed=1"), .init(url: "\(base)/id/3/64/64")]
            let first = try await fetch(requests, into: folder, engine: engine)
            #expect(first.map(\.disposition) == [.downloaded, .downloaded])
            let second = try await fetch(requests, into: folder, engine: engine)
            #expect(second.map(\.disposition) == [.skipped, .skipped])
            #expect(second.map(\.path) == first.map(\.path) && second.map(\.attempts) == [0, 0])
            var forced = FetchSettings(retry: RetryPolicy(retries: 0))
            forced.force = true
            let third = try await fetch(requests, into: folder, engine: engine, settings: forced)
            #expect(third.map(\.disposition) == [.downloaded, .downloaded])
        }
        #expect(listing(folder).count == 2)
    }

    @Test func partFilesResumeOnlyWhenTheirValidatorStillMatches() async throws {
        let folder = try temporaryFolder()
        let whole = sampleBytes(100_000, seed: 2)
        try await withServer { base in
            let url = "\(base)/bytes/100000?seed=2"
            let part = folder + "/" + FileNaming.automaticName(for: url).partName
            // A part file left by a killed run, with the tag of the version it holds.
            try Data(whole[0..<40_000]).write(to: URL(fileURLWithPath: part))
            #expect(setValidator("\"bytes-100000-2\"", on: part))
            let resumed = try await fetch([.init(url: url)], into: folder, engine: .async)
            #expect(resumed[0].disposition == .resumed && resumed[0].status == 206)
            #expect(sameBytes(resumed[0].path, whole))

            // The part holds another version: If-Range fails, so the server sends the whole file
            // and the stale bytes are dropped.
            let otherFolder = try temporaryFolder()
            let other = "\(base)/bytes/100000?seed=3"
            let otherPart = otherFolder + "/" + FileNaming.automaticName(for: other).partName
            try Data(repeating: 0xAA, count: 40_000).write(to: URL(fileURLWithPath: otherPart))
            #expect(setValidator("\"some-older-version\"", on: otherPart))
            let restarted = try await fetch([.init(url: other)], into: otherFolder, engine: .async)
            #expect(restarted[0].disposition == .downloaded && restarted[0].status == 200)
            #expect(sameBytes(restarted[0].path, sampleBytes(100_000, seed: 3)))
        }
    }

    /// A part file that already holds every byte (a run killed between the last byte and the
    /// rename): the server answers the range with 416, and the part is flushed and renamed.
    @Test func aPartFileAlreadyWholeIsFinishedWithoutDownloadingAgain() async throws {
        let folder = try temporaryFolder()
        let whole = sampleBytes(50_000, seed: 4)
        try await withServer { base in
            let url = "\(base)/bytes/50000?seed=4"
            let part = folder + "/" + FileNaming.automaticName(for: url).partName
            try Data(whole).write(to: URL(fileURLWithPath: part))
            #expect(setValidator("\"bytes-50000-4\"", on: part))
            let results = try await fetch([.init(url: url)], into: folder, engine: .async)
            #expect(results[0].disposition == .resumed && results[0].status == 416 && results[0].bytes == 50_000)
            #expect(sameBytes(results[0].path, whole))
            #expect(!FileManager.default.fileExists(atPath: part))
        }
    }

    /// With the folder flushed once after the batch, every file is still whole under its final
    /// name and no part file is left; the batch's folder flush reports a folder it cannot open.
    @Test(arguments: Engine.allCases)
    func folderFlushedOnceAfterTheBatch(engine: Engine) async throws {
        let folder = try temporaryFolder()
        let settings = FetchSettings(retry: RetryPolicy(retries: 1, baseDelay: 0.01), syncFolderAfterBatch: true)
        let clients = FetchClients()
        let items = try await withServer { base in
            let items = FetchItem.batch((0..<6).map { DownloadRequest(url: "\(base)/bytes/30000?seed=\($0)") }, folder: folder, settings: settings)
            let outcomes = await Runner(engine: engine, width: 3, options: .init(workerExecutable: trenzaPath)).map(FetchJob(clients: clients), items)
            for (index, outcome) in outcomes.enumerated() {
                let result = try #require(outcome.output)
                #expect(result.disposition == .downloaded && sameBytes(result.path, sampleBytes(30000, seed: UInt64(index))))
            }
            return items
        }
        #expect(await clients.syncFolders(items).isEmpty)
        #expect(!listing(folder).contains { $0.hasSuffix(".part") } && listing(folder).count == 6)
        var gone = items[0]
        gone.folder = folder + "/removed"
        let problems = await clients.syncFolders([gone])
        #expect(problems.count == 1 && problems[0].contains("cannot open the folder \(folder)/removed"))
        // Items that flush their own folder are not the batch's to flush.
        var own = gone
        own.settings.syncFolderAfterBatch = false
        #expect(await clients.syncFolders([own]).isEmpty)
        await clients.shutdown()
    }

    @Test func aLaterListNeverTakesAnotherURLsFileForItsOwn() async throws {
        let folder = try temporaryFolder()
        try await withServer { base in
            let first = try await fetch([.init(url: "\(base)/bytes/2000?seed=1")], into: folder, engine: .async)
            let second = try await fetch([.init(url: "\(base)/bytes/2000?seed=2")], into: folder, engine: .async)
            #expect(first[0].path.hasSuffix("/bytes-2000.bin"))
            #expect(second[0].disposition == .downloaded)
            #expect(second[0].path.hasSuffix("/bytes-2000-" + FileNaming.urlHash("\(base)/bytes/2000?seed=2") + ".bin"))
            #expect(sameBytes(first[0].path, sampleBytes(2000, seed: 1)) && sameBytes(second[0].path, sampleBytes(2000, seed: 2)))
            // Each run again finds its own file.
            let again = try await fetch([.init(url: "\(base)/bytes/2000?seed=2")], into: folder, engine: .async)
            #expect(again[0].disposition == .skipped && again[0].path == second[0].path)
        }
    }

    @Test func idleTimeoutAndRedirectLimitAreReported() async throws {
        let folder = try temporaryFolder()
        let settings = FetchSettings(retry: RetryPolicy(retries: 1, baseDelay: 0.01), readTimeout: 0.2, maximumRedirects: 2)
        let results = try await withServer { base in
            try await fetch([
                // Two pieces, half a second apart: the 0.2 s idle timeout fires between them.
                .init(url: "\(base)/drip?bytes=2&duration=1"),
                .init(url: "\(base)/redirect/5"),
            ], into: folder, engine: .async, settings: settings)
        }
        #expect(results[0].disposition == .failed && results[0].attempts == 2)
        #expect(results[0].error?.hasPrefix("no data for 0.2 s (--timeout)") == true)
        #expect(results[1].disposition == .failed && results[1].attempts == 1)
        #expect(results[1].error == "more than 2 redirects")
        #expect(listing(folder).allSatisfy { $0.hasSuffix(".part") })
    }

    @Test func perHostLimitHoldsDownloadsBack() async throws {
        let limiter = FetchClients().limiter(host: "h", limit: 2)
        let counts = Occupancy()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await limiter.withPermit {
                        counts.state.withLock { $0.inside += 1; $0.most = max($0.most, $0.inside) }
                        // Wait (up to a second) for a second download to get in beside this one, so
                        // the check does not depend on how the scheduler interleaves the tasks.
                        for _ in 0..<1000 {
                            let (inside, done) = counts.state.withLock { ($0.inside, $0.done) }
                            if inside >= 2 || inside + done >= 8 { break }
                            try? await Task.sleep(for: .milliseconds(1))
                        }
                        counts.state.withLock { $0.inside -= 1; $0.done += 1 }
                    }
                }
            }
        }
        #expect(counts.state.withLock { $0.most } == 2)
        #expect(counts.state.withLock { $0.done } == 8)
    }
}

private final class Occupancy: Sendable {
    let state = Mutex((inside: 0, most: 0, done: 0))
}



private func setValidator(_ value: String, on path: String) -> Bool {
    let part = try? PartFile(path: path, appendingAt: fileSize(path))
    part?.setValidator(value)
    part?.close()
    return PartFile.validator(of: path) == value
}
