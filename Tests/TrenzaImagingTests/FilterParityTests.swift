import Foundation
import TrenzaTestSupport
import Testing
import TrenzaImaging

/// Compares every filter with Pillow 12.0.0 itself, byte for byte: `pillow_parity.py` (run through
/// scripts/with-pillow.sh, which installs the pinned Pillow in a private venv on first use) writes
/// test images and Pillow's results; each case is replayed here with TrenzaImaging. JPEG inputs
/// are decoded by Trenza's codec for the pipeline, so that thumbnails go through libjpeg's draft
/// scaling and `orient` through the file's EXIF tag, as they do in Pillow.
///
/// Needs python3 and, the first time, PyPI. Set TRENZA_SKIP_PILLOW_PARITY=1 to skip it where
/// neither is available; otherwise a missing Pillow is a failure, not a silent pass.
@Suite("Filter parity with Pillow")
struct FilterParityTests {
    struct Manifest: Decodable {
        struct Case: Decodable {
            let label: String
            let width: Int
            let height: Int
            let mode: String
            let input: String
            let filters: String
            let output: String
            let outputMode: String
            /// Absent in manifests written before the geometric filters; then the input's size.
            let outputWidth: Int?
            let outputHeight: Int?
        }

        let pillow: String
        let cases: [Case]
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var skipped: Bool { ProcessInfo.processInfo.environment["TRENZA_SKIP_PILLOW_PARITY"] == "1" }

    @Test("every filter and pipeline gives Pillow's bytes", .disabled(if: skipped, "TRENZA_SKIP_PILLOW_PARITY=1"))
    func matchesPillow() async throws {
        // Seconds of subprocess waiting and comparing: done on a thread of its own so that the
        // few threads of Swift's cooperative pool stay free for the other tests running now.
        let comparison = try await onOwnThread { try Self.compareWithPillow() }
        #expect(comparison.pillow == "12.0.0")
        #expect(comparison.cases > 1500)
        for mismatch in comparison.mismatches { Issue.record(Comment(rawValue: mismatch)) }
    }

    struct Comparison: Sendable {
        var pillow: String
        var cases: Int
        var mismatches: [String]
    }

    private static func compareWithPillow() throws -> Comparison {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("trenza-filter-parity-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try runPillow(writingTo: directory)

        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
        var inputs: [String: Image] = [:]
        var mismatches: [String] = []
        for item in manifest.cases {
            guard let mode = Image.Mode(rawValue: item.mode) else {
                mismatches.append("unexpected mode \(item.mode)")
                continue
            }
            let expected = try [UInt8](Data(contentsOf: directory.appendingPathComponent(item.output)))
            let filters = try ImageFilter.parseList(item.filters)
            let result: Image
            if item.input.hasSuffix(".jpg") {
                let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(item.input)))
                result = try ImageCodec.decode(bytes, for: filters).applying(filters)
            } else {
                let input: Image
                if let cached = inputs[item.input] {
                    input = cached
                } else {
                    let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(item.input)))
                    input = Image(width: item.width, height: item.height, mode: mode, pixels: bytes)
                    inputs[item.input] = input
                }
                result = input.applying(filters)
            }
            let outputWidth = item.outputWidth ?? item.width
            let outputHeight = item.outputHeight ?? item.height

            let what = "\(item.filters) on \(item.label)"
            guard result.mode.rawValue == item.outputMode, result.width == outputWidth, result.height == outputHeight,
                  result.pixels.count == expected.count else {
                mismatches.append("""
                    \(what): got a \(result.width)×\(result.height) \(result.mode.rawValue) image, Pillow a \
                    \(outputWidth)×\(outputHeight) \(item.outputMode) one
                    """)
                continue
            }
            if let index = result.pixels.indices.first(where: { result.pixels[$0] != expected[$0] }) {
                let bands = result.mode.bands
                let pixel = index / bands
                let differing = zip(result.pixels, expected).count(where: { $0 != $1 })
                mismatches.append("""
                    \(what): \(differing) bytes differ; first at byte \(index) (x \(pixel % outputWidth), \
                    y \(pixel / outputWidth), band \(index % bands)): Trenza \(result.pixels[index]), Pillow \(expected[index])
                    """)
            }
            if mismatches.count >= 20 {
                mismatches.append("stopping after 20 mismatching cases")
                break
            }
        }
        return Comparison(pillow: manifest.pillow, cases: manifest.cases.count, mismatches: mismatches)
    }

    struct PillowFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the Python side; its stderr is shown on failure.
    private static func runPillow(writingTo directory: URL) throws {
        let process = Process()
        process.executableURL = Self.repositoryRoot.appendingPathComponent("scripts/with-pillow.sh")
        process.arguments = [
            Self.repositoryRoot.appendingPathComponent("Tests/TrenzaImagingTests/pillow_parity.py").path,
            directory.path,
        ]
        process.currentDirectoryURL = Self.repositoryRoot
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PillowFailure(description: """
                pillow_parity.py failed (status \(process.terminationStatus)); it needs python3 and PyPI \
                for the first run, or TRENZA_SKIP_PILLOW_PARITY=1 to skip: \
                \(String(decoding: message, as: UTF8.self))
                """)
        }
    }
}
