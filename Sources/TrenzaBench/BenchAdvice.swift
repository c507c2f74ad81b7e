import Foundation

/// Advice on choosing an engine, in the terms of the tutorial's selection criteria (§5.2), worked
/// out from the figures of one report: every sentence quotes a measurement, and different figures
/// give different advice — if processes win an I/O-bound case on some machine, it says so.
public struct BenchAdvice: Codable, Sendable, Equatable {
    /// The tutorial's questions that measurements can answer.
    public enum Question: String, Codable, Sendable, CaseIterable {
        case workKind = "Is the work CPU-bound or I/O-bound?"
        case concurrency = "How many concurrent tasks?"
        case sharedState = "Do the tasks share state?"
        case cluster = "Does a cluster of machines pay?"
    }

    public var question: Question
    /// What the figures show, one sentence each.
    public var findings: [String]
    /// What to do about it, in one sentence.
    public var recommendation: String

    public init(question: Question, findings: [String], recommendation: String) {
        self.question = question
        self.findings = findings
        self.recommendation = recommendation
    }

    /// Two figures closer than this ratio are reported as a tie: run-to-run noise on a shared
    /// machine is about that large.
    static let tieRatio = 1.10
    /// A spread of finishing times below this ratio means "any engine will do" at that scale.
    static let anyEngineSpread = 1.5
    /// Per-item overhead stays under 1 % when an item takes at least this many times as long.
    static let overheadFactor = 100.0

    /// The advice the report's figures support; a question with no relevant figures says which
    /// workload would answer it.
    public static func derive(from report: BenchReport) -> [BenchAdvice] {
        [workKind(report), concurrency(report), sharedState(report), cluster(report)]
    }

    // MARK: - CPU- or I/O-bound

    static func workKind(_ report: BenchReport) -> BenchAdvice {
        var findings: [String] = []
        var cpuLeaders: [[String]] = []
        var ioLeaders: [[String]] = []
        for section in report.sections where section.nature == .cpuBound {
            let best = plainBest(section)
            guard let winner = best.max(by: { $0.throughput < $1.throughput }) else { continue }
            // Engines within noise of the winner lead together: one run's order among them means nothing.
            let leaders = best.filter { $0.throughput * tieRatio >= winner.throughput }.sorted { $0.throughput > $1.throughput }
            cpuLeaders.append(leaders.map(\.engine.rawValue))
            var sentence = "\(section.title): \(winner.engine) was fastest"
            if let speedUp = section.speedUp(winner) {
                sentence += ", \(BenchFormat.ratio(speedUp)) the sequential speed at width \(winner.width) on \(report.machine.cores) cores"
            } else {
                sentence += " (\(BenchFormat.rate(winner.throughput)) at width \(winner.width))"
            }
            let close = leaders.filter { $0.engine != winner.engine }
            sentence += close.isEmpty ? "." : "; \(names(close)) within \(BenchFormat.percent(tieRatio - 1))."
            findings.append(sentence)
            if let processes = best.first(where: { $0.engine == .processes }), !leaders.contains(processes) {
                findings.append("The tutorial sends CPU-bound work to processes because Python's GIL serialises threads; here processes ran at \(BenchFormat.percent(processes.throughput / winner.throughput)) of the speed of \(winner.engine).")
            }
            if let threads = best.first(where: { $0.engine == .threads }), let processes = best.first(where: { $0.engine == .processes }) {
                findings += compare(threads, processes, in: section, roundTrip: roundTrip(report, width: processes.width))
            }
            if let top = best.compactMap(section.speedUp).max(), top < 1.2 {
                let reason = report.machine.wasBusy
                    ? "other programs kept the cores busy (load average \(String(format: "%.1f", report.machine.loadAverage ?? 0)) on \(report.machine.cores) cores at the start)"
                    : "the items are too small for the lanes to pay for themselves"
                findings.append("\(section.title): no engine was even 1.2× faster than sequential: \(reason).")
            }
            if let wider = widerThanCoresLost(section, cores: report.machine.cores) {
                findings.append(wider)
            }
        }
        for section in report.sections where section.nature == .ioBound {
            guard let (level, rows) = largestSharedLevel(section), let winner = rows.min(by: { $0.seconds < $1.seconds }) else { continue }
            ioLeaders.append(rows.filter { $0.seconds <= winner.seconds * tieRatio }.sorted { $0.seconds < $1.seconds }.map(\.engine.rawValue))
            let others = rows.filter { $0 != winner }.map { "\($0.engine) \(BenchFormat.seconds($0.seconds))" }
            let scale = section.sweep == .width ? "at width \(BenchFormat.grouped(level))" : "at \(BenchFormat.grouped(level)) \(section.unit)"
            var sentence = "\(section.title): \(scale) \(winner.engine) finished first, in \(BenchFormat.seconds(winner.seconds))"
            if let ideal = section.idealSeconds { sentence += " (the wait alone is \(BenchFormat.seconds(ideal)))" }
            sentence += others.isEmpty ? "." : "; \(others.joined(separator: ", "))."
            findings.append(sentence)
        }
        var parts: [String] = []
        parts.append(cpuLeaders.isEmpty ? "CPU-bound work was not measured (--only cpu,images)" : "CPU-bound work → \(choose(cpuLeaders))")
        parts.append(ioLeaders.isEmpty ? "I/O-bound work was not measured (--only io,concurrency)" : "I/O-bound work → \(choose(ioLeaders))")
        if findings.isEmpty { findings.append("No CPU-bound or I/O-bound workload was measured in this run.") }
        return BenchAdvice(question: .workKind, findings: findings, recommendation: "On this machine: " + parts.joined(separator: "; ") + ".")
    }

