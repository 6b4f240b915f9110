/// Sums of the appliance's own metrics, read from their Prometheus text exposition (the
/// `/metrics` page, `PrometheusCollectorRegistry.emit`): how `status` counts exchanges, drops
/// and transfers without a second set of counters in every service. Pure; lines it does not
/// understand are skipped.
public struct MetricsReading: Sendable {
    private struct Sample {
        var name: Substring
        var labels: Substring
        var value: Double
    }

    private var samples: [Sample] = []

    public init(text: some StringProtocol) {
        for line in text.split(whereSeparator: { $0 == "\n" }) where !line.hasPrefix("#") {
            let body = Substring(line)
            guard let space = body.lastIndex(of: " "),
                  let value = Double(body[body.index(after: space)...].trimmingPrefix(" ")) else { continue }
            let series = body[..<space]
            let name: Substring, labels: Substring
            if let brace = series.firstIndex(of: "{") {
                name = series[..<brace]
                labels = series[brace...]
            } else {
                name = series
                labels = ""
            }
            samples.append(Sample(name: name, labels: labels, value: value))
        }
    }

    /// The sum of every series of `name` whose labels include each of `matching`
    /// (`label="value"`); histogram and summary parts (`_bucket`, `_sum`, `_count`) are other names.
    public func sum(_ name: String, matching: [String: String] = [:]) -> Double {
        let wanted = matching.map { "\($0.key)=\"\($0.value)\"" }
        return samples.lazy.filter { sample in
            sample.name == name && wanted.allSatisfy { sample.labels.contains("{" + $0) || sample.labels.contains("," + $0) }
        }.reduce(0) { $0 + ($1.value.isFinite ? $1.value : 0) }
    }

    /// `sum` as a count (rounded toward zero, clamped to `Int`).
    public func count(_ name: String, matching: [String: String] = [:]) -> Int {
        let value = sum(name, matching: matching)
        guard value.isFinite else { return 0 }
        return Int(max(min(value, 9.0e15), -9.0e15))
    }
}
