import Foundation
import Testing
import TrenzaImaging
@testable import TrenzaBench

/// Where headless Chromium is, if it is installed (scripts/check-report.sh installs it as root).
private let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("report.html in a real browser")
struct BrowserRenderTests {
    @Test("headless Chromium draws the charts: the page is not blank and every engine's colour is on it",
          .enabled(if: chromium != nil, "chromium is not installed: run scripts/check-report.sh once as root (it apt-installs chromium), or apt-get install chromium"))
    func chromiumRendersCharts() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let html = folder.appendingPathComponent("report.html")
        try Data(HTMLReport.render(try GoldenReport.report()).utf8).write(to: html)

        let result = try await runScript(arguments: [html.path, folder.path])
        #expect(result.status == 0, "check-report.sh failed:\n\(result.output)")

        for name in ["report-desktop.png", "report-phone.png"] {
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            let image = try ImageCodec.decode(bytes).image
            let counts = Self.count(image)
            #expect(counts.nonWhite > image.width * image.height / 50, "\(name): almost blank")
            for (engine, pixels) in counts.engines {
                #expect(pixels > 200, "\(name): no \(engine) bars or lines drawn (\(pixels) pixels)")
            }
        }
    }

    /// Non-white pixels, and pixels of each engine's chart colour.
    static func count(_ image: Image) -> (nonWhite: Int, engines: [String: Int]) {
        let colours = ["threads": (0x25, 0x63, 0xEB), "processes": (0xDC, 0x26, 0x26), "async": (0x05, 0x96, 0x69)]
        var engines = colours.mapValues { _ in 0 }
        var nonWhite = 0
        let bands = image.bands
        guard bands >= 3 else { return (0, engines) }
        for offset in stride(from: 0, to: image.pixels.count, by: bands) {
            let r = Int(image.pixels[offset]), g = Int(image.pixels[offset + 1]), b = Int(image.pixels[offset + 2])
            if r < 235 || g < 235 || b < 235 { nonWhite += 1 }
            for (engine, colour) in colours where abs(r - colour.0) < 24 && abs(g - colour.1) < 24 && abs(b - colour.2) < 24 {
                engines[engine, default: 0] += 1
            }
        }
        return (nonWhite, engines)
    }

    private func runScript(arguments: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            // Its own thread: the script takes seconds, and must not hold a cooperative thread meanwhile.
            Thread {
                do {
                    let process = Process()
                    process.executableURL = repositoryRoot.appendingPathComponent("scripts/check-report.sh")
                    process.arguments = arguments
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = pipe
                    process.standardInput = FileHandle.nullDevice
                    try process.run()
                    let output = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: output, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}