    /// Threads against processes on the same CPU-bound items, explained only by what was
    /// measured: the bytes that crossed the pipes per item, the workers' start-up and, when the
    /// overhead workload ran, what one round trip through the pipes costs. What those figures do
    /// not cover is said to be unexplained, not guessed at.
    static func compare(_ threads: BenchRow, _ processes: BenchRow, in section: BenchSection, roundTrip: Double?) -> [String] {
        let unit = section.unit
        let ratio = threads.throughput / processes.throughput
        let rates = "\(BenchFormat.rate(threads.throughput)) against \(BenchFormat.rate(processes.throughput)) \(unit)"
        var sentences: [String] = []
        if ratio >= tieRatio {
            sentences.append("Threads beat processes by \(BenchFormat.percent(ratio - 1)) (\(rates)).")
        } else if ratio <= 1 / tieRatio {
            sentences.append("Processes beat threads by \(BenchFormat.percent(1 / ratio - 1)) (\(BenchFormat.rate(processes.throughput)) against \(BenchFormat.rate(threads.throughput)) \(unit)); the bench measures nothing that says why.")
        } else {
            sentences.append("Threads and processes were within \(BenchFormat.percent(abs(ratio - 1))) of each other (\(BenchFormat.rate(threads.throughput)) and \(BenchFormat.rate(processes.throughput)) \(unit)): without a GIL both run in parallel; processes add isolation.")
        }

        // What crossed the pipes, and what moving it costs at the measured round trip.
        var transfer: Double?
        if let input = section.inputBytesPerItem, let output = section.outputBytesPerItem {
            var sentence = "Per item, \(BenchFormat.bytes(input)) went to a worker and \(BenchFormat.bytes(output)) came back (\(BenchFormat.bytes((input + output) * Double(processes.items))) for all \(BenchFormat.grouped(processes.items)) \(unit))"
            if let roundTrip, input + output <= smallMessageBytes {
                // Messages this small cost what a tiny item's round trip costs, whatever they hold.
                let cost = roundTrip * Double(processes.items)
                transfer = cost
                sentence += "; at the \(BenchFormat.seconds(roundTrip)) a tiny item's round trip cost (overhead workload), sending them took about \(BenchFormat.seconds(cost)), \(BenchFormat.percent(cost / processes.seconds)) of the processes' wall time"
            }
            sentences.append(sentence + ".")
        }
        if let startup = processes.startupSeconds, let share = processes.startupShare {
            sentences.append("Starting the \(processes.width) worker process\(processes.width == 1 ? "" : "es") took \(BenchFormat.seconds(startup)), \(BenchFormat.percent(share)) of their \(BenchFormat.seconds(processes.seconds)).")
        }

        // Only a loss needs explaining: how much of it the figures above account for.
        guard ratio >= tieRatio, let startup = processes.startupSeconds else { return sentences }
        let gap = processes.seconds - threads.seconds
        let threadStartup = threads.startupSeconds ?? 0
        let startupCost = max(0, startup - threadStartup)
        let explained = min(gap, startupCost + (transfer ?? 0))
        let measuredParts = transfer == nil ? "start-up accounts" : "start-up and sending account"
        if explained >= gap * explainedShare {
            if startupCost >= (transfer ?? 0) {
                sentences.append("Start-up accounts for \(BenchFormat.seconds(explained)) of the \(BenchFormat.seconds(gap)) processes lost: it is paid once per pool, so a Pool kept for many batches loses far less.")
            } else {
                sentences.append("Sending the items accounts for \(BenchFormat.seconds(explained)) of the \(BenchFormat.seconds(gap)) processes lost: fewer, larger messages (chunks) would shrink it.")
            }
        } else {
            let unexplained = gap - explained
            var sentence = "Of the \(BenchFormat.seconds(gap)) processes lost, \(measuredParts) for \(BenchFormat.seconds(explained)); the other \(BenchFormat.seconds(unexplained)) is not explained by anything this bench measured"
            if let input = section.inputBytesPerItem, let output = section.outputBytesPerItem, input + output <= smallMessageBytes {
                sentence += " — not by copying data through pipes, with \(BenchFormat.bytes(input + output)) per item"
            }
            sentences.append(sentence + ".")
        }
        return sentences
    }

