import Foundation
import Testing
@testable import TrenzaFetch

@Suite struct DownloadListTests {
    @Test func commentsBlankLinesChecksumsAndCRLF() throws {
        let hex = String(repeating: "ab", count: 32)
        let text = "# photos\r\n\r\nhttp://h/a.jpg\r\n  http://h/b\tsha256=\(hex.uppercased())\n\n# end\n"
        let requests = try DownloadList.parse(text, source: "list.txt")
        #expect(requests == [DownloadRequest(url: "http://h/a.jpg"), DownloadRequest(url: "http://h/b", sha256: hex)])
    }

    @Test func badLinesNameTheirLineNumber() {
        #expect(throws: DownloadList.ParseError(source: "l", line: 2, reason: "only http and https URLs can be downloaded: ftp://h/x")) {
            try DownloadList.parse("http://h/a\nftp://h/x\n", source: "l")
        }
        #expect(throws: DownloadList.ParseError(source: "l", line: 1, reason: "sha256 must be 64 hex digits, got \"12\"")) {
            try DownloadList.parse("http://h/a\tsha256=12", source: "l")
        }
        #expect(throws: DownloadList.ParseError.self) { try DownloadList.parse("http://h/a\tmd5=12", source: "l") }
        #expect(throws: DownloadList.ParseError.self) { try DownloadList.parse("http:///nohost", source: "l") }
    }

    @Test func duplicatesAreDroppedKeepingTheFirstAndAnyChecksum() {
        let hex = String(repeating: "0", count: 64)
        let (unique, duplicates) = DownloadList.removingDuplicates([
            .init(url: "http://h/a"), .init(url: "http://h/b"), .init(url: "http://h/a", sha256: hex),
        ])
        #expect(unique == [.init(url: "http://h/a", sha256: hex), .init(url: "http://h/b")])
        #expect(duplicates == 1)
    }
}

@Suite struct FileNamingTests {
    @Test func lastSegmentWithExtensionElseReadablePath() {
        #expect(FileNaming.automaticName(for: "http://h/photos/Cat.JPG?x=1") == PlannedName(stem: "Cat", fileExtension: "jpg"))
        #expect(FileNaming.automaticName(for: "http://h/id/1/800/600") == PlannedName(stem: "id-1-800-600", fileExtension: nil))
        #expect(FileNaming.automaticName(for: "http://h/") == PlannedName(stem: "index", fileExtension: nil))
        #expect(FileNaming.automaticName(for: "http://h/a/..%2F..%2Fetc%2Fpasswd") == PlannedName(stem: "a-_.._etc_passwd", fileExtension: nil))
        #expect(FileNaming.automaticName(for: "http://h/.hidden") == PlannedName(stem: "hidden", fileExtension: nil))
        #expect(FileNaming.automaticName(for: "http://h/v1.2/data") == PlannedName(stem: "v1.2-data", fileExtension: nil))
    }

    @Test func contentTypeGivesTheExtension() {
        #expect(FileNaming.fileExtension(forContentType: "image/jpeg") == "jpg")
        #expect(FileNaming.fileExtension(forContentType: "Application/JSON; charset=utf-8") == "json")
        #expect(FileNaming.fileExtension(forContentType: "application/x-unknown") == nil)
        #expect(PlannedName(stem: "id-1", fileExtension: nil).fileName(contentTypeExtension: "jpg") == "id-1.jpg")
        #expect(PlannedName(stem: "a", fileExtension: "png").fileName(contentTypeExtension: "jpg") == "a.png")
        #expect(PlannedName(stem: "id-1", fileExtension: nil).partName == "id-1.part")
        #expect(PlannedName(stem: "a", fileExtension: "png").partName == "a.png.part")
    }

