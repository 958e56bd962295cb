/// One row of summary.json's `statistics.references`: a reference point's mean on the comparison's
/// test videos (`random`, `oracle`, `human`).
public struct ReferenceRow: Codable, Sendable, Equatable {
    public var name: String
    public var metric: String
    public var mean: Double

    public init(name: String, metric: String, mean: Double) {
        self.name = name
        self.metric = metric
        self.mean = mean
    }
}

/// summary.json's `statistics` object, with issue 12's field names, so other tools can read it.
public struct ComparisonStatistics: Codable, Sendable, Equatable {
    public var bootstrapReplicates: Int
    /// The seed every interval and Monte Carlo test of the comparison was computed with.
    public var resamplingSeed: UInt64
    public var models: [ModelStatistics]
    public var pairs: [PairComparison]
    public var references: [ReferenceRow]

    public init(bootstrapReplicates: Int = defaultBootstrapReplicates, resamplingSeed: UInt64,
                models: [ModelStatistics], pairs: [PairComparison], references: [ReferenceRow]) {
        self.bootstrapReplicates = bootstrapReplicates
        self.resamplingSeed = resamplingSeed
        self.models = models
        self.pairs = pairs
        self.references = references
    }

    enum CodingKeys: String, CodingKey {
        case bootstrapReplicates
        case resamplingSeed
        case models, pairs, references
    }
}
