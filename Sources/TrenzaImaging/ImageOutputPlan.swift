import Foundation

/// Names every result of a batch before any work starts, and refuses a batch in which two inputs
/// would be written to one file (the tutorial's program silently kept whichever came last).
///
/// A result is named `<part>_<part>_…_<input name>`, a part per filter: the filter's name, with
/// its value where it has one (`contrast-0.5_photo.png`, `resize-64x64-lanczos_photo.png`), so
/// that two pipelines never share a name and runs into one folder do not overwrite each other.
/// `contrast` at its default factor keeps the tutorial's plain `contrast_`. The extension is the
/// output format's when `format` changes it. Images found under a folder argument keep their
/// sub-folder (`-r photos -o out` writes `out/2024/blur_a.jpg`).
public enum ImageOutputPlan {
    /// The result's file name for `source`, without its sub-folder.
    public static func name(of source: String, filters: [ImageFilter], format: ImageFormat?, inputFormat: ImageFormat) -> String {
        let fileName = URL(fileURLWithPath: source).lastPathComponent
        var output = filters.isEmpty ? fileName : filters.map(\.outputNamePart).joined(separator: "_") + "_" + fileName
        let chosen = format ?? inputFormat
        if chosen != inputFormat {
            output = (output as NSString).deletingPathExtension + "." + chosen.fileExtension
        }
        return output
    }

    /// The result's path under the output folder, from the input's name: a file whose extension
    /// is not an image format's is taken for what `format` asks, or for PNG.
    public static func outputName(of input: ImageInput, filters: [ImageFilter], format: ImageFormat?) -> String {
        let fileExtension = (input.path as NSString).pathExtension.lowercased()
        let inputFormat = ImageFormat.allCases.first { $0.fileExtensions.contains(fileExtension) } ?? format ?? .png
        let name = name(of: input.path, filters: filters, format: format, inputFormat: inputFormat)
        return input.subfolder.isEmpty ? name : input.subfolder + "/" + name
    }

    /// Each input's output name, in input order.
    ///
    /// - Throws: ``ImageOutputClash`` naming every group of inputs that would share a result.
    public static func outputNames(of inputs: [ImageInput], filters: [ImageFilter], format: ImageFormat?) throws(ImageOutputClash) -> [String] {
        let names = inputs.map { outputName(of: $0, filters: filters, format: format) }
        var sources: [String: [String]] = [:]
        for (input, name) in zip(inputs, names) { sources[name, default: []].append(input.path) }
        let clashes = names.enumerated().compactMap { index, name -> ImageOutputClash.Clash? in
            guard let group = sources[name], group.count > 1, group[0] == inputs[index].path else { return nil }
            return .init(outputName: name, sources: group)
        }
        guard clashes.isEmpty else { throw ImageOutputClash(clashes: clashes) }
        return names
    }
}

/// Two or more inputs of one batch would be written to the same file; nothing has been written.
public struct ImageOutputClash: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Clash: Sendable, Equatable {
        /// The shared result, relative to the output folder.
        public var outputName: String
        /// The inputs that would all be written there, in input order.
        public var sources: [String]

        public init(outputName: String, sources: [String]) {
            self.outputName = outputName
            self.sources = sources
        }
    }

    public var clashes: [Clash]

    /// The clashes (the first ten) and the ways out.
    public var description: String {
        let inputs = clashes.reduce(0) { $0 + $1.sources.count }
        var lines = ["\(inputs) inputs would overwrite each other's results, so nothing was done:"]
        for clash in clashes.prefix(10) {
            lines.append("  \(clash.outputName) ← \(clash.sources.joined(separator: ", "))")
        }
        if clashes.count > 10 { lines.append("  … and \(clashes.count - 10) more") }
        lines.append("Give such inputs separate runs or output folders, or rename them; "
            + "a folder argument keeps its sub-folders under -o with -r.")
        return lines.joined(separator: "\n")
    }
}

extension ImageFilter {
    /// The filter's part of an output name: its token with `=`, `,` and `:` written as `-`.
    public var outputNamePart: String {
        if self == .contrast(ImageFilter.defaultContrast) { return name }
        return String(description.map { "=,:/".contains($0) ? "-" : $0 })
    }
}