    @Test func clashesGetAStableHashSuffixAndOthersKeepTheirNames() {
        let urls = ["http://h/a/cat.jpg", "http://h/b/CAT.jpg", "http://h/dog.jpg", "http://h/x/dog", "http://h/x/dog.png"]
        let names = FileNaming.plan(urls)
        #expect(names[0] == PlannedName(stem: "cat-" + FileNaming.urlHash(urls[0]), fileExtension: "jpg"))
        #expect(names[1] == PlannedName(stem: "CAT-" + FileNaming.urlHash(urls[1]), fileExtension: "jpg"))
        #expect(names[2] == PlannedName(stem: "dog", fileExtension: "jpg"))
        #expect(names[3] == PlannedName(stem: "x-dog", fileExtension: nil))
        #expect(names[4] == PlannedName(stem: "dog", fileExtension: "png"))
        // Order does not change a URL's name.
        #expect(FileNaming.plan(urls.reversed()).reversed() == names)
        // The same hash in another process: SHA-256 of the URL, not Swift's seeded Hasher.
        #expect(FileNaming.urlHash("http://h/a/cat.jpg") == "a58d9aaf") // printf %s URL | sha256sum
    }

    /// The tutorial's `imagen_{hash(url) % 10000}.jpg` gives 1,000 URLs a clash in most runs.
    @Test func aThousandURLsGetAThousandNames() {
        let urls = (0..<1000).map { "http://h/id/\($0 % 10)/\($0)/img.jpg" }
        let names = FileNaming.plan(urls)
        #expect(Set(names.map { $0.fileName(contentTypeExtension: nil).lowercased() }).count == 1000)
        #expect(names.allSatisfy { $0.stem.hasPrefix("img-") && $0.fileExtension == "jpg" })
    }

    @Test func templates() throws {
        let urls = ["http://a.example/p/1", "http://b.example/p/1"]
        let names = FileNaming.plan(urls, template: "{index}_{host}_{name}")
        #expect(names.map(\.stem) == ["1_a.example_p-1", "2_b.example_p-1"])
        // A template that makes the same name twice still gets unique names.
        let same = FileNaming.plan(urls, template: "{name}")
        #expect(Set(same.map(\.stem)).count == 2)
        #expect(throws: FileNaming.TemplateError.self) { try FileNaming.validate(template: "fixed") }
        #expect(throws: FileNaming.TemplateError.self) { try FileNaming.validate(template: "{nope}") }
        #expect(throws: FileNaming.TemplateError.self) { try FileNaming.validate(template: "a/{name}") }
        try FileNaming.validate(template: "{host}-{hash}")
    }

    @Test func hexMatchesTheUsualSpelling() {
        #expect(FileNaming.hex([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(FileNaming.hex([UInt8]()) == "")
    }

    @Test func stemsPresentGivesEveryNameAFileCouldHaveBeenMadeFrom() throws {
        let folder = NSTemporaryDirectory() + "trenza-stems-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["a.b.jpg.part", "plain"] {
            try Data().write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        #expect(FileNaming.stemsPresent(in: folder) == ["a", "a.b", "a.b.jpg", "a.b.jpg.part", "plain"])
        #expect(FileNaming.stemsPresent(in: folder + "/missing") == [])
    }

    /// A batch reads its folder once: items whose stem no file there has skip the search for an
    /// earlier run's files; the others still make it.
    @Test func aBatchLooksForEarlierFilesOnlyWhereTheFolderHasTheirStem() throws {
        let folder = NSTemporaryDirectory() + "trenza-batch-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data().write(to: URL(fileURLWithPath: folder + "/id-1-64-64.jpg"))
        try Data().write(to: URL(fileURLWithPath: folder + "/cat.png.part"))
        let requests = ["http://h/id/1/64/64", "http://h/id/2/64/64", "http://h/cat.png", "http://h/dog.png"].map { DownloadRequest(url: $0) }
        let items = FetchItem.batch(requests, folder: folder, settings: FetchSettings())
        #expect(items.map(\.mayFindEarlierFiles) == [true, false, true, false])
        // A folder that does not exist yet holds nothing from an earlier run.
        #expect(FetchItem.batch(requests, folder: folder + "/new", settings: FetchSettings()).allSatisfy { !$0.mayFindEarlierFiles })
    }

