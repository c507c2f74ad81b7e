import Foundation
import Testing
@testable import TrenzaBench

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Report writers on fixed figures")
struct ReportWriterTests {
    /// Every figure of every row, formatted as the writers format it.
    static func figures(_ report: BenchReport) -> [String] {
        var figures: [String] = []
        for section in report.sections {
            if let sequential = section.sequentialSeconds { figures.append(BenchFormat.seconds(sequential)) }
            for row in section.rows {
                figures += [BenchFormat.seconds(row.seconds), BenchFormat.rate(row.throughput), BenchFormat.grouped(row.items)]
                if let speedUp = section.speedUp(row) { figures.append(BenchFormat.ratio(speedUp)) }
                if let peak = row.peakMemoryBytes { figures.append(BenchFormat.bytes(Double(peak))) }
                if section.sweep == .items, let perItem = row.memoryPerItemBytes { figures.append(BenchFormat.bytes(perItem)) }
                if let startup = row.startupSeconds { figures.append(BenchFormat.seconds(startup)) }
                for latency in [row.latencyP50Seconds, row.latencyP99Seconds].compactMap({ $0 }) { figures.append(BenchFormat.seconds(latency)) }
                if row.peakThreads != nil { figures.append(BenchTable.threads(row)) }
            }
            if let pipe = BenchTable.pipeLine(section) { figures.append(pipe) }
        }
        return figures
    }

    @Test("the JSON decodes, and encodes back to the same figures plus the derived advice")
    func jsonRoundTrip() throws {
        let report = try GoldenReport.report()
        #expect(report.sections.map(\.id) == ["overhead.startup", "overhead.dispatch", "cpu", "concurrency", "dispatch.submit"])
        #expect(report.sections.flatMap(\.rows).count == 28)
        let cpu = try #require(report.sections.first { $0.id == "cpu" })
        #expect(cpu.inputBytesPerItem == 19 && cpu.outputBytesPerItem == 9)
        #expect(cpu.rows.compactMap(\.startupSeconds) == [0.0283, 0.0391])
        let submit = try #require(report.sections.last)
        #expect(submit.rows.map(\.peakThreads) == [11, 12, 10])
        let encoded = try report.json()
        let again = try BenchReport.decode(json: encoded)
        #expect(again == report)
        let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        let advice = try #require(object["advice"] as? [[String: Any]])
        #expect(advice.count == BenchAdvice.Question.allCases.count)
    }

    @Test("the terminal table holds every figure and stars each section's winner")
    func terminal() throws {
        let report = try GoldenReport.report()
        let text = TerminalReport.render(report)
        for figure in Self.figures(report) {
            #expect(text.contains(figure), "missing \(figure)")
        }
        let starred = text.split(separator: "\n").filter { $0.hasPrefix("  ★ ") && !$0.contains("winner:") }
        #expect(starred.count == report.sections.count)
        #expect(text.contains("★ winner: async at width 2, 131 µs"))
        // The async row at 10,000 waiters failed 3 items: it cannot win, though it has the highest rate.
        #expect(text.contains("★ winner: async at width 1,000 with 1,000 waiters"))
        // What crosses the pipes, and the submit figures, have columns and lines of their own.
        #expect(text.contains("Through a worker's pipes, per item: 19 B of encoded input out, 9 B of encoded output back."))
        #expect(text.contains("p50 latency") && text.contains("p99 latency") && text.contains("start-up"))
        #expect(text.contains("9 → 12"))
    }

    @Test("Markdown holds every figure, the machine and the advice")
    func markdown() throws {
        let report = try GoldenReport.report()
        let markdown = MarkdownReport.render(report)
        for figure in Self.figures(report) {
            #expect(markdown.contains(figure), "missing \(figure)")
        }
        #expect(markdown.contains("| cores | 2 |"))
        #expect(markdown.contains("Test CPU @ 2.40GHz"))
        #expect(markdown.contains("| load at start | 0.25 |"))
        #expect(markdown.contains("★ **threads**"))
        for advice in report.advice {
            #expect(markdown.contains(MarkdownReport.escape(advice.recommendation)))
        }
        // Every table row has as many cells as its header.
        for section in report.sections {
            let table = BenchTable(section)
            #expect(table.rows.allSatisfy { $0.count == table.headers.count })
        }
    }

