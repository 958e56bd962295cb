import Randomness

/// Which way a metric improves. Verdicts do not need it (they are about values); seed-level
/// agreement does, because it counts the seeds in which a model is better.
public enum MetricDirection: String, Codable, Sendable {
    case higherIsBetter
    case lowerIsBetter

    /// The direction of the quality metrics of run.json: test MSE is an error, the rest are scores.
    /// Nil for any other name, so that a new metric cannot silently get the wrong direction.
    public init?(metric: String) {
        switch metric {
        case "test_mse": self = .lowerIsBetter
        case "kendall_tau", "spearman_rho", "f1", "map50", "map15": self = .higherIsBetter
        default: return nil
        }
    }
}

/// One pair's paired test before the Holm adjustment, which needs every pair of the metric; turn a
/// metric's tests into summary rows with `adjustByHolm`.
public struct PairTest: Sendable, Equatable {
    public var metric: String
    public var a: String
    public var b: String
    /// Videos with a value for both models (each model's value averaged over its seeds).
    public var videos: Int
    /// Videos left out because no seed of a, or none of b, defines them (evaluation.md's skip rule).
    public var skipped: Int
    /// Mean over the used videos of d_v = a(v) - b(v) (weighted when the observations carry weights).
    public var meanDifference: Double
    /// Paired percentile bootstrap interval of that mean, resampling the used videos.
    public var ci95: ConfidenceInterval
    /// Two-sided sign-flip p-value of a zero mean difference (`signFlipTest`).
    public var pValue: Double
    /// Whether the p-value enumerated every sign pattern.
    public var exact: Bool
    /// See `seedAgreement(_:_:direction:)`; nil when the models share no seed.
    public var seedAgreement: Double?
}

/// statistics.md's paired comparison of models a and b on one metric.
///
/// Each model's per-video values are first averaged over its own seeds (`seedAveragedVideoValues`);
/// d_v = a(v) - b(v) over the videos both define, the rest counted in `skipped`. Without weights the
/// statistic is the plain mean of d, as statistics.md defines it. With weights (the videos' frames
/// for test MSE, which must then be the same for a and b), it is the weighted mean sum(w d) / sum(w),
/// which for a frame-weighted metric is the difference of the two split-level values over the used
/// videos; the sign-flip test then flips the terms w_v d_v (the same test on a rescaled statistic)
/// and the bootstrap resamples videos with their weights.
///
/// `seed` seeds the bootstrap; the Monte Carlo sign patterns (more than `exactLimit` videos) use
/// `SplitMix64.derive(seed, 1)`, a stream independent of the resamples. Pass the comparison's
/// `resampling_seed` for every pair.
public func comparePair(metric: String, direction: MetricDirection,
                        a: String, _ first: MetricObservations, b: String, _ second: MetricObservations,
                        replicates: Int = defaultBootstrapReplicates, seed: UInt64,
                        exactLimit: Int = signFlipExactLimit,
                        randomPatterns: Int = signFlipRandomPatterns) throws(StatisticsError) -> PairTest {
    try first.validate(model: a, metric: metric)
    try second.validate(model: b, metric: metric)
    let valuesA = seedAveragedVideoValues(first.rowsBySeed), valuesB = seedAveragedVideoValues(second.rowsBySeed)
    if !valuesA.isEmpty && !valuesB.isEmpty && valuesA.count != valuesB.count {
        throw .videoCountMismatch(model: b, metric: metric, seed: second.videoValues.keys.min()!,
                                  expected: valuesA.count, actual: valuesB.count)
    }
    guard first.videoWeights == second.videoWeights else { throw .weightsDiffer(metric: metric, a: a, b: b) }

    let used = zip(valuesA.indices, zip(valuesA, valuesB)).compactMap { video, pair -> Int? in
        pair.0 != nil && pair.1 != nil ? video : nil
    }
    guard !used.isEmpty else { throw .noCommonVideos(metric: metric, a: a, b: b) }
    let differences = used.map { valuesA[$0]! - valuesB[$0]! }
    let weights = first.videoWeights.map { w in used.map { w[$0] } }

    let meanDifference: Double
    let testTerms: [Double]
    if let weights {
        let weightSum = weights.reduce(0, +)
        meanDifference = zip(weights, differences).reduce(0) { $0 + $1.0 * $1.1 } / weightSum
        testTerms = zip(weights, differences).map { $0 * $1 }
    } else {
        meanDifference = differences.reduce(0, +) / Double(differences.count)
        testTerms = differences
    }
    let test = signFlipTest(testTerms, seed: SplitMix64.derive(seed, 1),
                            exactLimit: exactLimit, randomPatterns: randomPatterns)
    return PairTest(
        metric: metric, a: a, b: b, videos: used.count, skipped: valuesA.count - used.count,
        meanDifference: meanDifference,
        ci95: bootstrapMeanInterval(differences, weights: weights, replicates: replicates, seed: seed),
        pValue: test.pValue, exact: test.exact,
        seedAgreement: seedAgreement(first, second, direction: direction))
}

