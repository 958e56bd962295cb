import FileSupport
import Foundation
import Randomness
import Testing
@testable import Evaluation

/// A model's observations from per-seed per-video values: each run's value is the mean of the videos
/// it defines, as a run's split-level tau or rho is.
private func observations(_ values: [Int: [Double?]], weights: [Double]? = nil) -> MetricObservations {
    let runs = values.keys.sorted().map { seed -> RunValue in
        let defined = values[seed]!.compactMap { $0 }.filter { !$0.isNaN }
        return RunValue(seed: seed, value: defined.reduce(0, +) / Double(defined.count))
    }
    return MetricObservations(runs: runs, videoValues: values, videoWeights: weights)
}

/// Seeds 0..<seeds of `videos` tau-like values: a per-video difficulty shared by every model and seed,
/// plus seed noise, so that paired differences are much less noisy than the values.
private func simulatedModel(seeds: Int = 3, videos: Int, shift: Double = 0, noiseSeed: UInt64) -> [Int: [Double?]] {
    var difficulty = SeededGenerator(seed: 1)
    let base = (0..<videos).map { _ in 0.2 + 0.3 * difficulty.uniform() }
    var noise = SeededGenerator(seed: noiseSeed)
    var values: [Int: [Double?]] = [:]
    for seed in 0..<seeds {
        values[seed] = base.map { $0 + shift + 0.02 * noise.normal() }
    }
    return values
}

@Suite struct PairedComparisonTests {
    @Test func anIdenticalCopyIsNotDistinguishable() throws {
        for videos in [12, 40] {  // the exact test and the Monte Carlo one
            let model = observations(simulatedModel(videos: videos, noiseSeed: 2))
            let test = try comparePair(metric: "spearman_rho", direction: .higherIsBetter,
                                       a: "csta", model, b: "csta-copy", model, seed: 0)
            #expect(test.exact == (videos <= 20))
            #expect(test.videos == videos && test.skipped == 0)
            #expect(test.meanDifference == 0)
            #expect(test.pValue == 1)
            #expect(test.ci95 == ConfidenceInterval(lower: 0, upper: 0))
            #expect(test.seedAgreement == 0.5)
            let row = try #require(adjustByHolm([test]).first)
            #expect(row.pHolm == 1)
            #expect(row.verdict == "not distinguishable")
        }
    }

    @Test func aShiftedCopyIsDetectedInTheRightDirection() throws {
        for videos in [12, 40] {
            let logonet = observations(simulatedModel(videos: videos, noiseSeed: 3))
            let csta = observations(simulatedModel(videos: videos, shift: 0.05, noiseSeed: 4))
            let same = observations(simulatedModel(videos: videos, noiseSeed: 5))
            let tests = [
                try comparePair(metric: "kendall_tau", direction: .higherIsBetter, a: "logonet", logonet, b: "csta", csta, seed: 9),
                try comparePair(metric: "kendall_tau", direction: .higherIsBetter, a: "csta", csta, b: "logonet", logonet, seed: 9),
                try comparePair(metric: "kendall_tau", direction: .higherIsBetter, a: "logonet", logonet, b: "videosage", same, seed: 9),
            ]
            let rows = adjustByHolm(tests)
            #expect(rows[0].verdict == "logonet < csta", "\(videos) videos: \(rows[0])")
            #expect(rows[1].verdict == "csta > logonet", "\(videos) videos: \(rows[1])")
            // Two runs of the same model with different noise: no real difference to find.
            #expect(rows[2].verdict == "not distinguishable", "\(videos) videos: \(rows[2])")
            #expect(abs(rows[0].meanDifference + 0.05) < 0.02 && abs(rows[1].meanDifference - 0.05) < 0.02)
            #expect(rows[0].ci95.upper < 0 && rows[1].ci95.lower > 0)
            #expect(rows[0].pHolm < 0.05 && rows[0].pHolm >= rows[0].pValue)
            #expect(rows[0].seedAgreement == 0 && rows[1].seedAgreement == 1)
        }
    }

