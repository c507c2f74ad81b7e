import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An image named on the command line, and the sub-folder of the output folder its result goes to.
public struct ImageInput: Sendable, Equatable {
    public var path: String
    /// The image's folder relative to the folder argument it was found in (`""` for files, patterns
    /// and the folder's own images), so that `-r` keeps a tree's shape under `-o`.
    public var subfolder: String

    public init(path: String, subfolder: String = "") {
        self.path = path
        self.subfolder = subfolder
    }
}

/// Turns the command line's inputs (files, folders, glob patterns) into images.
public enum ImageInputs {
    static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Images in the order given; a folder contributes its PNG and JPEG files sorted by name (and
    /// its sub-folders' with `recursive`, each keeping its sub-folder); a pattern with `*`, `?` or
    /// `[` is expanded. A path that does not exist is kept, so that it is reported as a failure of
    /// its own. A file reached twice (named twice, or by a pattern and a folder, or through a
    /// symbolic link) is kept once, where it first appears: it is one image, not a clash.
    public static func expand(_ arguments: [String], recursive: Bool) -> (inputs: [ImageInput], repeated: Int) {
        var inputs: [ImageInput] = []
        var seen: Set<String> = []
        var repeated = 0
        func add(_ input: ImageInput) {
            guard seen.insert(identity(of: input.path)).inserted else {
                repeated += 1
                return
            }
            inputs.append(input)
        }
        for argument in arguments {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) {
                if isFolder.boolValue {
                    images(in: argument, recursive: recursive).forEach(add)
                } else {
                    add(ImageInput(path: argument))
                }
            } else if argument.contains(where: { "*?[".contains($0) }) {
                glob(argument).forEach { add(ImageInput(path: $0)) }
            } else {
                add(ImageInput(path: argument))
            }
        }
        return (inputs, repeated)
    }

    /// What makes two paths one file: the device and inode where the file exists, else the path.
    private static func identity(of path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "path:" + path }
        return "file:\(info.st_dev):\(info.st_ino)"
    }

    private static func images(in folder: String, recursive: Bool) -> [ImageInput] {
        let base = URL(fileURLWithPath: folder)
        let names: [String]
        if recursive {
            names = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String]) ?? []
        } else {
            names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        }
        return names.filter { name in
            // Hidden files and hidden folders' contents are left alone, as `ls` and globs do.
            extensions.contains((name as NSString).pathExtension.lowercased())
                && !name.split(separator: "/").contains { $0.hasPrefix(".") }
        }
        .sorted()
        .map { ImageInput(path: base.appendingPathComponent($0).path, subfolder: ($0 as NSString).deletingLastPathComponent) }
    }

    private static func glob(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard Glibc.glob(pattern, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }
    }
}