/// Seed-level agreement: over the seeds both models were run with (paired by seed number), the
/// fraction in which a's run value is better than b's in `direction`, a tie counting one half.
/// A seed's value is the mean of its runs (its splits). Counting ties as halves makes
/// agreement(a, b) + agreement(b, a) = 1 and gives a model against an identical copy 0.5, "no
/// preference", rather than 0 both ways. Seeds only one model has say nothing about the pair and are
/// left out; nil when there are none in common.
public func seedAgreement(_ first: MetricObservations, _ second: MetricObservations,
                          direction: MetricDirection) -> Double? {
    let valuesB = Dictionary(uniqueKeysWithValues: second.seedMeans.map { ($0.seed, $0.value) })
    var score = 0.0, shared = 0
    for (seed, valueA) in first.seedMeans {
        guard let valueB = valuesB[seed] else { continue }
        shared += 1
        if valueA == valueB {
            score += 0.5
        } else if (valueA > valueB) == (direction == .higherIsBetter) {
            score += 1
        }
    }
    return shared == 0 ? nil : score / Double(shared)
}

/// statistics.md's significance level for verdicts, applied to Holm-adjusted p-values.
public let verdictLevel = 0.05

/// The verdict in words, about values, not quality: "a > b" means a's values are larger, which for
/// test MSE means a is worse. "not distinguishable" unless the adjusted p is below `level`.
public func pairVerdict(a: String, b: String, meanDifference: Double, pHolm: Double,
                        level: Double = verdictLevel) -> String {
    guard pHolm < level, meanDifference != 0 else { return "not distinguishable" }
    return meanDifference > 0 ? "\(a) > \(b)" : "\(a) < \(b)"
}

/// One row of summary.json's `statistics.pairs`.
public struct PairComparison: Codable, Sendable, Equatable {
    public var metric: String
    public var a: String
    public var b: String
    public var videos: Int
    public var skipped: Int
    public var meanDifference: Double
    public var ci95: ConfidenceInterval
    public var pValue: Double
    public var pHolm: Double
    /// See `pairVerdict`: "a > b" / "a < b" with the names are about values (for test_mse, larger is
    /// worse); read quality from `seed_agreement` or the metric's direction.
    public var verdict: String
    /// Fraction of shared seeds in which a is better (see `seedAgreement`); null when none is shared.
    public var seedAgreement: Double?

    public init(metric: String, a: String, b: String, videos: Int, skipped: Int, meanDifference: Double,
                ci95: ConfidenceInterval, pValue: Double, pHolm: Double, verdict: String, seedAgreement: Double?) {
        self.metric = metric
        self.a = a
        self.b = b
        self.videos = videos
        self.skipped = skipped
        self.meanDifference = meanDifference
        self.ci95 = ci95
        self.pValue = pValue
        self.pHolm = pHolm
        self.verdict = verdict
        self.seedAgreement = seedAgreement
    }

    enum CodingKeys: String, CodingKey {
        case metric, a, b, videos, skipped
        case meanDifference
        case ci95
        case pValue
        case pHolm
        case verdict
        case seedAgreement
    }

    /// Writes a missing seed agreement as null rather than leaving the key out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(metric, forKey: .metric)
        try container.encode(a, forKey: .a)
        try container.encode(b, forKey: .b)
        try container.encode(videos, forKey: .videos)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(meanDifference, forKey: .meanDifference)
        try container.encode(ci95, forKey: .ci95)
        try container.encode(pValue, forKey: .pValue)
        try container.encode(pHolm, forKey: .pHolm)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(seedAgreement, forKey: .seedAgreement)
    }
}

/// The summary rows of `tests`: p-values Holm-adjusted over all tests of the same metric (statistics.md:
/// the family is one metric's pairs), then the verdicts. Pass every pair of a metric in one call (any
/// number of metrics may be mixed); the rows keep the order of `tests`.
public func adjustByHolm(_ tests: [PairTest], level: Double = verdictLevel) -> [PairComparison] {
    var adjusted = [Double](repeating: 1, count: tests.count)
    let byMetric = Dictionary(grouping: tests.indices, by: { tests[$0].metric })
    for indices in byMetric.values {
        for (index, pHolm) in zip(indices, holmAdjusted(indices.map { tests[$0].pValue })) {
            adjusted[index] = pHolm
        }
    }
    return zip(tests, adjusted).map { test, pHolm in
        PairComparison(metric: test.metric, a: test.a, b: test.b, videos: test.videos, skipped: test.skipped,
                       meanDifference: test.meanDifference, ci95: test.ci95, pValue: test.pValue, pHolm: pHolm,
                       verdict: pairVerdict(a: test.a, b: test.b, meanDifference: test.meanDifference,
                                            pHolm: pHolm, level: level),
                       seedAgreement: test.seedAgreement)
    }
}

/// Every pair (i < j, in the given order) of `models` on one metric, ready for `adjustByHolm`.
public func compareAllPairs(metric: String, direction: MetricDirection,
                           models: [(name: String, observations: MetricObservations)],
                           replicates: Int = defaultBootstrapReplicates,
                           seed: UInt64) throws(StatisticsError) -> [PairTest] {
    var tests: [PairTest] = []
    for i in models.indices {
        for j in models.indices where j > i {
            tests.append(try comparePair(metric: metric, direction: direction,
                                         a: models[i].name, models[i].observations,
                                         b: models[j].name, models[j].observations,
                                         replicates: replicates, seed: seed))
        }
    }
    return tests
}
