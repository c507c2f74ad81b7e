import Foundation
import TrenzaTestSupport
import Synchronization
import Testing
@testable import Trenza

#if canImport(Glibc)
import Glibc
#endif

@Suite("Process pool: crashes, hangs and clean-up")
struct ProcessPoolTests {
    @Test("a worker that aborts, exits or babbles costs exactly its item")
    func crashIsolation() async {
        let inputs: [ProbeJob.Action] = [.echo(0), .abort, .echo(2), .exit(code: 3), .echo(4), .garbage, .echo(6)]
        let outcomes = await runner(.processes, width: 2).map(ProbeJob(), inputs)
        for index in [0, 2, 4, 6] {
            #expect(outcomes[index].output?.value == index)
        }
        let abort = outcomes[1].failure
        #expect(abort?.kind == .workerCrashed)
        #expect(abort?.message.contains("signal 6 (SIGABRT)") == true, "\(abort?.message ?? "")")
        let exit = outcomes[3].failure
        #expect(exit?.kind == .workerCrashed)
        #expect(exit?.message.contains("exited with status 3") == true, "\(exit?.message ?? "")")
        let garbage = outcomes[5].failure
        #expect(garbage?.kind == .workerCrashed)
        #expect(garbage?.message.contains("malformed reply") == true, "\(garbage?.message ?? "")")
        #expect(garbage?.message.contains("this is not") == true, "the message shows what the worker sent")
    }

    @Test("a crash inside a chunk still fails only the item that caused it")
    func crashInsideChunk() async {
        var inputs = (0..<20).map { ProbeJob.Action.echo($0) }
        inputs[9] = .abort
        let outcomes = await runner(.processes, width: 2, chunkSize: 5).map(ProbeJob(), inputs)
        #expect(outcomes[9].failure?.kind == .workerCrashed)
        for index in inputs.indices where index != 9 {
            #expect(outcomes[index].output?.value == index)
        }
    }

    @Test("a hung worker is killed at the timeout and replaced; the rest of the batch completes")
    func hungWorkerTimeout() async {
        let inputs: [ProbeJob.Action] = [.echo(0), .hang, .echo(2), .echo(3), .hang, .echo(5)]
        let start = monotonicSeconds()
        let outcomes = await runner(.processes, width: 2, timeout: .milliseconds(500)).map(ProbeJob(), inputs)
        let elapsed = monotonicSeconds() - start
        for index in [0, 2, 3, 5] {
            #expect(outcomes[index].output?.value == index)
        }
        for index in [1, 4] {
            #expect(outcomes[index].failure?.kind == .timedOut)
            #expect(outcomes[index].failure?.message.contains("timed out after 500 ms") == true)
        }
        // Generous: only "it did not wait for the hung items forever" matters here.
        #expect(elapsed < 30)
    }

    @Test("no worker process is left after a batch")
    func noLeftoversAfterRun() async {
        let inputs = (0..<6).map { ProbeJob.Action.echo($0) }
        let outcomes = await runner(.processes, width: 2).map(ProbeJob(), inputs)
        let pids = Array(Set(outcomes.compactMap { $0.output?.processID }))
        #expect(!pids.isEmpty)
        #expect(pids.allSatisfy { $0 != getpid() })
        // Runner shuts its pool down before returning: the workers are already reaped.
        #expect(pids.allSatisfy(processIsGone))
    }

    @Test("no worker process is left after cancellation")
    func noLeftoversAfterCancellation() async throws {
        let pool = try ProcessPool(width: 2, executable: trenzaPath)
        defer { pool.shutdown() }
        _ = await pool.map(ProbeJob(), [.echo(0), .echo(1), .echo(2), .echo(3)])
        let warm = pool.workerProcessIDs
        #expect(warm.count == 2)
        let started = Mutex(0)
        let task = Task {
            await pool.map(ProbeJob(), (0..<4).map { _ in ProbeJob.Action.hang }) { event in
                if case .started = event { started.withLock { $0 += 1 } }
            }
        }
        // Both workers hold work once all four items are out (two queued at each).
        while started.withLock({ $0 }) < 4 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        let outcomes = await task.value
        #expect(outcomes.allSatisfy { $0.failure?.kind == .cancelled })
        // The busy workers were killed and reaped, not left as zombies.
        #expect(warm.allSatisfy(processIsGone))
        // The pool still works afterwards, with fresh workers.
        let again = await pool.map(SquareJob(), [5, 6])
        #expect(again.map(\.output) == [25, 36])
        let fresh = pool.workerProcessIDs
        pool.shutdown()
        #expect(fresh.allSatisfy(processIsGone))
    }