    @Test func longNamesAreCutOnCharacterBoundaries() {
        let long = String(repeating: "ñ", count: 300)
        let name = FileNaming.automaticName(for: "http://h/\(long).bin")
        #expect(name.stem.utf8.count <= FileNaming.maximumStemBytes)
        #expect(name.stem.allSatisfy { $0 == "ñ" })
    }
}

@Suite struct RetryPolicyTests {
    @Test func exponentialWithJitterCappedAndRetryAfterAsAFloor() {
        let policy = RetryPolicy(retries: 5, baseDelay: 1, maximumDelay: 8, maximumRetryAfter: 60)
        #expect(policy.delay(afterAttempt: 1, random: { $0.lowerBound }) == 0.5)
        #expect(policy.delay(afterAttempt: 1, random: { $0.upperBound }) == 1)
        #expect(policy.delay(afterAttempt: 3, random: { $0.upperBound }) == 4)
        #expect(policy.delay(afterAttempt: 10, random: { $0.upperBound }) == 8)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 7, random: { $0.upperBound }) == 7)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 3600, random: { $0.upperBound }) == 60)
        #expect(policy.delay(afterAttempt: 4, retryAfter: 0, random: { $0.upperBound }) == 8)
    }

    @Test func retryableStatuses() {
        for status in [408, 429, 500, 502, 503, 504] { #expect(RetryPolicy.isRetryable(status: status)) }
        for status in [400, 401, 403, 404, 410, 416, 501] { #expect(!RetryPolicy.isRetryable(status: status)) }
    }

    @Test func retryAfterSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 1_445_412_480) // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryPolicy.parseRetryAfter(" 120 ") == 120)
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == 30)
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now: now) == 0)
        #expect(RetryPolicy.parseRetryAfter("-5") == nil)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
    }
}

@Suite struct ResumePlanTests {
    @Test func contentRangeForms() {
        #expect(ContentRange("bytes 100-199/1000") == ContentRange("bytes 100-199/1000"))
        let full = ContentRange("bytes 100-199/1000")
        #expect(full?.first == 100 && full?.last == 199 && full?.total == 1000)
        #expect(ContentRange("bytes 0-9/*")?.total == nil)
        #expect(ContentRange("bytes */1000")?.total == 1000)
        #expect(ContentRange("bytes */1000")?.first == nil)
        #expect(ContentRange("bytes 9-1/10") == nil)
        #expect(ContentRange("items 0-1/2") == nil)
        #expect(ContentRange("bytes */*") == nil)
    }

    @Test func decisions() {
        #expect(ResumePlan.decide(partSize: 100, rangeRequested: true, status: 206, contentRange: "bytes 100-999/1000") == .append(offset: 100))
        #expect(ResumePlan.decide(partSize: 100, rangeRequested: true, status: 206, contentRange: "bytes 0-999/1000") == .discardAndRetry)
        #expect(ResumePlan.decide(partSize: 100, rangeRequested: true, status: 206, contentRange: nil) == .discardAndRetry)
        #expect(ResumePlan.decide(partSize: 100, rangeRequested: true, status: 200, contentRange: nil) == .restart)
        #expect(ResumePlan.decide(partSize: 1000, rangeRequested: true, status: 416, contentRange: "bytes */1000") == .alreadyComplete)
        #expect(ResumePlan.decide(partSize: 1200, rangeRequested: true, status: 416, contentRange: "bytes */1000") == .discardAndRetry)
        #expect(ResumePlan.decide(partSize: 100, rangeRequested: false, status: 200, contentRange: nil) == .restart)
        #expect(ResumePlan.decide(partSize: 0, rangeRequested: false, status: 200, contentRange: nil) == .restart)
    }
}
