import Foundation

/// Sizes as people write them on a command line: `500000`, `200K`, `500M`, `8G` (powers of 1024).
public enum ByteSize {
    /// The number of bytes `text` names, or `nil` when it is not a size.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int)] = [("TIB", 1 << 40), ("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10),
                                      ("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10),
                                      ("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count)), number >= 0, number * Double(factor) < 9e18 else { return nil }
            return Int((number * Double(factor)).rounded())
        }
        guard let number = Int(trimmed), number >= 0 else { return nil }
        return number
    }

    /// `8 GiB`, `500 MiB`, `1536 bytes`: the size in the largest unit it is a whole number of,
    /// else in bytes.
    public static func describe(_ bytes: Int) -> String {
        for (name, factor) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= factor && bytes % factor == 0 {
            return "\(bytes / factor) \(name)"
        }
        return "\(bytes) bytes"
    }
}