    @Test("a pool keeps its workers across batches")
    func reuse() async throws {
        let pool = try ProcessPool(width: 2, executable: trenzaPath)
        defer { pool.shutdown() }
        var seen = Set<Int32>()
        for batch in 0..<3 {
            let outcomes = await pool.map(ProbeJob(), (0..<6).map { ProbeJob.Action.echo(batch * 10 + $0) })
            #expect(outcomes.map { $0.output?.value } == (0..<6).map { batch * 10 + $0 })
            seen.formUnion(outcomes.compactMap { $0.output?.processID })
        }
        #expect(seen.count <= 2)
    }

    @Test("a job the worker does not know fails each item with a clear message")
    func unknownJob() async {
        struct Unregistered: Job {
            static let name = "tests.not-registered"
            func run(_ input: Int) -> Int { input }
        }
        let outcomes = await runner(.processes, width: 1).map(Unregistered(), [1, 2])
        #expect(outcomes.allSatisfy { $0.failure?.kind == .protocolError })
        #expect(outcomes[0].failure?.message.contains("not registered") == true)
    }

    @Test("a program that is not a worker is reported, not hung on")
    func notAWorker() async {
        let outcomes = await Runner(engine: .processes, width: 2, options: .init(workerExecutable: "/bin/echo"))
            .map(SquareJob(), [1, 2, 3])
        #expect(outcomes.allSatisfy { $0.failure?.kind == .workerCrashed })
        #expect(outcomes[0].failure?.message.contains("did not start as a worker") == true, "\(outcomes[0].failure?.message ?? "")")
    }

    @Test("a missing worker executable is a clear error")
    func missingExecutable() {
        #expect(throws: WorkerStartError.self) {
            _ = try ProcessPool(width: 1, executable: "/nonexistent/trenza")
        }
    }

    @Test("large inputs and outputs cross the pipes intact")
    func largePayloads() async {
        let big = String(repeating: "trenza ", count: 200_000)
        struct Reverse: Job {
            static let name = "tests.reverse"
            func run(_ input: String) -> String { String(input.reversed()) }
        }
        // The threads engine needs no registry; the worker program does not know tests.reverse,
        // so use a built-in job for the process engine with a large payload instead.
        let threadOutcome = await runner(.threads, width: 1).map(Reverse(), [big])
        #expect(threadOutcome[0].output == String(big.reversed()))
        let inputs = Array(repeating: Int.max / 3, count: 50_000)
        let outcomes = await runner(.processes, width: 2, chunkSize: 10_000).map(SquareJob(), inputs)
        #expect(outcomes.allSatisfy { $0.output == (Int.max / 3) &* (Int.max / 3) })
    }
}

@Suite("Wire protocol")
struct WireProtocolTests {
    @Test("exit statuses read as users expect")
    func describeStatuses() {
        #expect(ChildProcess.describe(waitStatus: 3 << 8) == "exited with status 3")
        #expect(ChildProcess.describe(waitStatus: 6) == "was killed by signal 6 (SIGABRT)")
        #expect(ChildProcess.describe(waitStatus: 11) == "was killed by signal 11 (SIGSEGV)")
    }

    @Test("frames round-trip through a pipe, and garbage is named")
    func framesThroughPipe() throws {
        let pipe = try ChildProcess.pipe()
        defer { close(pipe.read) }
        var builder = Wire.FrameBuilder(reply: ())
        builder.append(status: .ok, bytes: "42".utf8)
        builder.append(status: .jobError, bytes: "bad".utf8)
        let reply = builder.finish()
        try writeAll(pipe.write, reply)
        try writeAll(pipe.write, Array("hello, world\n".utf8))
        close(pipe.write)
        let reader = FrameReader(fd: pipe.read)
        let (kind, payload) = try reader.readFrame(magic: Wire.replyMagic)
        #expect(kind == .results)
        var fields = Wire.PayloadReader(payload)
        #expect(try fields.uint32() == 2)
        #expect(try fields.uint8() == Wire.Status.ok.rawValue)
        #expect(Array(try fields.slice(try fields.uint32())) == Array("42".utf8))
        do {
            _ = try reader.readFrame(magic: Wire.replyMagic)
            Issue.record("garbage was accepted as a frame")
        } catch {
            guard case .malformed(let detail) = error else {
                Issue.record("expected malformed, got \(error)")
                return
            }
            #expect(detail.contains("68 65 6C 6C 6F"))
            #expect(detail.contains("hello, world"))
        }
    }

    @Test("a read past its deadline times out")
    func deadline() throws {
        let pipe = try ChildProcess.pipe()
        defer { close(pipe.read); close(pipe.write) }
        let reader = FrameReader(fd: pipe.read)
        #expect(throws: WireError.timedOut) {
            _ = try reader.readFrame(magic: Wire.replyMagic, deadline: monotonicSeconds() + 0.05)
        }
    }
}
