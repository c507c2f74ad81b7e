import Foundation
import Testing
import TrenzaTestSupport

@Suite("trenza images with hostile files")
struct HostileImagesTests {
    typealias Summary = ImagesCommandTests.Summary

    /// The batch once took 6 GB (a PNG header), 2 GB (a PNG chunk) and 15 s (a JPEG's scans); a
    /// batch of tiny images takes tens of MB in every engine.
    private static let memoryBoundKiB = 200 * 1024

    @Test("each hostile file fails on its own, quickly, without taking the machine's memory",
          arguments: ["threads", "processes", "async"])
    func hostileBatch(engine: String) async throws {
        let hostile = try hostileImagesFolder()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-hostile-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let input = root + "/in"
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        for name in ["huge-ihdr.png", "chunk-tEXt.png", "scans-2000.jpg", "progressive.jpg"] {
            try FileManager.default.copyItem(atPath: hostile + "/" + name, toPath: input + "/" + name)
        }
        // The address-space cap keeps a regression from taking the machine down with it: the old
        // code then fails with "out of memory" instead of the message expected below.
        let run = try await onOwnThread {
            try runMeasured("/bin/bash", ["-c", "ulimit -v 4000000 || exit 97; exec \"$0\" \"$@\"", trenzaPath,
                                          "images", input, "-o", root + "/out", "--filters", "contrast",
                                          "--engine", engine, "-j", "2", "--json"], timeout: 120)
        }
        #expect(!run.timedOut)
        #expect(run.status == 1, "failed items make the exit status 1; stderr: \(run.stderr)")
        #expect(run.peakKibibytes < Self.memoryBoundKiB, "peak \(run.peakKibibytes) KiB")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(run.stdout.utf8))
        #expect(summary.succeeded == 1 && summary.failed == 3)
        func error(_ name: String) -> String {
            summary.images.first { $0.source.hasSuffix("/" + name) }?.error ?? "(no error)"
        }
        #expect(error("huge-ihdr.png").hasSuffix(
            "image is 2147483647×1 = 2147483647 pixels, over the limit of 89478485 (--max-pixels)"))
        #expect(error("chunk-tEXt.png").hasSuffix("truncated PNG (premature end of data)"))
        #expect(error("scans-2000.jpg").hasSuffix("JPEG has more than 100 scans (a hostile or broken file)"))
        #expect(FileManager.default.fileExists(atPath: root + "/out/contrast_progressive.jpg"))
    }
}