    /// A message at most this large costs a round trip like a tiny item's: well under a pipe's
    /// 64 KiB buffer, so it moves in one write and one read.
    static let smallMessageBytes = 4096.0
    /// Figures that cover at least this share of a gap are said to account for it.
    static let explainedShare = 0.8

    /// Seconds per item of one-item-per-message dispatch on processes (the overhead workload), at
    /// `width` when measured there, else at its best width: the cost of one round trip.
    static func roundTrip(_ report: BenchReport, width: Int) -> Double? {
        guard let dispatch = report.sections.first(where: { $0.nature == .dispatch }) else { return nil }
        let rows = dispatch.rows.filter { $0.engine == .processes && $0.variant == nil && $0.failures == 0 && $0.items > 0 && $0.seconds > 0 }
        let row = rows.first { $0.width == width } ?? rows.max { $0.throughput < $1.throughput }
        return row.map(\.secondsPerItem)
    }

    /// A sentence when rows wider than the core count were slower than the best row at or below it.
    private static func widerThanCoresLost(_ section: BenchSection, cores: Int) -> String? {
        let plain = section.rows.filter { $0.variant == nil && $0.failures == 0 && $0.seconds > 0 }
        guard let bestWithin = plain.filter({ $0.width <= cores }).max(by: { $0.throughput < $1.throughput }),
              let bestBeyond = plain.filter({ $0.width > cores }).max(by: { $0.throughput < $1.throughput }) else { return nil }
        if bestBeyond.throughput * tieRatio < bestWithin.throughput {
            return "More lanes than the \(cores) cores did not help: the best run at width \(bestBeyond.width) reached \(BenchFormat.rate(bestBeyond.throughput)) against \(BenchFormat.rate(bestWithin.throughput)) at width \(bestWithin.width)."
        }
        return nil
    }

    // MARK: - How many concurrent tasks

