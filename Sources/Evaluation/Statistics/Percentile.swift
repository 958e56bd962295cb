/// A two-sided interval, written to JSON as `[lo, hi]` because that is the shape issue 12's
/// summary.json gives `ci95`, and it is what plotting tools take for error bars.
public struct ConfidenceInterval: Codable, Sendable, Equatable, CustomStringConvertible {
    public var lower: Double
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        lower = try container.decode(Double.self)
        upper = try container.decode(Double.self)
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "an interval has two bounds")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(lower)
        try container.encode(upper)
    }

    public var description: String { "[\(lower), \(upper)]" }
}

/// The `q`-quantile (q in [0, 1]) of ascending `sorted` values by linear interpolation between the two
/// nearest order statistics: position h = (n - 1) q, value x[floor h] + (h - floor h) (x[floor h + 1] -
/// x[floor h]). This is numpy's default (`np.percentile(..., method="linear")`, Hyndman-Fan type 7), so
/// an interval can be checked against numpy on the same replicates, and it is defined for any n >= 1.
public func linearQuantile(sorted: [Double], _ q: Double) -> Double {
    precondition(!sorted.isEmpty, "linearQuantile: no values")
    precondition(q >= 0 && q <= 1, "linearQuantile: q must be in [0, 1], got \(q)")
    let position = Double(sorted.count - 1) * q
    let below = Int(position.rounded(.down))
    let above = min(below + 1, sorted.count - 1)
    let fraction = position - Double(below)
    let low = sorted[below], high = sorted[above]
    // numpy's `_lerp`: from the nearer neighbour, so the result stays inside [low, high] and equals
    // numpy's to the last bit on the same replicates.
    return fraction < 0.5 ? low + (high - low) * fraction : high - (high - low) * (1 - fraction)
}

/// The central `level` interval of `values`: the linearQuantile at (1 - level) / 2 and (1 + level) / 2,
/// for 0.95 numpy's `np.percentile(values, [2.5, 97.5])`. The quantiles go through percent, as numpy's
/// do (2.5 / 100), so that 0.95 gives exactly 0.025 and 0.975 rather than 0.025000000000000022.
public func percentileInterval(_ values: [Double], level: Double = 0.95) -> ConfidenceInterval {
    precondition(level > 0 && level < 1, "percentileInterval: level must be in (0, 1), got \(level)")
    let sorted = values.sorted()
    let percent = 100 * level
    return ConfidenceInterval(lower: linearQuantile(sorted: sorted, (100 - percent) / 2 / 100),
                              upper: linearQuantile(sorted: sorted, (100 + percent) / 2 / 100))
}
