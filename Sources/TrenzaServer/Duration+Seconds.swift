extension Duration {
    /// The duration as a number of seconds, to the nanosecond, for JSON and headers.
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