    static func concurrency(_ report: BenchReport) -> BenchAdvice {
        let sections = report.sections.filter { $0.nature == .ioBound && $0.sweep == .items }
        guard !sections.isEmpty else {
            return BenchAdvice(question: .concurrency, findings: ["Concurrency was not measured in this run."],
                               recommendation: "Run trenza bench --only concurrency to see where each engine stops scaling.")
        }
        var findings: [String] = []
        var recommendation = ""
        for section in sections {
            // Per count: the engines that finished within `anyEngineSpread` of the fastest.
            var keepingUp: [(level: Int, rows: [BenchRow], fine: [BenchRow])] = []
            for level in section.sweepValues {
                let rows = plainRows(section, items: level)
                guard rows.count >= 2, let fastest = rows.min(by: { $0.seconds < $1.seconds }) else { continue }
                keepingUp.append((level, rows, rows.filter { $0.seconds < fastest.seconds * anyEngineSpread }))
            }
            let calmUpTo = keepingUp.prefix { $0.fine.count == $0.rows.count }.last?.level
            if let calmUpTo {
                findings.append("Up to \(BenchFormat.grouped(calmUpTo)) concurrent \(section.unit) every engine finished within \(BenchFormat.ratio(anyEngineSpread)) of the fastest: at that scale any engine will do.")
            }
            let parting = keepingUp.first { $0.fine.count < $0.rows.count }
            if let parting, let fastest = parting.rows.min(by: { $0.seconds < $1.seconds }) {
                let behind = parting.rows.filter { !parting.fine.contains($0) }
                    .map { "\($0.engine) took \(BenchFormat.ratio($0.seconds / fastest.seconds)) as long (\(BenchFormat.seconds($0.seconds)))" }
                findings.append("At \(BenchFormat.grouped(parting.level)) \(section.unit), \(names(parting.fine)) finished within \(BenchFormat.ratio(anyEngineSpread)) of the fastest (\(BenchFormat.seconds(fastest.seconds))); \(behind.joined(separator: ", ")).")
            }
            let alone = keepingUp.first { $0.fine.count == 1 }
            if let alone, alone.level != parting?.level, let leader = alone.fine.first {
                let others = alone.rows.filter { $0 != leader }.map { "\($0.engine) \(BenchFormat.seconds($0.seconds))" }
                findings.append("From \(BenchFormat.grouped(alone.level)) \(section.unit) only \(leader.engine) keeps up: \(BenchFormat.seconds(leader.seconds)), against \(others.joined(separator: ", ")).")
            }
            var scale: [String] = []
            if let calmUpTo { scale.append("up to \(BenchFormat.grouped(calmUpTo)): any engine") }
            if let several = keepingUp.last(where: { $0.fine.count > 1 && $0.fine.count < $0.rows.count }) {
                scale.append("up to \(BenchFormat.grouped(several.level)): \(names(several.fine))")
            }
            if let last = keepingUp.last, let winner = last.rows.min(by: { $0.seconds < $1.seconds }) {
                scale.append("at \(BenchFormat.grouped(last.level)): \(winner.engine), the fastest there")
                recommendation = "Concurrent \(section.unit): " + scale.joined(separator: "; ") + "."
            }
            for level in section.sweepValues.reversed() {
                let rows = plainRows(section, items: level)
                let withMemory = rows.compactMap { row in row.memoryPerItemBytes.map { (row, $0) } }
                guard withMemory.count >= 2, let lightest = withMemory.min(by: { $0.1 < $1.1 }),
                      let heaviest = withMemory.max(by: { $0.1 < $1.1 }) else { continue }
                let list = withMemory.map { "\($0.0.engine) \(BenchFormat.bytes($0.1))" }.joined(separator: ", ")
                var sentence = "Memory per waiter at \(BenchFormat.grouped(level)) \(section.unit): \(list)"
                if lightest.1 > 0 && heaviest.1 / lightest.1 >= tieRatio {
                    sentence += "; \(lightest.0.engine) needs \(BenchFormat.ratio(heaviest.1 / lightest.1)) less than \(heaviest.0.engine)."
                } else {
                    sentence += "."
                }
                findings.append(sentence)
                break
            }
            let capped = section.rows.filter { $0.width < $0.items && $0.engine == .processes }
            if let cap = capped.map(\.width).max() {
                findings.append("Processes were capped at \(cap) workers (one process per waiter would exhaust memory): beyond that their \(section.unit) wait in turn.")
            }
        }
        if recommendation.isEmpty { recommendation = "Too few engines were measured at the same counts to compare them." }
        return BenchAdvice(question: .concurrency, findings: findings, recommendation: recommendation)
    }

    // MARK: - Shared state