    /// For an error metric "a < b" still means a's values are smaller, which is the better model;
    /// seed agreement counts the seeds where a is better, so it is 1 here.
    @Test func lowerIsBetterReadsTheSameVerdictAndAgreesByQuality() throws {
        let accurate = observations(simulatedModel(videos: 30, noiseSeed: 6).mapValues { $0.map { $0! * 0.1 } })
        let worse = observations(simulatedModel(videos: 30, shift: 0.1, noiseSeed: 7).mapValues { $0.map { $0! * 0.1 } })
        let row = adjustByHolm([try comparePair(metric: "test_mse", direction: .lowerIsBetter,
                                                a: "csta", accurate, b: "logonet", worse, seed: 1)])[0]
        #expect(row.verdict == "csta < logonet")
        #expect(row.meanDifference < 0)
        #expect(row.seedAgreement == 1)
        #expect(seedAgreement(worse, accurate, direction: .lowerIsBetter) == 0)
        #expect(seedAgreement(worse, accurate, direction: .higherIsBetter) == 1)
    }

    @Test func skippedVideosAreCountedAndLeftOut() throws {
        var a = simulatedModel(videos: 20, noiseSeed: 8)
        var b = simulatedModel(videos: 20, shift: 0.01, noiseSeed: 9)
        for seed in 0..<3 {
            a[seed]![2] = nil       // undefined for a in every seed
            b[seed]![5] = .nan      // undefined for b in every seed
        }
        a[1]![7] = nil              // undefined in one seed only: a's value is the other two seeds' mean
        let test = try comparePair(metric: "spearman_rho", direction: .higherIsBetter,
                                   a: "a", observations(a), b: "b", observations(b), seed: 2)
        #expect(test.videos == 18 && test.skipped == 2)
        var differences: [Double] = []
        for video in 0..<20 where video != 2 && video != 5 {
            let seedsA = (0..<3).compactMap { a[$0]![video] }
            let meanA = seedsA.reduce(0, +) / Double(seedsA.count)
            let meanB = (0..<3).map { b[$0]![video]! }.reduce(0, +) / 3
            differences.append(meanA - meanB)
        }
        #expect(abs(test.meanDifference - differences.reduce(0, +) / 18) <= 1e-15)
        #expect(test.pValue == signFlipTest(differences, seed: 0).pValue)
    }

