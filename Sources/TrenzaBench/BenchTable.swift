import Foundation

/// A section's figures as text cells: the one table the terminal, Markdown and HTML writers all
/// lay out, so they cannot disagree on a column or a figure.
package struct BenchTable: Sendable, Equatable {
    package var headers: [String]
    package var rows: [[String]]
    /// Which row is the section's winner, if any.
    package var winnerRow: Int?
    /// Per column: numbers are right-aligned.
    package var numeric: [Bool]

    package init(_ section: BenchSection) {
        let hasSpeedUp = section.sequentialSeconds != nil
        let hasIdeal = section.idealSeconds != nil
        let hasMemory = section.rows.contains { $0.peakMemoryBytes != nil }
        let perItem = section.sweep == .items
        let hasFailures = section.rows.contains { $0.failures > 0 }
        let hasStartup = section.rows.contains { $0.startupSeconds != nil }
        let hasLatency = section.rows.contains { $0.latencyP50Seconds != nil }
        let hasThreads = section.rows.contains { $0.peakThreads != nil }

        var headers = ["engine", "width", section.unit, "wall time"]
        if perItem { headers.append("time/item") }
        headers.append("\(section.unit)/s")
        if hasSpeedUp { headers.append("speed-up") }
        if hasIdeal { headers.append("× ideal") }
        if hasMemory { headers.append("peak memory") }
        if hasMemory && perItem { headers.append("memory/item") }
        if hasStartup { headers.append("start-up") }
        if hasLatency { headers += ["p50 latency", "p99 latency"] }
        if hasThreads { headers.append("threads") }
        if hasFailures { headers.append("failures") }
        self.headers = headers
        numeric = headers.indices.map { $0 > 0 }

        let winner = section.winner
        winnerRow = winner.flatMap { section.rows.firstIndex(of: $0) }
        rows = section.rows.map { row in
            var cells = [row.series, BenchFormat.grouped(row.width), BenchFormat.grouped(row.items), BenchFormat.seconds(row.seconds)]
            if perItem { cells.append(BenchFormat.seconds(row.secondsPerItem)) }
            cells.append(BenchFormat.rate(row.throughput))
            if hasSpeedUp { cells.append(section.speedUp(row).map(BenchFormat.ratio) ?? "—") }
            if hasIdeal { cells.append(section.idealSeconds.map { BenchFormat.ratio(row.seconds / $0) } ?? "—") }
            if hasMemory { cells.append(row.peakMemoryBytes.map { BenchFormat.bytes(Double($0)) } ?? "—") }
            if hasMemory && perItem { cells.append(row.memoryPerItemBytes.map(BenchFormat.bytes) ?? "—") }
            if hasStartup { cells.append(row.startupSeconds.map(BenchFormat.seconds) ?? "—") }
            if hasLatency {
                cells.append(row.latencyP50Seconds.map(BenchFormat.seconds) ?? "—")
                cells.append(row.latencyP99Seconds.map(BenchFormat.seconds) ?? "—")
            }
            if hasThreads { cells.append(Self.threads(row)) }
            if hasFailures { cells.append(BenchFormat.grouped(row.failures)) }
            return cells
        }
    }

    /// "12 → 14": the process's threads before the batch and at most during it.
    static func threads(_ row: BenchRow) -> String {
        guard let peak = row.peakThreads else { return "—" }
        return row.baselineThreads.map { "\(BenchFormat.grouped($0)) → \(BenchFormat.grouped(peak))" } ?? BenchFormat.grouped(peak)
    }

    /// What one item's input and output weigh on the wire, when the section measured it.
    package static func pipeLine(_ section: BenchSection) -> String? {
        guard let input = section.inputBytesPerItem, let output = section.outputBytesPerItem else { return nil }
        return "Through a worker's pipes, per item: \(BenchFormat.bytes(input)) of encoded input out, \(BenchFormat.bytes(output)) of encoded output back."
    }

    /// One line naming the winner, or saying there is none.
    package static func winnerLine(_ section: BenchSection) -> String {
        guard let winner = section.winner else { return "no winner: every run failed" }
        var line = "winner: \(winner.series) at width \(BenchFormat.grouped(winner.width))"
        if section.sweep == .items { line += " with \(BenchFormat.grouped(winner.items)) \(section.unit)" }
        line += section.nature == .startup ? ", \(BenchFormat.seconds(winner.seconds))" : ", \(BenchFormat.rate(winner.throughput))"
        if let speedUp = section.speedUp(winner) { line += ", \(BenchFormat.ratio(speedUp)) sequential" }
        return line
    }
}

/// The terminal form of a report: a table per section with the winner starred, then the advice.
public enum TerminalReport {
    public static func render(_ report: BenchReport) -> String {
        var lines: [String] = []
        let machine = report.machine
        lines.append("Trenza bench (\(report.mode)) on \(machine.cores) cores, \(BenchFormat.bytes(Double(machine.memoryBytes))), \(machine.operatingSystem), Swift \(machine.swiftVersion), \(machine.buildConfiguration) build")
        if machine.buildConfiguration != "release" {
            lines.append("  (a debug build: figures are for testing, not for quoting; use swift run -c release)")
        }
        if machine.wasBusy, let load = machine.loadAverage {
            lines.append(String(format: "  (load average %.1f on %d cores at the start: other programs competed for the cores, so figures are slower and noisier)", load, machine.cores))
        }
        for section in report.sections {
            lines.append("")
            lines.append(section.title)
            var context = "  " + section.summary
            if let sequential = section.sequentialSeconds { context += " Sequential: \(BenchFormat.seconds(sequential))." }
            lines.append(context)
            if let pipe = BenchTable.pipeLine(section) { lines.append("  " + pipe) }
            let table = BenchTable(section)
            let all = [table.headers] + table.rows
            let widths = table.headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
            for (index, cells) in all.enumerated() {
                let marker = index > 0 && table.winnerRow == index - 1 ? "★ " : "  "
                let padded = cells.enumerated().map { column, cell in
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    return table.numeric[column] ? padding + cell : cell + padding
                }
                lines.append("  " + marker + padded.joined(separator: "  "))
            }
            lines.append("  ★ " + BenchTable.winnerLine(section))
            for note in section.notes { lines.append("  note: \(note)") }
        }
        lines.append("")
        lines.append("What the figures say (the tutorial's §5.2 questions)")
        for advice in report.advice {
            lines.append("  \(advice.question.rawValue)")
            for finding in advice.findings { lines.append("    - \(finding)") }
            lines.append("    → \(advice.recommendation)")
        }
        lines.append("")
        lines.append("Measured in \(BenchFormat.seconds(report.totalSeconds)).")
        return lines.joined(separator: "\n")
    }
}
