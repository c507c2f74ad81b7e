import Foundation

/// Charts as inline SVG: no script, no external asset, scalable to a phone or a printed page
/// (a `viewBox` and no fixed size), and well-formed XML on their own.
package enum SVGCharts {
    static let width = 520.0

    /// The colour of an engine's bars and lines; variants of an engine share its colour, dashed.
    static func color(_ engine: BenchEngine) -> String {
        switch engine {
        case .threads: "#2563eb"
        case .processes: "#dc2626"
        case .async: "#059669"
        case .cluster: "#7c3aed"
        }
    }

    /// Horizontal bars, one per row, grouped by width (or count): throughput, or the time itself
    /// for start-up, where a rate means nothing. The winner's bar is outlined and starred.
    package static func bars(_ section: BenchSection) -> String {
        let byTime = section.nature == .startup
        let value: (BenchRow) -> Double = { byTime ? $0.seconds : $0.throughput }
        let label: (BenchRow) -> String = { byTime ? BenchFormat.seconds($0.seconds) : BenchFormat.rate($0.throughput) }
        let groups = section.sweepValues.map { level in (level, section.rows.filter { section.sweepValue($0) == level }) }
        // Names sit above their bars, not beside them: on a phone the bars keep the whole width.
        let barHeight = 16.0, nameHeight = 17.0, gap = 7.0, groupGap = 12.0, valueWidth = 110.0, top = 8.0, left = 4.0
        let plotWidth = width - left - valueWidth
        let maximum = max(section.rows.map(value).max() ?? 0, .leastNonzeroMagnitude)
        let showGroups = groups.count > 1
        let winner = section.winner
        var y = top
        var body: [String] = []
        for (level, rows) in groups {
            if showGroups {
                let heading = section.sweep == .width ? "width \(BenchFormat.grouped(level))" : "\(BenchFormat.grouped(level)) \(section.unit)"
                body.append(text(heading, x: left, y: y + 13, attributes: "class=\"group\" font-weight=\"bold\""))
                y += 20
            }
            for row in rows {
                let isWinner = row == winner
                let length = max(0, value(row) / maximum * plotWidth)
                let name = (isWinner ? "★ " : "") + row.series + (showGroups ? "" : " ×\(row.width)")
                body.append(text(name, x: left, y: y + nameHeight - 4, attributes: ""))
                y += nameHeight
                let stroke = isWinner ? " stroke=\"#111827\" stroke-width=\"2\"" : ""
                let opacity = row.variant == nil ? "1" : "0.55"
                body.append("<rect class=\"bar\" x=\"\(number(left))\" y=\"\(number(y))\" width=\"\(number(length))\" height=\"\(number(barHeight))\" fill=\"\(color(row.engine))\" fill-opacity=\"\(opacity)\"\(stroke) data-value=\"\(number(value(row)))\"><title>\(escape(row.series + ", width \(row.width): " + label(row)))</title></rect>")
                body.append(text(label(row) + (row.failures > 0 ? " (\(row.failures) failed)" : ""), x: left + length + 5, y: y + barHeight - 3, attributes: ""))
                y += barHeight + gap
            }
            y += groupGap - gap
        }
        let height = y + top
        let caption = byTime ? "Time to the first result (shorter is better)" : "\(section.unit.capitalized) per second (longer is better)"
        return svg(height: height, label: caption, body: body)
    }

    /// Throughput against width (or count), one line per engine; log scales where the values span
    /// more than an order of magnitude, so 100, 1,000 and 10,000 sit evenly. `nil` with fewer
    /// than two distinct widths: a line needs two points.
    package static func lines(_ section: BenchSection) -> String? {
        let xs = section.sweepValues.filter { $0 > 0 }
        guard xs.count >= 2 else { return nil }
        let rows = section.rows.filter { $0.throughput > 0 && section.sweepValue($0) > 0 }
        guard let lowest = rows.map(\.throughput).min(), let highest = rows.map(\.throughput).max() else { return nil }
        let left = 84.0, right = 30.0, top = 12.0, plotHeight = 220.0
        let plotWidth = width - left - right
        let logY = highest / lowest > 30
        let xMin = log(Double(xs.first!)), xMax = log(Double(xs.last!))
        func xPosition(_ value: Int) -> Double { left + (log(Double(value)) - xMin) / (xMax - xMin) * plotWidth }
        let yTicks = logY ? logTicks(lowest, highest) : linearTicks(highest)
        let yLow = logY ? log10(yTicks.first!) : 0, yHigh = logY ? log10(yTicks.last!) : yTicks.last!
        func yPosition(_ value: Double) -> Double {
            let scaled = logY ? (log10(value) - yLow) / (yHigh - yLow) : value / yHigh
            return top + plotHeight - scaled * plotHeight
        }
        var body: [String] = []
        for tick in yTicks {
            let y = yPosition(tick)
            body.append("<line x1=\"\(number(left))\" y1=\"\(number(y))\" x2=\"\(number(width - right))\" y2=\"\(number(y))\" stroke=\"#e5e7eb\"/>")
            body.append(text(BenchFormat.rate(tick), x: left - 6, y: y + 4, attributes: "text-anchor=\"end\" class=\"tick\""))
        }
        for value in xs {
            let x = xPosition(value)
            body.append("<line x1=\"\(number(x))\" y1=\"\(number(top))\" x2=\"\(number(x))\" y2=\"\(number(top + plotHeight))\" stroke=\"#f3f4f6\"/>")
            body.append(text(BenchFormat.grouped(value), x: x, y: top + plotHeight + 16, attributes: "text-anchor=\"middle\" class=\"tick\""))
        }
        let axisName = section.sweep == .width ? "width (lanes)" : "concurrent \(section.unit)"
        body.append(text(axisName, x: left + plotWidth / 2, y: top + plotHeight + 34, attributes: "text-anchor=\"middle\""))
        body.append("<line x1=\"\(number(left))\" y1=\"\(number(top + plotHeight))\" x2=\"\(number(width - right))\" y2=\"\(number(top + plotHeight))\" stroke=\"#6b7280\"/>")
        // The legend sits below the axis name and wraps, so that long variant names never overlap.
        var legendX = left, legendY = top + plotHeight + 58
        for series in section.series {
            let points = rows.filter { $0.series == series }.sorted { section.sweepValue($0) < section.sweepValue($1) }
            guard let first = points.first else { continue }
            let dash = first.variant == nil ? "" : " stroke-dasharray=\"6 4\""
            let coordinates = points.map { "\(number(xPosition(section.sweepValue($0)))),\(number(yPosition($0.throughput)))" }
            body.append("<polyline class=\"series\" fill=\"none\" stroke=\"\(color(first.engine))\" stroke-width=\"2.5\"\(dash) points=\"\(coordinates.joined(separator: " "))\"><title>\(escape(series))</title></polyline>")
            for point in points {
                body.append("<circle cx=\"\(number(xPosition(section.sweepValue(point))))\" cy=\"\(number(yPosition(point.throughput)))\" r=\"3.5\" fill=\"\(color(first.engine))\"><title>\(escape("\(series), \(section.sweep == .width ? "width" : section.unit) \(section.sweepValue(point)): \(BenchFormat.rate(point.throughput))"))</title></circle>")
            }
            let entryWidth = 34 + Double(series.count) * 9.5
            if legendX > left && legendX + entryWidth > width - right {
                legendX = left
                legendY += 20
            }
            body.append("<line x1=\"\(number(legendX))\" y1=\"\(number(legendY - 4))\" x2=\"\(number(legendX + 18))\" y2=\"\(number(legendY - 4))\" stroke=\"\(color(first.engine))\" stroke-width=\"3\"\(dash)/>")
            body.append(text(series, x: legendX + 22, y: legendY, attributes: "class=\"legend\""))
            legendX += entryWidth
        }
        let caption = "\(section.unit.capitalized) per second against \(axisName)\(logY ? " (log scale)" : "")"
        return svg(height: legendY + 10, label: caption, body: body)
    }

    private static func svg(height: Double, label: String, body: [String]) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(number(width)) \(number(height))\" role=\"img\" aria-label=\"\(escape(label))\" font-family=\"system-ui, sans-serif\" font-size=\"14\">"
            + "<title>\(escape(label))</title>" + body.joined() + "</svg>"
    }

    private static func text(_ content: String, x: Double, y: Double, attributes: String) -> String {
        "<text x=\"\(number(x))\" y=\"\(number(y))\"\(attributes.isEmpty ? "" : " " + attributes)>\(escape(content))</text>"
    }

    /// Ticks at 0 and four round steps up to at least `maximum`.
    static func linearTicks(_ maximum: Double) -> [Double] {
        let rough = max(maximum, .leastNonzeroMagnitude) / 4
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        return (0...4).map { Double($0) * step }
    }

    /// Powers of ten around the values.
    static func logTicks(_ lowest: Double, _ highest: Double) -> [Double] {
        let low = floor(log10(lowest)), high = ceil(log10(highest))
        return stride(from: low, through: max(high, low + 1), by: 1).map { pow(10, $0) }
    }

    /// Coordinates with at most one decimal: short, and never in exponent notation.
    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }

    /// XML text and attribute escaping (valid in HTML too).
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
