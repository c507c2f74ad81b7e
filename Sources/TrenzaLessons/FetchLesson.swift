import Foundation
import Trenza

/// §4.2: async code downloads several URLs at once, in about one server latency instead of one
/// latency per URL.
///
/// The tutorial fetches five web sites with aiohttp and `asyncio.gather`; here five pages of a
/// `trenza serve` started for the lesson, each response held back 1 s (scaled) like a distant
/// site, downloaded by TrenzaFetch's own job: streamed to a `.part` file, flushed, renamed.
struct FetchLesson: Lesson {
    let slug = "fetch"
    let section = "4.2"
    let title = "Async downloads of several URLs at once"

    /// Seconds the server holds back every response, in the tutorial's time.
    static let latency = 1.0
    /// Five pages of different sizes, like the tutorial's five sites.
    static let pages: [LessonDownloads.Page] = [1_256, 48_000, 23_500, 310_000, 152_000].enumerated().map { index, size in
        LessonDownloads.Page(size: size, seed: 42 + UInt64(index))
    }

    func run(_ context: LessonContext) async throws -> [Check] {
        try await LessonDownloads.withServer(latency: Self.latency, context: context) { downloads in
            let pages = Self.pages
            context.say("A local trenza serve on \(downloads.base) holds every response back \(context.describe(downloads.latency)).")

            // The yardstick, measured rather than assumed: the same downloads one at a time.
            let oneByOne = try await downloads.download(pages, engine: .async, width: 1, into: "one-by-one")
            context.say("One at a time: \(pages.count) URLs in \(context.describe(oneByOne.seconds)) (\(downloads.inLatencies(oneByOne.seconds)))")

            // `asyncio.gather` over one task per URL: the async engine as wide as the list.
            let gathered = try await downloads.download(pages, engine: .async, width: pages.count, into: "gathered")
            context.say("All at once:   \(pages.count) URLs in \(context.describe(gathered.seconds)) (\(downloads.inLatencies(gathered.seconds)))")
            let sizes = gathered.results.map { $0.map { String($0.bytes) } ?? "lost" }
            context.say("Sizes: [\(sizes.joined(separator: ", "))]")
            for result in gathered.results.compactMap({ $0 }) {
                context.say("  \(URL(fileURLWithPath: result.path).lastPathComponent): \(result.bytes) bytes, HTTP \(result.status.map(String.init) ?? "-"), \(context.describe(result.seconds))")
            }

            let verdicts = [oneByOne, gathered].map { downloads.verify($0, pages) }
            let shortest = gathered.results.compactMap { $0?.seconds }.min() ?? 0
            // Judged by the time saved, which is the waits (see ApproachesLesson).
            let saved = oneByOne.seconds - gathered.seconds
            let waitsToSave = Double(pages.count - 1) * downloads.latency
            context.say("""
                While one download waits for its response the others' requests are already out: \
                the waits overlap, so the batch costs one latency plus the work of connecting and \
                of writing and flushing the files, not one latency per URL.
                """)
            if gathered.seconds > 1.5 * downloads.latency {
                context.say("That work is large next to a latency of \(context.describe(downloads.latency)): at --time-scale 1 the batch takes about one latency.")
            }
            return [
                Check("every URL downloaded, byte-identical to the server's (both runs)", verdicts.allSatisfy(\.allIntact),
                      observed: verdicts.map(\.summary).joined(separator: " | ")),
                Check("every response really waited the server's latency", shortest >= downloads.latency * 0.98,
                      observed: "shortest download \(context.describe(shortest)), latency \(context.describe(downloads.latency))"),
                Check("the \(pages.count) waits overlapped: all at once saved at least half of the \(pages.count - 1) waits that one at a time adds",
                      gathered.seconds >= downloads.latency * 0.98 && saved >= waitsToSave / 2,
                      observed: "\(context.describe(gathered.seconds)) (\(downloads.inLatencies(gathered.seconds))) against \(context.describe(oneByOne.seconds)) one at a time: saved \(downloads.inLatencies(max(0, saved)))"),
            ]
        }
    }
}
