/// Which items of a batch have an outcome: a bit each.
struct FilledSet {
    let count: Int
    private var words: [UInt64]
    private(set) var filledCount = 0

    init(count: Int) {
        self.count = count
        words = Array(repeating: 0, count: (count + 63) / 64)
    }

    func contains(_ index: Int) -> Bool { words[index >> 6] & (1 << UInt64(index & 63)) != 0 }

    /// Marks `items`; false, marking nothing, if any was marked already or is out of range.
    mutating func insert(_ items: Range<Int>) -> Bool {
        guard items.lowerBound >= 0, items.upperBound <= count else { return false }
        for index in items where contains(index) { return false }
        for index in items { words[index >> 6] |= 1 << UInt64(index & 63) }
        filledCount += items.count
        return true
    }
}
