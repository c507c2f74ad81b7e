import Foundation
import Testing
import Trenza

@Suite("Atomic file writes")
struct AtomicFileTests {
    private func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("writes, replaces, and leaves no temporary file behind")
    func writeAndReplace() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/photo.png"
        try AtomicFile.write(Array("first".utf8), to: path)
        try AtomicFile.write(Array("second, longer".utf8), to: path)
        #expect(FileManager.default.contents(atPath: path) == Data("second, longer".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["photo.png"])
    }

    @Test("a failure names the path and the reason, and leaves nothing")
    func failure() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A folder where the file should go: the final rename fails.
        try FileManager.default.createDirectory(atPath: folder + "/taken.jpg", withIntermediateDirectories: false)
        #expect {
            try AtomicFile.write([1, 2, 3], to: folder + "/taken.jpg")
        } throws: { error in
            "\(error)".contains("taken.jpg") && "\(error)".contains("directory")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["taken.jpg"])
        #expect(throws: AtomicFile.WriteError.self) {
            try AtomicFile.write([1], to: folder + "/missing/x.png")
        }
    }
}
