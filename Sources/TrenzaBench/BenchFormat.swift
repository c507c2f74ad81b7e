import Foundation

/// How figures are written everywhere in a report (terminal, Markdown, HTML, advice): one set of
/// rules, so the same number reads the same in every place, and tests can look for it.
package enum BenchFormat {
    /// `1.23 s`, `45.6 ms`, `789 µs`: three significant figures, a unit a person reads at a glance.
    package static func seconds(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1 { return significant(value, unit: "s") }
        if magnitude >= 0.001 { return significant(value * 1000, unit: "ms") }
        if magnitude >= 0.000_001 { return significant(value * 1_000_000, unit: "µs") }
        return significant(value * 1_000_000_000, unit: "ns")
    }

    /// Binary units, as `free` and `top` show memory: `12.3 MiB`.
    package static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scaled = value, unit = 0
        while abs(scaled) >= 1024, unit < units.count - 1 { scaled /= 1024; unit += 1 }
        return unit == 0 ? "\(Int(scaled.rounded())) B" : significant(scaled, unit: units[unit])
    }

    /// Items per second with thousands separators: `12,345/s`, or `3.42/s` when small.
    package static func rate(_ perSecond: Double) -> String {
        perSecond >= 100 ? grouped(Int(perSecond.rounded())) + "/s" : String(format: "%.3g/s", perSecond)
    }

    /// `1.93×`.
    package static func ratio(_ value: Double) -> String {
        String(format: value >= 10 ? "%.1f×" : "%.2f×", value)
    }

    /// `12%`.
    package static func percent(_ fraction: Double) -> String {
        String(format: "%.0f%%", fraction * 100)
    }

    /// `10,000`.
    package static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    private static func significant(_ value: Double, unit: String) -> String {
        let magnitude = abs(value)
        let format = magnitude >= 100 ? "%.0f" : magnitude >= 10 ? "%.1f" : "%.2f"
        return String(format: format, value) + " " + unit
    }
}