    static func sharedState(_ report: BenchReport) -> BenchAdvice {
        var findings: [String] = []
        var recommendation = "Run trenza bench --only overhead to measure what crossing a process boundary costs."
        if let dispatch = report.sections.first(where: { $0.nature == .dispatch }) {
            let best = plainBest(dispatch)
            let threads = best.first { $0.engine == .threads }
            let processes = best.first { $0.engine == .processes }
            let chunked = dispatch.rows.filter { $0.engine == .processes && $0.variant != nil && $0.failures == 0 }
                .max { $0.throughput < $1.throughput }
            if let threads, let processes {
                let threadCost = 1 / threads.throughput, processCost = 1 / processes.throughput
                if processCost > threadCost * tieRatio {
                    findings.append("Threads share the program's memory: handing one item to the thread pool and back cost \(BenchFormat.seconds(threadCost)). A worker process shares nothing: each item is copied through pipes both ways, \(BenchFormat.seconds(processCost)) per item, \(BenchFormat.ratio(processCost / threadCost)) the thread pool's cost.")
                    recommendation = "Shared mutable state → threads (behind a lock or an actor); independent items → processes only when each item takes well over \(BenchFormat.seconds(processCost * overheadFactor)) (or in chunks), so the copying stays under 1 %."
                } else {
                    findings.append("Here a worker process round trip (\(BenchFormat.seconds(processCost)) per item) cost no more than the thread pool's hand-off (\(BenchFormat.seconds(threadCost))): copying is cheap on this machine.")
                    recommendation = "Shared mutable state → threads, for simplicity; independent items can go to processes at no measurable cost here."
                }
                if let chunked, chunked.throughput > processes.throughput * tieRatio {
                    findings.append("Sent in \(chunked.variant ?? "chunks"), processes reached \(BenchFormat.rate(chunked.throughput)) instead of \(BenchFormat.rate(processes.throughput)): batching amortises the copying.")
                }
            }
            if let async = best.first(where: { $0.engine == .async }), let threads {
                findings.append("Async tasks share memory like threads; their hand-off cost \(BenchFormat.seconds(1 / async.throughput)) per item against \(BenchFormat.seconds(1 / threads.throughput)) for threads.")
            }
        }
        if let defaults = report.sections.first(where: { $0.nature == .throughput }),
           let processes = plainBest(defaults).first(where: { $0.engine == .processes }) {
            // What a user gets without tuning decides the advice, not the one-item-per-message
            // figure: the engine chunks tiny items by itself.
            if processes.throughput > 0, let single = report.sections.first(where: { $0.nature == .dispatch })
                .flatMap({ plainBest($0).first { $0.engine == .processes } }), single.throughput > 0 {
                recommendation = "Shared mutable state → threads (behind a lock or an actor); independent items → processes at any size with the default automatic chunks (\(BenchFormat.seconds(1 / processes.throughput)) per tiny item here); with chunkSize 1, only when each item takes well over \(BenchFormat.seconds(overheadFactor / single.throughput)), so the copying stays under 1 %."
            }
            var sentence = "With every setting at its default (automatic chunks), processes reached \(BenchFormat.rate(processes.throughput)) on tiny items at width \(processes.width)"
            if let single = defaults.rows.filter({ $0.engine == .processes && $0.variant != nil && $0.failures == 0 && $0.seconds > 0 })
                .max(by: { $0.throughput < $1.throughput }) {
                sentence += ", \(BenchFormat.ratio(processes.throughput / single.throughput)) their rate at \(single.variant ?? "one item per message")"
            }
            if let threads = plainBest(defaults).first(where: { $0.engine == .threads }) {
                sentence += "; threads \(BenchFormat.rate(threads.throughput))"
            }
            findings.append(sentence + ".")
        }
        if let startup = report.sections.first(where: { $0.nature == .startup }) {
            let rows = plainBest(startup)
            if let processes = rows.first(where: { $0.engine == .processes }), let threads = rows.first(where: { $0.engine == .threads }) {
                findings.append("Starting \(processes.width) worker processes took \(BenchFormat.seconds(processes.seconds)); starting \(threads.width) threads \(BenchFormat.seconds(threads.seconds)).")
            }
        }
        if findings.isEmpty { findings.append("Dispatch overhead was not measured in this run.") }
        return BenchAdvice(question: .sharedState, findings: findings, recommendation: recommendation)
    }