    @Test func weightsMakeTheDifferenceFrameWeighted() throws {
        let frames: [Double] = [100, 300, 50, 250]
        let a = observations([0: [0.02, 0.04, 0.01, 0.03]], weights: frames)
        let b = observations([0: [0.03, 0.02, 0.02, 0.01]], weights: frames)
        let test = try comparePair(metric: "test_mse", direction: .lowerIsBetter, a: "a", a, b: "b", b, seed: 0)
        // (100 (-0.01) + 300 (0.02) + 50 (-0.01) + 250 (0.02)) / 700 = 9.5 / 700
        #expect(abs(test.meanDifference - 9.5 / 700) <= 1e-15)
        // The test flips the weighted terms w_v d_v.
        #expect(test.pValue == signFlipTest([-1.0, 6, -0.5, 5], seed: 0).pValue)
        let other = observations([0: [0.03, 0.02, 0.02, 0.01]], weights: [1, 1, 1, 1])
        #expect(throws: StatisticsError.weightsDiffer(metric: "test_mse", a: "a", b: "b")) {
            try comparePair(metric: "test_mse", direction: .lowerIsBetter, a: "a", a, b: "b", other, seed: 0)
        }
    }

    @Test func badInputsThrowNamingTheModel() {
        let a = observations([0: [0.1, 0.2, 0.3]])
        #expect(throws: StatisticsError.videoCountMismatch(model: "b", metric: "f1", seed: 0, expected: 3, actual: 2)) {
            try comparePair(metric: "f1", direction: .higherIsBetter, a: "a", a, b: "b", observations([0: [0.1, 0.2]]), seed: 0)
        }
        #expect(throws: StatisticsError.videoCountMismatch(model: "a", metric: "f1", seed: 1, expected: 3, actual: 2)) {
            try comparePair(metric: "f1", direction: .higherIsBetter,
                            a: "a", observations([0: [0.1, 0.2, 0.3], 1: [0.1, 0.2]]), b: "b", a, seed: 0)
        }
        let undefined = MetricObservations(runs: [RunValue(seed: 0, value: 0.2)], videoValues: [0: [nil, nil, .nan]])
        #expect(throws: StatisticsError.noCommonVideos(metric: "f1", a: "a", b: "b")) {
            try comparePair(metric: "f1", direction: .higherIsBetter, a: "a", a, b: "b", undefined, seed: 0)
        }
        #expect(throws: StatisticsError.noRuns(model: "a", metric: "f1")) {
            try summarizeModel(model: "a", variant: "report", size: "small", metric: "f1",
                               observations: MetricObservations(runs: []), seed: 0)
        }
        #expect(throws: StatisticsError.infiniteVideoValue(model: "a", metric: "f1", seed: 0, video: 1)) {
            try summarizeModel(model: "a", variant: "report", size: "small", metric: "f1",
                               observations: MetricObservations(runs: [RunValue(seed: 0, value: 0.1)],
                                                                videoValues: [0: [0.1, .infinity]]), seed: 0)
        }
    }

    @Test func holmIsAppliedPerMetric() throws {
        let models = (0..<3).map { observations(simulatedModel(videos: 15, shift: 0.01 * Double($0), noiseSeed: 20 + UInt64($0))) }
        let named = zip(["x", "y", "z"], models).map { (name: $0, observations: $1) }
        let tau = try compareAllPairs(metric: "kendall_tau", direction: .higherIsBetter, models: named, seed: 3)
        let rho = try compareAllPairs(metric: "spearman_rho", direction: .higherIsBetter, models: Array(named.prefix(2)), seed: 3)
        #expect(tau.map { "\($0.a)-\($0.b)" } == ["x-y", "x-z", "y-z"])
        let rows = adjustByHolm([tau[0], rho[0], tau[1], tau[2]])
        #expect(rows.map(\.metric) == ["kendall_tau", "spearman_rho", "kendall_tau", "kendall_tau"])
        #expect(rows.map(\.pHolm) == [holmAdjusted(tau.map(\.pValue))[0], rho[0].pValue,
                                     holmAdjusted(tau.map(\.pValue))[1], holmAdjusted(tau.map(\.pValue))[2]])
    }
}

@Suite struct ModelStatisticsTests {
    @Test func summarizesRunsAndSeeds() throws {
        let runs = [RunValue(seed: 0, value: 0.5), RunValue(seed: 1, value: 0.7), RunValue(seed: 2, value: 0.6)]
        let stats = try summarizeModel(model: "csta", variant: "report", size: "small", metric: "spearman_rho",
                                       observations: MetricObservations(runs: runs), seed: 0)
        #expect(stats.runs == 3 && stats.seeds == 3)
        #expect(abs(stats.mean - 0.6) <= 1e-15)
        // Deviations -0.1, 0.1, 0: sum of squares 0.02 over n - 1 = 2 gives 0.01, sd 0.1.
        #expect(abs(stats.sdSeeds! - 0.1) <= 1e-15)
        #expect(stats.min == 0.5 && stats.max == 0.7)
        #expect(stats.ci95 == nil)  // no per-video values (a throughput, say)

        // Two splits of seed 0: four runs, three seeds, the seed's value the mean of its splits.
        let split = [RunValue(seed: 0, value: 0.4), RunValue(seed: 0, value: 0.6)] + runs.dropFirst()
        let pooled = try summarizeModel(model: "csta", variant: "report", size: "small", metric: "spearman_rho",
                                        observations: MetricObservations(runs: split), seed: 0)
        #expect(pooled.runs == 4 && pooled.seeds == 3)
        #expect(abs(pooled.mean - 0.575) <= 1e-15)
        #expect(abs(pooled.sdSeeds! - 0.1) <= 1e-15)
        #expect(pooled.min == 0.4 && pooled.max == 0.7)

        let single = try summarizeModel(model: "csta", variant: "report", size: "small", metric: "spearman_rho",
                                        observations: MetricObservations(runs: [runs[0]]), seed: 0)
        #expect(single.sdSeeds == nil && single.seeds == 1)
    }

