import Foundation

/// `report.md`: the report as GitHub-flavoured Markdown, for pull requests and READMEs.
public enum MarkdownReport {
    public static func render(_ report: BenchReport) -> String {
        var out: [String] = []
        let machine = report.machine
        out.append("# Trenza bench report")
        out.append("")
        out.append("| machine | |")
        out.append("|---|---|")
        for (name, value) in machineFacts(machine) + [("mode", report.mode), ("measured in", BenchFormat.seconds(report.totalSeconds))] {
            out.append("| \(escape(name)) | \(escape(value)) |")
        }
        out.append("")
        out.append("## What the figures say")
        for advice in report.advice {
            out.append("")
            out.append("### \(escape(advice.question.rawValue))")
            out.append("")
            for finding in advice.findings { out.append("- \(escape(finding))") }
            out.append("")
            out.append("**\(escape(advice.recommendation))**")
        }
        for section in report.sections {
            out.append("")
            out.append("## \(escape(section.title))")
            out.append("")
            var summary = section.summary
            if let sequential = section.sequentialSeconds { summary += " Sequential: \(BenchFormat.seconds(sequential))." }
            out.append(escape(summary))
            if let pipe = BenchTable.pipeLine(section) {
                out.append("")
                out.append(escape(pipe))
            }
            out.append("")
            let table = BenchTable(section)
            out.append("| " + table.headers.map(escape).joined(separator: " | ") + " |")
            out.append("|" + table.numeric.map { $0 ? "---:" : "---" }.joined(separator: "|") + "|")
            for (index, cells) in table.rows.enumerated() {
                let isWinner = index == table.winnerRow
                let shown = cells.enumerated().map { column, cell in
                    let text = escape(cell)
                    return isWinner ? (column == 0 ? "★ **\(text)**" : "**\(text)**") : text
                }
                out.append("| " + shown.joined(separator: " | ") + " |")
            }
            out.append("")
            out.append("★ " + escape(BenchTable.winnerLine(section)))
            if !section.notes.isEmpty {
                out.append("")
                for note in section.notes { out.append("- \(escape(note))") }
            }
        }
        out.append("")
        return out.joined(separator: "\n")
    }

    /// Name–value pairs describing the machine, shared with the HTML page.
    static func machineFacts(_ machine: MachineInfo) -> [(String, String)] {
        var facts = [("cores", "\(machine.cores)"), ("memory", BenchFormat.bytes(Double(machine.memoryBytes)))]
        if let cpu = machine.cpuModel { facts.append(("CPU", cpu)) }
        facts += [("system", machine.operatingSystem), ("kernel", machine.kernel), ("Swift", machine.swiftVersion),
                  ("build", machine.buildConfiguration), ("date", machine.date)]
        if let load = machine.loadAverage { facts.append(("load at start", String(format: "%.2f", load))) }
        return facts
    }

    /// Makes text literal in Markdown: table pipes, emphasis, code and HTML characters.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\|*_`<>[]#".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
