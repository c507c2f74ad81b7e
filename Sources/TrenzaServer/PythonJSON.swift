/// A JSON document, written byte for byte as Python's `json.dumps` writes it with its defaults.
///
/// The tutorial's server answers with aiohttp's `web.json_response`, which calls `json.dumps`:
/// keys in insertion order, `", "` and `": "` as separators, every non-ASCII character escaped
/// as `\uXXXX`, and floats in Python's `repr` (`0.1`, `2.0`, `1e-05`). Foundation's
/// `JSONEncoder` differs on all four, so a client that compares bytes, hashes bodies or simply
/// prints them would see the difference; this type writes exactly what the Python server sends.
public enum PythonJSON: Sendable, Equatable {
    /// `null` (Python's `None`).
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer, in decimal.
    case int(Int)
    /// A float, written as Python's `repr` writes it; NaN and infinities as `NaN`, `Infinity`.
    case double(Double)
    /// A string, with every character outside printable ASCII escaped.
    case string(String)
    /// An array, its elements separated by `", "`.
    case array([PythonJSON])
    /// An object; its keys are written in the order given, as a Python `dict` keeps them.
    case object([(String, PythonJSON)])

    /// The document as `json.dumps` writes it.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The document's UTF-8 bytes (all ASCII, since every other character is escaped).
    public var bytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(to: &output)
        return output
    }

    // Bytes rather than String appends: a server writes one of these per response.
    private func write(to output: inout [UInt8]) {
        switch self {
        case .null: output += "null".utf8
        case .bool(let value): output += (value ? "true" : "false").utf8
        case .int(let value): output += String(value).utf8
        case .double(let value): output += Self.pythonRepr(value).utf8
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output += ", ".utf8 }
                element.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { output += ", ".utf8 }
                Self.writeString(key, to: &output)
                output += ": ".utf8
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// `json.dumps`'s `ensure_ascii` escaping: printable ASCII passes, everything else is escaped,
    /// characters beyond the Basic Multilingual Plane as a UTF-16 surrogate pair.
    private static func writeString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += #"\""#.utf8
            case "\\": output += #"\\"#.utf8
            case "\n": output += #"\n"#.utf8
            case "\r": output += #"\r"#.utf8
            case "\t": output += #"\t"#.utf8
            case "\u{08}": output += #"\b"#.utf8
            case "\u{0C}": output += #"\f"#.utf8
            case " "..."~": output.append(UInt8(scalar.value))
            default:
                for unit in String(scalar).utf16 {
                    output += #"\u"#.utf8
                    for shift in stride(from: 12, through: 0, by: -4) {
                        output.append(hexDigits[Int(unit >> UInt16(shift)) & 0xF])
                    }
                }
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Python's `repr(float)`: the shortest digits that read back as the same double (Swift's
    /// `description` finds the same ones), laid out by Python's rule: positional notation while
    /// the decimal exponent is in [-4, 16), scientific otherwise, and always a `.0` on whole numbers.
    static func pythonRepr(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        let sign = value.sign == .minus ? "-" : ""
        var (digits, point) = shortestDigits(of: value.magnitude)
        if digits.isEmpty { return sign + "0.0" }
        // `point` places the decimal point: the value is 0.<digits> × 10^point.
        if point > -4 && point <= 16 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
            if point < digits.count {
                digits.insert(".", at: digits.index(digits.startIndex, offsetBy: point))
                return sign + digits
            }
            return sign + digits + String(repeating: "0", count: point - digits.count) + ".0"
        }
        let exponent = point - 1
        let mantissa = digits.count == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
        let magnitude = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
    }

    /// The significant digits of a non-negative double's shortest round-trip form, without leading
    /// or trailing zeros, and where the decimal point goes (value = 0.<digits> × 10^point).
    private static func shortestDigits(of value: Double) -> (digits: String, point: Int) {
        let description = value.description
        let parts = description.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1])! : 0
        let mantissa = parts[0]
        let integerDigits = mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count
        var digits = Substring(mantissa.filter { $0 != "." })
        var point = integerDigits + exponent
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (String(digits), point)
    }

    /// Equal documents: the same values, and objects with the same keys in the same order.
    public static func == (lhs: PythonJSON, rhs: PythonJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }
}
