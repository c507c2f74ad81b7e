import Foundation
import TrenzaTestSupport
import Synchronization
import Testing
@testable import Trenza

#if canImport(Glibc)
import Glibc
#endif

struct TestOnlyJob: Job {
    static let name = "tests.test-only"
    func run(_ input: Int) -> Int { input }
}

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
        // Items of 50 ms, one per message: both workers start and take some.
        _ = await pool.map(ProbeJob(), (0..<4).map { ProbeJob.Action.sleep(milliseconds: 50, value: $0) }, chunkSize: 1)
        let warm = pool.workerProcessIDs
        #expect(warm.count == 2)
        let started = Mutex(0)
        let task = Task {
            await pool.map(ProbeJob(), (0..<4).map { _ in ProbeJob.Action.hang }, chunkSize: 1) { event in
                if case .started = event { started.withLock { $0 += 1 } }
            }
        }
        // Both workers hold a hung item once two are out (one message in flight per slow worker).
        while started.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(5)) }
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

    @Test("a job the worker program does not contain fails each item with a clear message")
    func unknownJob() async {
        // This test's own type: the worker here is `trenza`, which does not contain it.
        let outcomes = await runner(.processes, width: 1).map(TestOnlyJob(), [1, 2])
        #expect(outcomes.allSatisfy { $0.failure?.kind == .protocolError })
        let message = outcomes[0].failure?.message ?? ""
        #expect(message.contains("TestOnlyJob") && message.contains("does not exist in the worker executable"), "\(message)")
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
        // The worker program here (`trenza`) does not contain this test's job type, so the
        // process engine gets a built-in job with a large payload instead.
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
        var builder = Wire.FrameBuilder(kind: .results)
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

@Suite("Wire protocol: a worker trusts no count")
struct HostileFrameTests {
    /// Starts `trenza` as a worker of this process, with pipes for its stdin and stdout.
    func startWorker() throws -> (pid: Int32, requests: Int32, replies: Int32) {
        let toChild = try ChildProcess.pipe(), fromChild = try ChildProcess.pipe()
        let pid = try ChildProcess.spawn(
            executable: trenzaPath, arguments: [], environment: [Worker.environmentKey: String(getpid())],
            redirect: [STDIN_FILENO: toChild.read, STDOUT_FILENO: fromChild.write])
        close(toChild.read); close(fromChild.write)
        let reader = FrameReader(fd: fromChild.read)
        let (kind, _) = try reader.readFrame(magic: Wire.replyMagic, deadline: monotonicSeconds() + 30)
        #expect(kind == .hello)
        return (pid, toChild.write, fromChild.read)
    }

    @Test("a 14-byte run frame claiming 4,294,967,295 inputs ends the worker at once with a message, not an allocation")
    func lyingCount() throws {
        let worker = try startWorker()
        defer { close(worker.requests); close(worker.replies) }
        // magic, kind run, length 8, job id 1, count 0xFFFFFFFF
        let frame: [UInt8] = [Wire.requestMagic, Wire.Kind.run.rawValue, 0, 0, 0, 8, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]
        try writeAll(worker.requests, frame)
        let status = ChildProcess.wait(worker.pid)
        #expect(ChildProcess.describe(waitStatus: status) == "exited with status 70")
    }

    @Test("a frame header claiming a gigabyte allocates nothing until the bytes arrive")
    func lyingLength() throws {
        let worker = try startWorker()
        defer { close(worker.replies) }
        // A header promising 1 GiB, then the pipe closes: the worker sees a short frame and exits.
        try writeAll(worker.requests, [Wire.requestMagic, Wire.Kind.run.rawValue, 0x40, 0, 0, 0, 1, 2, 3])
        usleep(200_000)
        let rss = residentKiB(of: worker.pid)
        close(worker.requests)
        _ = ChildProcess.wait(worker.pid)
        #expect(rss != nil && rss! < 200_000, "the worker holds \(rss ?? -1) KiB after a 1 GiB header")
    }

    func residentKiB(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }
}
