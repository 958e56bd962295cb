import Randomness

/// statistics.md's replicate count for every bootstrap interval.
public let defaultBootstrapReplicates = 10_000

/// Percentile bootstrap interval of a (weighted) mean over videos: each replicate draws `values.count`
/// videos with replacement and takes their mean; the interval is `percentileInterval` (numpy's linear
/// 2.5 and 97.5 percentiles for 0.95) of the replicate means.
///
/// `weights` (one per value, positive) make each replicate the ratio sum(w v) / sum(w) over the drawn
/// videos. That is how a frame-weighted metric (the split's test MSE, squared error over all valid
/// frames) is resampled: the interval is then about the same quantity the run reports, not about the
/// unweighted mean of per-video MSEs, which can lie outside it.
///
/// Replicate r draws its videos from one `SeededGenerator(seed:)` stream, in order, as
/// `int(in: 0...n-1)` would: the same seed and the same number of videos give the same resamples, so two
/// models or pairs bootstrapped with one seed share them (common random numbers), and `bench report`
/// reproduces an interval from the run folders alone.
public func bootstrapMeanInterval(_ values: [Double], weights: [Double]? = nil,
                                  replicates: Int = defaultBootstrapReplicates, seed: UInt64,
                                  level: Double = 0.95) -> ConfidenceInterval {
    precondition(!values.isEmpty, "bootstrapMeanInterval: no values")
    precondition(replicates > 0, "bootstrapMeanInterval: replicates must be positive")
    precondition(values.allSatisfy(\.isFinite), "bootstrapMeanInterval: values must be finite")
    if let weights {
        precondition(weights.count == values.count, "bootstrapMeanInterval: one weight per value")
        precondition(weights.allSatisfy { $0 > 0 && $0.isFinite }, "bootstrapMeanInterval: weights must be positive")
    }
    let n = values.count
    var draw = IndexDraw(count: n, seed: seed)
    var means = [Double](repeating: 0, count: replicates)
    for replicate in 0..<replicates {
        var sum = 0.0
        if let weights {
            var weightSum = 0.0
            for _ in 0..<n {
                let index = draw.next()
                sum += weights[index] * values[index]
                weightSum += weights[index]
            }
            means[replicate] = sum / weightSum
        } else {
            for _ in 0..<n { sum += values[draw.next()] }
            means[replicate] = sum / Double(n)
        }
    }
    return percentileInterval(means, level: level)
}

/// Uniform indices in 0..<count, the same sequence as `SeededGenerator.int(in: 0...count-1)` (rejection
/// of the top partial block, then the remainder), with the rejection limit computed once and the draw
/// inlined (the generator's `int(in:)` is not inlinable and recomputes the limit, a second 64-bit
/// division, per draw): 10,000 replicates of 2,000 videos take 0.1 s instead of 0.35.
private struct IndexDraw {
    var generator: SeededGenerator
    let span: UInt64
    let limit: UInt64

    init(count: Int, seed: UInt64) {
        generator = SeededGenerator(seed: seed)
        span = UInt64(count)
        limit = UInt64.max - UInt64.max % span
    }

    @inline(__always) mutating func next() -> Int {
        var value = generator.next()
        while value >= limit { value = generator.next() }
        return Int(value % span)
    }
}

/// Each video's value averaged over the seeds that define it (nil or NaN = undefined for that seed,
/// evaluation.md's skip rule); nil where no seed defines the video.
///
/// `seedValues[s][v]` is seed s's value of video v; every row lists the same videos in the same order.
/// Averaging over seeds before resampling is the same as resampling videos with one shared resample
/// for every seed and averaging over seeds inside each replicate (the per-video seed average does
/// not depend on the resample), and it costs one pass instead of one per replicate.
public func seedAveragedVideoValues(_ seedValues: [[Double?]]) -> [Double?] {
    guard let videoCount = seedValues.first?.count else { return [] }
    precondition(seedValues.allSatisfy { $0.count == videoCount },
                 "seedAveragedVideoValues: every seed must list the same videos")
    return (0..<videoCount).map { video in
        var sum = 0.0, count = 0
        for row in seedValues {
            if let value = row[video], !value.isNaN {
                sum += value
                count += 1
            }
        }
        return count == 0 ? nil : sum / Double(count)
    }
}

/// statistics.md's per-model interval: bootstrap over test videos of the mean over videos of each
/// video's metric averaged over seeds (see `seedAveragedVideoValues`); videos no seed defines are
/// left out before resampling, so every replicate has a mean. `weights`, one per video of a row,
/// as in `bootstrapMeanInterval` (frames for test MSE). Nil when no video has a value.
public func bootstrapSeedAveragedInterval(_ seedValues: [[Double?]], weights: [Double]? = nil,
                                          replicates: Int = defaultBootstrapReplicates, seed: UInt64,
                                          level: Double = 0.95) -> ConfidenceInterval? {
    let averaged = seedAveragedVideoValues(seedValues)
    if let weights {
        precondition(weights.count == averaged.count, "bootstrapSeedAveragedInterval: one weight per video")
    }
    let kept = averaged.indices.filter { averaged[$0] != nil }
    guard !kept.isEmpty else { return nil }
    return bootstrapMeanInterval(kept.map { averaged[$0]! }, weights: weights.map { w in kept.map { w[$0] } },
                                 replicates: replicates, seed: seed, level: level)
}
