import Foundation
import Testing
import TrenzaImaging

@Suite("Output names and clashes")
struct ImageOutputPlanTests {
    @Test("a filter's value is part of the name, so two pipelines never share one")
    func namesIdentifyThePipeline() throws {
        func name(_ filters: String, format: ImageFormat? = nil) throws -> String {
            ImageOutputPlan.outputName(of: ImageInput(path: "in/photo.png"), filters: try ImageFilter.parseList(filters), format: format)
        }
        #expect(try name("contrast=0.5") == "contrast-0.5_photo.png")
        #expect(try name("contrast=3") == "contrast-3.0_photo.png")
        #expect(try name("contrast") == "contrast_photo.png", "the default factor keeps the tutorial's name")
        #expect(try name("blur,brightness=1.25,grayscale") == "blur_brightness-1.25_grayscale_photo.png")
        #expect(try name("blur", format: .jpeg) == "blur_photo.jpg")
        #expect(ImageOutputPlan.outputName(of: ImageInput(path: "a/b.JPEG", subfolder: "x/y"), filters: [.blur], format: .jpeg)
                == "x/y/blur_b.JPEG", "a JPEG kept as JPEG keeps its own extension")
    }

    @Test("inputs that would share a result are all named, and nothing is planned")
    func clashesAreRefused() throws {
        let inputs = [ImageInput(path: "a/pic.jpg"), ImageInput(path: "b/pic.jpg"), ImageInput(path: "c/other.jpg"),
                      ImageInput(path: "a.png"), ImageInput(path: "a.jpg"), ImageInput(path: "d/pic.jpg")]
        do {
            _ = try ImageOutputPlan.outputNames(of: inputs, filters: [.blur], format: .png)
            Issue.record("a clash was not detected")
        } catch {
            #expect(error.clashes == [
                .init(outputName: "blur_pic.png", sources: ["a/pic.jpg", "b/pic.jpg", "d/pic.jpg"]),
                .init(outputName: "blur_a.png", sources: ["a.png", "a.jpg"]),
            ])
            #expect(error.description.contains("blur_pic.png ← a/pic.jpg, b/pic.jpg, d/pic.jpg"))
            #expect(error.description.contains("5 inputs would overwrite each other's results"))
        }
    }

    @Test("the same name in different sub-folders is no clash")
    func subfoldersKeepNamesApart() throws {
        let inputs = [ImageInput(path: "p/2023/pic.jpg", subfolder: "2023"), ImageInput(path: "p/2024/pic.jpg", subfolder: "2024")]
        #expect(try ImageOutputPlan.outputNames(of: inputs, filters: [.sharpen], format: nil) == ["2023/sharpen_pic.jpg", "2024/sharpen_pic.jpg"])
    }

    @Test("a folder's images keep their sub-folders; a file reached twice is one input")
    func expandKeepsSubfolders() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-inputs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for path in ["p/a.jpg", "p/2024/b.png", "p/2024/deep/c.jpeg", "p/.hidden/d.jpg", "p/notes.txt"] {
            try FileManager.default.createDirectory(atPath: (root + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: root + "/" + path, contents: Data([1])))
        }
        try FileManager.default.createSymbolicLink(atPath: root + "/link.jpg", withDestinationPath: root + "/p/a.jpg")
        let (inputs, repeated) = ImageInputs.expand([root + "/p", root + "/p/a.jpg", root + "/link.jpg", root + "/p/*.jpg"], recursive: true)
        #expect(inputs.map(\.subfolder) == ["2024", "2024/deep", ""])
        #expect(inputs.map { ($0.path as NSString).lastPathComponent } == ["b.png", "c.jpeg", "a.jpg"])
        #expect(repeated == 3)
        let flat = ImageInputs.expand([root + "/p"], recursive: false).inputs
        #expect(flat.map(\.subfolder) == [""] && flat.map { ($0.path as NSString).lastPathComponent } == ["a.jpg"])
    }

    @Test("a result that would replace an input stops the batch before any work")
    func inputsAreNeverReplaced() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-replace-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for name in ["a.jpg", "blur_a.jpg"] { #expect(FileManager.default.createFile(atPath: root + "/" + name, contents: Data([1]))) }
        let batch = ImageBatchRunner(inputs: ImageInputs.expand([root], recursive: false).inputs, outputFolder: root, filters: [.blur])
        #expect {
            _ = try batch.tasks()
        } throws: { error in
            "\(error)".contains("the result of \(root)/a.jpg would replace the input \(root)/blur_a.jpg")
        }
        var elsewhere = batch
        elsewhere.outputFolder = root + "/out"
        #expect(try elsewhere.tasks().map { $0.destination(for: .jpeg) } == [root + "/out/blur_a.jpg", root + "/out/blur_blur_a.jpg"])
    }
}
