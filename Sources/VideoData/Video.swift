import Evaluation

/// One video as read from a data set. Features are row-major `length x featureWidth`.
///
/// For MR.HiSum every feature row is one frame (1 fps): `frameCount == length`, `picks == 0..<length`.
/// For the eccv16 sets a row is a subsampled frame: `picks[i]` is its frame index in the original
/// video of `frameCount` frames, and change points and user summaries are in original-frame units.
public struct Video: Sendable {
    public let key: String
    public let featureWidth: Int
    public let features: [Float]
    public let gtscore: [Float]
    /// Shots, half-open, in order, in frame units (eccv16's inclusive ends are converted).
    public let changePoints: [Shot]
    public let frameCount: Int
    public let picks: [Int]
    /// The stored ground-truth keyshot summary (0/1), one value per feature row, when present.
    public let gtSummary: [Float]?
    /// Per-user 0/1 summaries over the original frames (eccv16), when present.
    public let userSummaries: [[Float]]?
    /// What the reader found legitimate but unusual about this video (reported, not refused).
    public let warnings: [DataWarning]

    public init(key: String, featureWidth: Int, features: [Float], gtscore: [Float], changePoints: [Shot],
                frameCount: Int? = nil, picks: [Int]? = nil, gtSummary: [Float]? = nil,
                userSummaries: [[Float]]? = nil, warnings: [DataWarning] = []) {
        precondition(features.count == gtscore.count * featureWidth, "features must be length x featureWidth")
        self.key = key
        self.featureWidth = featureWidth
        self.features = features
        self.gtscore = gtscore
        self.changePoints = changePoints
        self.frameCount = frameCount ?? gtscore.count
        self.picks = picks ?? Array(0..<gtscore.count)
        self.gtSummary = gtSummary
        self.userSummaries = userSummaries
        self.warnings = warnings
    }

    /// Number of feature rows (seconds for MR.HiSum).
    public var length: Int { gtscore.count }
}
