/// One run's value of a metric (the value its run.json reports for the split), with the run's seed.
public struct RunValue: Sendable, Equatable {
    public var seed: Int
    public var value: Double

    public init(seed: Int, value: Double) {
        self.seed = seed
        self.value = value
    }
}

/// Everything the statistics need about one model and one metric.
public struct MetricObservations: Sendable, Equatable {
    /// The run-level values, one per run; several runs may share a seed (one per split).
    public var runs: [RunValue]
    /// Per seed, the metric of every test video of the comparison, in one order shared by all seeds
    /// and all models (for the 5-fold sets, every video from the fold where it was a test video);
    /// nil or NaN where the video is skipped for that seed. Empty for a metric without per-video
    /// values (throughput, memory): the model then gets no interval.
    public var videoValues: [Int: [Double?]]
    /// One positive weight per video when the run-level value is a weighted mean over videos: the
    /// frames for test MSE, which is the squared error over all valid frames. Nil: plain means.
    public var videoWeights: [Double]?

    public init(runs: [RunValue], videoValues: [Int: [Double?]] = [:], videoWeights: [Double]? = nil) {
        self.runs = runs
        self.videoValues = videoValues
        self.videoWeights = videoWeights
    }

    /// The per-video rows in ascending seed order, so that averages over seeds are summed in the same
    /// order in every process (a dictionary's order is not).
    var rowsBySeed: [[Double?]] { videoValues.keys.sorted().map { videoValues[$0]! } }

    /// Each seed's run value: the mean of that seed's runs (its splits), in ascending seed order.
    var seedMeans: [(seed: Int, value: Double)] {
        Dictionary(grouping: runs, by: \.seed).keys.sorted().map { seed in
            let values = runs.filter { $0.seed == seed }.map(\.value)
            return (seed, values.reduce(0, +) / Double(values.count))
        }
    }

    var videoCount: Int? { videoValues.values.first?.count }

    func validate(model: String, metric: String) throws(StatisticsError) {
        guard !runs.isEmpty else { throw .noRuns(model: model, metric: metric) }
        for run in runs where !run.value.isFinite {
            throw .nonFiniteRunValue(model: model, metric: metric, seed: run.seed, value: run.value)
        }
        let seeds = videoValues.keys.sorted()
        guard let first = seeds.first else { return }
        let expected = videoValues[first]!.count
        for seed in seeds {
            let row = videoValues[seed]!
            guard row.count == expected else {
                throw .videoCountMismatch(model: model, metric: metric, seed: seed, expected: expected, actual: row.count)
            }
            if let video = row.firstIndex(where: { $0?.isInfinite ?? false }) {
                throw .infiniteVideoValue(model: model, metric: metric, seed: seed, video: video)
            }
        }
        if let weights = videoWeights {
            guard weights.count == expected else {
                throw .weightCountMismatch(model: model, metric: metric, expected: expected, actual: weights.count)
            }
            if let video = weights.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
                throw .invalidWeight(model: model, metric: metric, video: video, weight: weights[video])
            }
        }
    }
}

/// One row of summary.json's `statistics.models`: a model's metric over its runs.
public struct ModelStatistics: Codable, Sendable, Equatable {
    public var model: String
    public var variant: String
    public var size: String
    public var metric: String
    public var runs: Int
    public var seeds: Int
    /// The mean of the run values.
    public var mean: Double
    /// The sample standard deviation (n - 1) of the seeds' values (a seed's value is the mean of its
    /// runs, so splits do not count as seeds); nil with one seed, where it is undefined.
    public var sdSeeds: Double?
    public var min: Double
    public var max: Double
    /// statistics.md's 95% bootstrap interval over test videos (see `bootstrapSeedAveragedInterval`);
    /// nil for a metric without per-video values.
    public var ci95: ConfidenceInterval?

    public init(model: String, variant: String, size: String, metric: String, runs: Int, seeds: Int,
                mean: Double, sdSeeds: Double?, min: Double, max: Double, ci95: ConfidenceInterval?) {
        self.model = model
        self.variant = variant
        self.size = size
        self.metric = metric
        self.runs = runs
        self.seeds = seeds
        self.mean = mean
        self.sdSeeds = sdSeeds
        self.min = min
        self.max = max
        self.ci95 = ci95
    }

    enum CodingKeys: String, CodingKey {
        case model, variant, size, metric, runs, seeds, mean
        case sdSeeds
        case min, max, ci95
    }

    /// Writes undefined values as null rather than leaving the key out, so every row has every field.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(variant, forKey: .variant)
        try container.encode(size, forKey: .size)
        try container.encode(metric, forKey: .metric)
        try container.encode(runs, forKey: .runs)
        try container.encode(seeds, forKey: .seeds)
        try container.encode(mean, forKey: .mean)
        try container.encode(sdSeeds, forKey: .sdSeeds)
        try container.encode(min, forKey: .min)
        try container.encode(max, forKey: .max)
        try container.encode(ci95, forKey: .ci95)
    }
}

/// A model's statistics for one metric. `seed` seeds the bootstrap; pass the comparison's
/// `resampling_seed` for every model and metric, so `bench report` reproduces the intervals.
public func summarizeModel(model: String, variant: String, size: String, metric: String,
                           observations: MetricObservations,
                           replicates: Int = defaultBootstrapReplicates,
                           seed: UInt64) throws(StatisticsError) -> ModelStatistics {
    try observations.validate(model: model, metric: metric)
    let values = observations.runs.map(\.value)
    let seedValues = observations.seedMeans.map(\.value)
    let ci95 = observations.videoValues.isEmpty ? nil
        : bootstrapSeedAveragedInterval(observations.rowsBySeed, weights: observations.videoWeights,
                                        replicates: replicates, seed: seed)
    return ModelStatistics(model: model, variant: variant, size: size, metric: metric,
                           runs: values.count, seeds: seedValues.count,
                           mean: values.reduce(0, +) / Double(values.count),
                           sdSeeds: sampleStandardDeviation(seedValues),
                           min: values.min()!, max: values.max()!, ci95: ci95)
}

/// Two-pass sample standard deviation (n - 1); nil below two values.
func sampleStandardDeviation(_ values: [Double]) -> Double? {
    guard values.count >= 2 else { return nil }
    let mean = values.reduce(0, +) / Double(values.count)
    let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return (squares / Double(values.count - 1)).squareRoot()
}
