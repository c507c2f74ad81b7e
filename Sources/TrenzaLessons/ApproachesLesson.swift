import Foundation
import Trenza

/// §5.1: the tutorial's benchmark of the three approaches, downloading 10 pages of one site with
/// threads (one per URL), a pool of 5 processes and async tasks (one per URL), against a
/// `trenza serve` started for the lesson whose every response waits 1 s (scaled).
///
/// Every engine runs TrenzaFetch's same download job; the lesson checks that each wrote all ten
/// files with the server's exact bytes, and compares the times with the same downloads made one
/// at a time.
struct ApproachesLesson: Lesson {
    let slug = "compare"
    let section = "5.1"
    let title = "Threads, processes and async downloading 10 URLs, compared"

    /// Seconds the server holds back every response, in the tutorial's time.
    static let latency = 1.0
    static let pages: [LessonDownloads.Page] = (0..<10).map { LessonDownloads.Page(size: 100_000, seed: 510 + UInt64($0)) }
    /// The tutorial's widths: a thread per URL, `multiprocessing.Pool(5)`, a task per URL.
    static let approaches: [(engine: Engine, width: Int, label: String)] = [
        (.threads, 10, "threads, one per URL"),
        (.processes, 5, "processes, a pool of 5"),
        (.async, 10, "async, one task per URL"),
    ]

    func run(_ context: LessonContext) async throws -> [Check] {
        try await LessonDownloads.withServer(latency: Self.latency, context: context) { downloads in
            let pages = Self.pages
            context.say("\(pages.count) pages of \(pages[0].size / 1000) KB from a local trenza serve (\(downloads.base)); each response waits \(context.describe(downloads.latency)).")
            context.say("""
                Each approach runs the same job, fetch.download, by name: worker processes find it \
                in their registry. (The tutorial's multiprocessing version defines download inside \
                a function, which Pool cannot pickle: in Python it fails before downloading anything.)
                """)

            let oneByOne = try await downloads.download(pages, engine: .async, width: 1, into: "one-by-one")
            var runs: [(label: String, run: LessonDownloads.Run)] = [("one at a time (yardstick)", oneByOne)]
            for approach in Self.approaches {
                let run = try await downloads.download(pages, engine: approach.engine, width: approach.width, into: approach.engine.rawValue)
                runs.append((approach.label, run))
            }

            context.say("approach                     width  time")
            for (label, run) in runs {
                context.say(label.padding(toLength: 28, withPad: " ", startingAt: 0) + " " + String(format: "%5d", run.width)
                            + "  \(context.describe(run.seconds)), \(downloads.inLatencies(run.seconds))")
            }

            var checks: [Check] = []
            for (_, run) in runs.dropFirst() {
                let verdict = downloads.verify(run, pages)
                checks.append(Check("\(run.engine): all \(pages.count) files, byte-identical to the server's", verdict.allIntact,
                                    observed: verdict.summary))
            }
            // Each file equals the server's bytes, so equal files follow; compared directly all the
            // same, as `trenza fetch --compare` does.
            let reference = downloads.contents(of: runs[1].run)
            let same = runs.dropFirst(2).allSatisfy { downloads.contents(of: $0.run) == reference } && !reference.contains(nil)
            checks.append(Check("the three engines wrote the same bytes", same,
                                observed: same ? "\(pages.count) files × 3 engines identical" : "the engines' files differ"))
            // Overlap is judged by the time saved, which is the waits: a ratio of times would also
            // weigh the connecting and writing, which at small time scales (and on a busy machine)
            // outweigh ten short waits.
            let waitsToSave = Double(pages.count - 1) * downloads.latency
            for (_, run) in runs.dropFirst() where run.width >= pages.count {
                let saved = oneByOne.seconds - run.seconds
                checks.append(Check("\(run.engine) at width \(run.width) overlapped the \(pages.count) waits: it saved at least half of the \(pages.count - 1) waits that one at a time adds",
                                    run.seconds >= downloads.latency * 0.98 && saved >= waitsToSave / 2,
                                    observed: "\(context.describe(run.seconds)) (\(downloads.inLatencies(run.seconds))) against \(context.describe(oneByOne.seconds)): saved \(downloads.inLatencies(max(0, saved)))"))
            }
            if let pool = runs.first(where: { $0.run.engine == .processes })?.run {
                let rounds = (pages.count + pool.width - 1) / pool.width
                checks.append(Check("a pool of \(pool.width) processes needs \(rounds) rounds of waiting for \(pages.count) URLs",
                                    pool.seconds >= Double(rounds) * downloads.latency * 0.98,
                                    observed: "\(context.describe(pool.seconds)) (\(downloads.inLatencies(pool.seconds)))"))
            }
            context.say(conclusion(runs.map(\.run), latency: downloads.latency, context))
            return checks
        }
    }

    /// What the figures show, in words that follow them.
    private func conclusion(_ runs: [LessonDownloads.Run], latency: Double, _ context: LessonContext) -> String {
        let times = Dictionary(runs.dropFirst().map { ($0.engine, $0.seconds) }, uniquingKeysWith: { first, _ in first })
        let fastest = times.min { $0.value < $1.value }?.key
        var text = "Downloads wait on the network, not on the CPU: threads and async tasks overlap all ten waits."
        if let fastest { text += " Fastest this run: \(fastest)." }
        text += " The pool of 5 processes waits twice, and starting its workers adds to that; processes pay off for CPU work (§3.1), not here."
        if let best = times.values.min(), best > 1.5 * latency {
            text += " Connecting, writing and flushing ten files is large next to a latency of \(context.describe(latency)): at --time-scale 1 the wide engines take about one latency."
        }
        return text
    }
}