    @Test func theIntervalComesFromTheSeedAveragedVideos() throws {
        let values = simulatedModel(seeds: 4, videos: 25, noiseSeed: 30)
        let stats = try summarizeModel(model: "logonet", variant: "report", size: "small", metric: "kendall_tau",
                                       observations: observations(values), replicates: 1000, seed: 5)
        let rows = values.keys.sorted().map { values[$0]! }
        #expect(stats.ci95 == bootstrapSeedAveragedInterval(rows, replicates: 1000, seed: 5))
        #expect(stats.ci95!.contains(stats.mean))
        #expect(stats.ci95!.upper - stats.ci95!.lower < 0.15)
    }

    @Test func jsonHasIssue12sFieldNames() throws {
        let model = ModelStatistics(model: "csta", variant: "report", size: "small", metric: "test_mse", runs: 1,
                                    seeds: 1, mean: 0.02, sdSeeds: nil, min: 0.02, max: 0.02,
                                    ci95: ConfidenceInterval(lower: 0.018, upper: 0.023))
        let pair = PairComparison(metric: "test_mse", a: "csta", b: "logonet", videos: 16, skipped: 0,
                                  meanDifference: -0.01, ci95: ConfidenceInterval(lower: -0.012, upper: -0.008),
                                  pValue: 0.0001, pHolm: 0.0006, verdict: "csta < logonet", seedAgreement: nil)
        let statistics = ComparisonStatistics(resamplingSeed: 0, models: [model], pairs: [pair],
                                              references: [ReferenceRow(name: "random", metric: "f1", mean: 55.1)])
        let data = try JSONCoding.encoder.encode(statistics)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["bootstrap_replicates", "resampling_seed", "models", "pairs", "references"])
        #expect(object["bootstrap_replicates"] as? Int == 10_000)
        let modelRow = try #require((object["models"] as? [[String: Any]])?.first)
        #expect(Set(modelRow.keys) == ["model", "variant", "size", "metric", "runs", "seeds", "mean", "sd_seeds",
                                       "min", "max", "ci95"])
        #expect(modelRow["sd_seeds"] is NSNull)
        #expect(modelRow["ci95"] as? [Double] == [0.018, 0.023])
        let pairRow = try #require((object["pairs"] as? [[String: Any]])?.first)
        #expect(Set(pairRow.keys) == ["metric", "a", "b", "videos", "skipped", "mean_difference", "ci95", "p_value",
                                      "p_holm", "verdict", "seed_agreement"])
        #expect(pairRow["seed_agreement"] is NSNull)
        let referenceRow = try #require((object["references"] as? [[String: Any]])?.first)
        #expect(Set(referenceRow.keys) == ["name", "metric", "mean"])
        #expect(try JSONCoding.decoder.decode(ComparisonStatistics.self, from: data) == statistics)
    }

    @Test func metricDirections() {
        #expect(MetricDirection(metric: "test_mse") == .lowerIsBetter)
        for metric in ["kendall_tau", "spearman_rho", "f1", "map50", "map15"] {
            #expect(MetricDirection(metric: metric) == .higherIsBetter)
        }
        #expect(MetricDirection(metric: "mse") == nil)
    }
}