    @Test("HTML holds every figure, is self-contained, and has a bar chart per section and line charts where widths vary")
    func html() throws {
        let report = try GoldenReport.report()
        let html = HTMLReport.render(report)
        for figure in Self.figures(report) {
            #expect(html.contains(SVGCharts.escape(figure)), "missing \(figure)")
        }
        #expect(!html.contains("<script"))
        // The SVG namespace is a name, not a fetch; nothing else may point outside the page.
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://") && !withoutNamespace.contains("src="))
        #expect(html.contains("@media print"))
        #expect(html.contains("name=\"viewport\""))
        let svgs = Self.svgElements(html)
        // A bar chart for each of the 5 sections; line charts for the 3 with more than one width or count.
        #expect(svgs.count == 8)
        #expect(try !Self.isWellFormedXML("<svg><text>unclosed</svg>"), "the XML check itself must be able to fail")
        for svg in svgs {
            #expect(try Self.isWellFormedXML(svg), "not well-formed: \(svg.prefix(200))")
        }
        #expect(html.contains("class=\"win\""))
        #expect(!html.contains("Load average"), "a machine at rest gets no warning")
        var busy = report
        busy.machine.loadAverage = 3
        #expect(HTMLReport.render(busy).contains("Load average 3.0 on 2 cores at the start"))
    }

    @Test("bars are as long as their figures: the longest is the best, none is empty")
    func barLengths() throws {
        let report = try GoldenReport.report()
        let cpu = try #require(report.sections.first { $0.id == "cpu" })
        let widths = Self.barWidths(SVGCharts.bars(cpu))
        #expect(widths.count == cpu.rows.count)
        #expect(widths.allSatisfy { $0 > 0 })
        let longest = try #require(widths.indices.max { widths[$0] < widths[$1] })
        #expect(cpu.rows[longest] == cpu.winner)
        // Start-up bars are times: the shortest time gets the shortest bar.
        let startup = try #require(report.sections.first { $0.id == "overhead.startup" })
        let startupWidths = Self.barWidths(SVGCharts.bars(startup))
        let shortest = try #require(startupWidths.indices.min { startupWidths[$0] < startupWidths[$1] })
        #expect(startup.rows[shortest].engine == .async)
    }

    @Test("text from the report is escaped in HTML, SVG and Markdown")
    func escaping() throws {
        var report = try GoldenReport.report()
        report.sections[2].title = "CPU <b>bold</b> & \"quoted\" | 'piped'"
        report.sections[2].rows[0].variant = "<script>alert(1)</script>"
        let html = HTMLReport.render(report)
        #expect(!html.contains("<b>bold</b>"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("CPU &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; | &#39;piped&#39;"))
        for svg in Self.svgElements(html) {
            #expect(try Self.isWellFormedXML(svg))
        }
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("## CPU \\<b\\>bold\\</b\\> & \"quoted\" \\| 'piped'"))
    }

    @Test("numbers are written the same everywhere")
    func formatting() {
        #expect(BenchFormat.seconds(1.2345) == "1.23 s")
        #expect(BenchFormat.seconds(0.0456) == "45.6 ms")
        #expect(BenchFormat.seconds(0.000131) == "131 µs")
        #expect(BenchFormat.bytes(1536) == "1.50 KiB")
        #expect(BenchFormat.bytes(170_000_000) == "162 MiB")
        #expect(BenchFormat.rate(1_680_336.4) == "1,680,336/s")
        #expect(BenchFormat.rate(4.9) == "4.9/s")
        #expect(BenchFormat.ratio(1.929) == "1.93×")
        #expect(BenchFormat.grouped(-1234567) == "-1,234,567")
    }

    // MARK: - Helpers

    static func svgElements(_ html: String) -> [String] {
        var found: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            found.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return found
    }

    static func barWidths(_ svg: String) -> [Double] {
        svg.components(separatedBy: "<rect class=\"bar\"").dropFirst().compactMap { element in
            guard let range = element.range(of: "width=\"") else { return nil }
            return Double(element[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    static func isWellFormedXML(_ text: String) throws -> Bool {
        let parser = XMLParser(data: Data(text.utf8))
        // On Linux, parse() can return true for a document it reported an error in: check both.
        return parser.parse() && parser.parserError == nil
    }
}
