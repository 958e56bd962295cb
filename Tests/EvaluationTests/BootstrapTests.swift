import Randomness
import Testing
@testable import Evaluation

@Suite struct BootstrapTests {
    private func sample(_ count: Int, seed: UInt64, mean: Double = 0.3) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in mean + generator.normal() * 0.2 }
    }

    @Test func sameSeedSameIntervalOtherSeedOtherInterval() {
        let values = sample(50, seed: 1)
        let first = bootstrapMeanInterval(values, seed: 7)
        #expect(first == bootstrapMeanInterval(values, seed: 7))
        #expect(first != bootstrapMeanInterval(values, seed: 8))
        let mean = values.reduce(0, +) / 50
        #expect(first.lower < mean && mean < first.upper)
    }

    /// The documented resampling, written out: replicate r draws n indices in order from one
    /// generator with `int(in: 0...n-1)`, and the interval is numpy's 2.5 / 97.5 percentiles of the
    /// replicate means. `bench report` relies on exactly this to reproduce an interval.
    @Test func followsTheDocumentedResampling() {
        let values = sample(23, seed: 2)
        var generator = SeededGenerator(seed: 99)
        var means: [Double] = []
        for _ in 0..<500 {
            var sum = 0.0
            for _ in 0..<23 { sum += values[generator.int(in: 0...22)] }
            means.append(sum / 23)
        }
        means.sort()
        // h = 499 * 0.025 = 12.475 and 499 * 0.975 = 486.525.
        let lower = means[12] + 0.475 * (means[13] - means[12])
        let upper = means[487] - (means[487] - means[486]) * (1 - 0.525)
        let interval = bootstrapMeanInterval(values, replicates: 500, seed: 99)
        #expect(abs(interval.lower - lower) <= 1e-15 && abs(interval.upper - upper) <= 1e-15,
                "got \(interval), expected [\(lower), \(upper)]")
    }

    /// 200 simulated data sets of 30 normal values with mean 0.3: the 95% interval should contain 0.3
    /// in about 95% of them (the percentile bootstrap of a mean runs a little narrow at n = 30, about
    /// 93%). With 200 sets the count's standard error is about 1.6 points, so 90-98% is a wide margin;
    /// a wrong percentile (say the 25th / 75th) or a resample of the wrong size would fall far outside.
    /// 2,000 replicates instead of 10,000 keep the test fast; the interval's Monte Carlo error is small
    /// beside the spread between data sets.
    @Test func coverageOnSimulatedData() {
        var covered = 0
        for dataSet in 0..<200 {
            let values = sample(30, seed: 1000 + UInt64(dataSet))
            if bootstrapMeanInterval(values, replicates: 2000, seed: UInt64(dataSet)).contains(0.3) { covered += 1 }
        }
        #expect(covered >= 180 && covered <= 196, "covered \(covered) of 200")
    }

    @Test func weightsResampleTheWeightedMean() {
        // One long video with a large error and many short ones with small errors: the frame-weighted
        // MSE (sum w v / sum w) is far above the mean of the per-video MSEs.
        let values = [0.20] + (0..<19).map { 0.01 + Double($0) * 0.0005 }
        let frames = [2000.0] + [Double](repeating: 100, count: 19)
        let weighted = zip(values, frames).reduce(0) { $0 + $1.0 * $1.1 } / frames.reduce(0, +)
        let plain = values.reduce(0, +) / Double(values.count)
        let weightedInterval = bootstrapMeanInterval(values, weights: frames, replicates: 2000, seed: 3)
        let plainInterval = bootstrapMeanInterval(values, replicates: 2000, seed: 3)
        #expect(weightedInterval.contains(weighted))
        #expect(!plainInterval.contains(weighted))
        #expect(plainInterval.contains(plain))
        // Equal weights are the plain mean (up to the rounding of the ratio).
        let equal = bootstrapMeanInterval(values, weights: [Double](repeating: 3, count: 20), replicates: 2000, seed: 3)
        #expect(abs(equal.lower - plainInterval.lower) <= 1e-15 && abs(equal.upper - plainInterval.upper) <= 1e-15)
    }

    @Test func seedAverageSkipsUndefinedValues() {
        let nan = Double.nan
        let rows: [[Double?]] = [[0.1, nil, 0.5, nil],
                                 [0.3, 0.4, nan, nil],
                                 [0.2, 0.6, 0.7, nan]]
        let averaged = seedAveragedVideoValues(rows)
        #expect(averaged.count == 4)
        #expect(abs(averaged[0]! - 0.2) <= 1e-15)
        #expect(abs(averaged[1]! - 0.5) <= 1e-15)
        #expect(abs(averaged[2]! - 0.6) <= 1e-15)
        #expect(averaged[3] == nil)
        // The interval is the bootstrap of the three defined seed averages; no seed defines video 3.
        let interval = bootstrapSeedAveragedInterval(rows, replicates: 300, seed: 4)
        #expect(interval == bootstrapMeanInterval(averaged.compactMap { $0 }, replicates: 300, seed: 4))
        #expect(bootstrapSeedAveragedInterval([[nil, nan]], seed: 4) == nil)
    }

    /// statistics.md's form, literally: one resample of videos per replicate shared by every seed, each
    /// drawn video averaged over seeds, then over the drawn videos. With every value defined it must
    /// give the interval of the precomputed seed averages.
    @Test func seedAveragedIntervalIsTheSharedResampleOverSeeds() {
        var generator = SeededGenerator(seed: 5)
        let seeds = 3, videos = 17
        let rows = (0..<seeds).map { _ in (0..<videos).map { _ -> Double? in generator.normal() } }
        var draws = SeededGenerator(seed: 6)
        var means: [Double] = []
        for _ in 0..<400 {
            let resample = (0..<videos).map { _ in draws.int(in: 0...(videos - 1)) }
            var total = 0.0
            for video in resample {
                var sum = 0.0
                for seed in 0..<seeds { sum += rows[seed][video]! }
                total += sum / Double(seeds)
            }
            means.append(total / Double(videos))
        }
        let expected = percentileInterval(means)
        let interval = bootstrapSeedAveragedInterval(rows, replicates: 400, seed: 6)!
        #expect(abs(interval.lower - expected.lower) <= 1e-15 && abs(interval.upper - expected.upper) <= 1e-15)
    }
}
