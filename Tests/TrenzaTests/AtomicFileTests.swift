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

    @Test("leftovers of writers killed mid-write are removed for the named outputs only")
    func leftovers() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(Array("done".utf8), to: folder + "/a.jpg")
        // What a killed writer leaves: a hidden temporary file named after its destination.
        for name in [".a.jpg.trenza-4242-17.tmp", ".a.jpg.trenza-77-1.tmp", ".b.jpg.trenza-9-9.tmp", ".a.jpg.other.tmp"] {
            #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data([1])))
        }
        #expect(AtomicFile.removeLeftovers(of: [folder + "/a.jpg"]) == 2)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == ["a.jpg", ".b.jpg.trenza-9-9.tmp", ".a.jpg.other.tmp"])
    }
}
