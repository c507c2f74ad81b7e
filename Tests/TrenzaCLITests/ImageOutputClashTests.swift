import Foundation
import Testing
import Trenza
import TrenzaImaging

/// Every route by which two inputs could be written to one output file: each must stop the
/// command before any work, naming the inputs, or keep the outputs apart.
@Suite("trenza images never loses an output")
struct ImageOutputClashTests {
    private func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("trenza-clash-\(UUID().uuidString)").path
    }

    private func generate(_ folder: String, count: Int = 1, seed: Int, format: String = "jpeg") async throws {
        let result = try await trenza(["images", "--generate", "\(count)", folder, "--size", "24x16", "--seed", "\(seed)", "--format", format, "--quiet"])
        #expect(result.status == 0, "\(result.error)")
    }

    private func files(under folder: String) -> [String] {
        ((FileManager.default.enumerator(atPath: folder)?.allObjects as? [String]) ?? []).filter {
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + $0, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
    }

    @Test("two files with one name, from two folders, named or as two folder arguments", arguments: [false, true])
    func sameNameInTwoFolders(asFolders: Bool) async throws {
        let root = scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await generate(root + "/a", seed: 1)
        try await generate(root + "/b", seed: 2)
        let inputs = asFolders ? [root + "/a", root + "/b"] : [root + "/a/sample_001.jpg", root + "/b/sample_001.jpg"]
        for engine in ["threads", "processes", "async"] {
            let result = try await trenza(["images"] + inputs + ["-o", root + "/out", "--filters", "blur", "--engine", engine])
            #expect(result.status == 2, "\(engine): \(result.output)")
            #expect(result.error.contains("blur_sample_001.jpg ← \(root)/a/sample_001.jpg, \(root)/b/sample_001.jpg"), "\(result.error)")
            #expect(files(under: root + "/out").isEmpty, "nothing may be written before the refusal")
        }
    }

    @Test("a.png and a.jpg written as PNG")
    func sameStemConvertedToOneFormat() async throws {
        let root = scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await generate(root + "/in", seed: 1, format: "png")
        try await generate(root + "/in", seed: 2, format: "jpeg")
        let refused = try await trenza(["images", root + "/in", "-o", root + "/out", "--filters", "blur", "--format", "png"])
        #expect(refused.status == 2)
        #expect(refused.error.contains("blur_sample_001.png ← \(root)/in/sample_001.jpg, \(root)/in/sample_001.png"), "\(refused.error)")
        // Kept in their own formats, the two names differ and both are written.
        let kept = try await trenza(["images", root + "/in", "-o", root + "/out", "--filters", "blur", "--quiet"])
        #expect(kept.status == 0, "\(kept.error)")
        #expect(files(under: root + "/out") == ["blur_sample_001.jpg", "blur_sample_001.png"])
    }

    @Test("-r keeps sub-folders apart, on every engine and on --compare")
    func recursiveKeepsTheTree() async throws {
        let root = scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await generate(root + "/photos/2023", seed: 1)
        try await generate(root + "/photos/2024", seed: 2)
        try await generate(root + "/photos", seed: 3)
        for engine in Engine.allCases {
            let output = root + "/out-" + engine.rawValue
            let result = try await trenza(["images", "-r", root + "/photos", "-o", output, "--filters", "sharpen", "--engine", engine.rawValue, "--quiet"])
            #expect(result.status == 0, "\(result.error)")
            #expect(files(under: output) == ["2023/sharpen_sample_001.jpg", "2024/sharpen_sample_001.jpg", "sharpen_sample_001.jpg"])
            // Each output is its own input's, not whichever came last.
            for (folder, written) in [("2023/", "2023/"), ("2024/", "2024/"), ("", "")] {
                let source = try ImageCodec.decode(Array(try #require(FileManager.default.contents(atPath: root + "/photos/" + folder + "sample_001.jpg"))))
                let output = FileManager.default.contents(atPath: output + "/" + written + "sharpen_sample_001.jpg")
                #expect(output.map(Array.init) == (try ImageCodec.encode(source.image.applying([.sharpen]), as: .jpeg)))
            }
        }
        let compared = try await trenza(["images", "-r", root + "/photos", "-o", root + "/cmp", "--filters", "sharpen", "--compare", "--quiet"])
        #expect(compared.status == 0, "\(compared.output)\n\(compared.error)")
        #expect(files(under: root + "/cmp/async") == ["2023/sharpen_sample_001.jpg", "2024/sharpen_sample_001.jpg", "sharpen_sample_001.jpg"])
    }

    @Test("two pipelines into one folder keep both results; one image named twice is done once")
    func pipelinesAndRepeats() async throws {
        let root = scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await generate(root + "/in", seed: 1, format: "png")
        for factor in ["0.5", "3"] {
            let result = try await trenza(["images", root + "/in/sample_001.png", root + "/in", root + "/in/*.png", "-o", root + "/out",
                                           "--filters", "contrast=\(factor)", "--json"])
            #expect(result.status == 0, "\(result.error)")
            #expect(result.output.contains("\"succeeded\" : 1"), "\(result.output)")
            #expect(result.error.contains("2 images named more than once, processed once."), "\(result.error)")
        }
        #expect(files(under: root + "/out") == ["contrast-0.5_sample_001.png", "contrast-3.0_sample_001.png"])
        let low = FileManager.default.contents(atPath: root + "/out/contrast-0.5_sample_001.png")
        #expect(low != nil && low != FileManager.default.contents(atPath: root + "/out/contrast-3.0_sample_001.png"))
    }

    @Test("a result that would replace an input is refused")
    func inputIsNeverReplaced() async throws {
        let root = scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await generate(root + "/in", seed: 1)
        let first = try await trenza(["images", root + "/in", "-o", root + "/in", "--filters", "blur", "--quiet"])
        #expect(first.status == 0, "\(first.error)")
        let before = FileManager.default.contents(atPath: root + "/in/blur_sample_001.jpg")
        // blur_sample_001.jpg is now an input whose result name is taken by sample_001.jpg's.
        let second = try await trenza(["images", root + "/in", "-o", root + "/in", "--filters", "blur"])
        #expect(second.status == 2)
        #expect(second.error.contains("would replace the input \(root)/in/blur_sample_001.jpg"), "\(second.error)")
        #expect(FileManager.default.contents(atPath: root + "/in/blur_sample_001.jpg") == before)
        #expect(files(under: root + "/in") == ["blur_sample_001.jpg", "sample_001.jpg"])
    }
}