    // MARK: - Past one machine

    /// What the cluster's queue costs per item and on a real batch, from the rows that ran
    /// through it, against the processes engine at the same width.
    static func cluster(_ report: BenchReport) -> BenchAdvice {
        var findings: [String] = []
        var perItem: Double?
        for section in report.sections where section.rows.contains(where: { $0.engine == .cluster }) {
            let clusterRows = section.rows.filter { $0.engine == .cluster && $0.failures == 0 && $0.seconds > 0 }
            guard let best = clusterRows.max(by: { $0.throughput < $1.throughput }) else {
                findings.append("\(section.title): the cluster's runs had failures; see the table.")
                continue
            }
            let local = section.rows.filter { $0.engine == .processes && $0.variant == nil && $0.width == best.width && $0.failures == 0 && $0.seconds > 0 }.first
            var sentence = "\(section.title): the cluster ran \(BenchFormat.rate(best.throughput)) \(section.unit) with \(best.width) worker\(best.width == 1 ? "" : "s")"
            if let local {
                let ratio = best.throughput / local.throughput
                sentence += ratio >= 1 ? ", \(BenchFormat.ratio(ratio)) the processes engine at that width"
                    : ", \(BenchFormat.percent(1 - ratio)) slower than the processes engine at that width (\(BenchFormat.rate(local.throughput)))"
            }
            findings.append(sentence + ".")
            if section.nature == .dispatch { perItem = best.secondsPerItem }
        }
        guard !findings.isEmpty else {
            return BenchAdvice(question: .cluster, findings: ["The cluster was not measured in this run."],
                               recommendation: "Run trenza bench --queue URL (a PostgreSQL database; scripts/postgres-local.sh starts one) to see what its queue costs here.")
        }
        let recommendation: String
        if let perItem {
            recommendation = "Reach for the cluster when one machine's cores are not enough or a batch must outlive a machine: its queue costs about \(BenchFormat.seconds(perItem)) per input here, under 1 % for inputs that take \(BenchFormat.seconds(perItem * overheadFactor)) or more; below that, chunk or stay on one machine's processes."
        } else {
            recommendation = "Reach for the cluster when one machine's cores are not enough or a batch must outlive a machine; on one machine the processes engine does the same work without a database."
        }
        return BenchAdvice(question: .cluster, findings: findings, recommendation: recommendation)
    }

    // MARK: - Helpers

    /// The engines that led (within noise) in every workload of a kind; failing that, each
    /// workload's own leader.
    private static func choose(_ leaders: [[String]]) -> String {
        let everywhere = leaders[0].filter { engine in leaders.allSatisfy { $0.contains(engine) } }
        return everywhere.isEmpty ? summarise(leaders.map { $0[0] }) : everywhere.joined(separator: " or ")
    }

    /// "threads", "threads and async", "threads, processes and async".
    private static func names(_ rows: [BenchRow]) -> String {
        let engines = rows.map(\.engine.rawValue)
        guard engines.count > 1 else { return engines.first ?? "" }
        return engines.dropLast().joined(separator: ", ") + " and " + engines.last!
    }

    /// Each engine's best row without a variant.
    private static func plainBest(_ section: BenchSection) -> [BenchRow] {
        section.bestPerSeries.filter { $0.variant == nil }
    }

    private static func plainRows(_ section: BenchSection, items: Int) -> [BenchRow] {
        section.rows.filter { $0.variant == nil && $0.failures == 0 && $0.seconds > 0 && section.sweepValue($0) == items }
    }

    /// The largest sweep value at which at least two engines were measured, and their rows there.
    private static func largestSharedLevel(_ section: BenchSection) -> (Int, [BenchRow])? {
        for level in section.sweepValues.reversed() {
            let rows = plainRows(section, items: level)
            if Set(rows.map(\.engine)).count >= 2 { return (level, rows) }
        }
        return nil
    }

    /// "threads" or "threads (cpu), processes (images)"-style lists collapse to one name when all agree.
    private static func summarise(_ winners: [String]) -> String {
        let distinct = winners.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return distinct.count == 1 ? distinct[0] : distinct.joined(separator: " or ") + ", depending on the work"
    }
}
