import Evaluation
import TensorCore

/// What a model asks its batches to carry beyond features, mask and gtscore.
public struct BatchNeeds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Each video's shots (in feature rows).
    public static let shots = BatchNeeds(rawValue: 1 << 0)
    /// Each video's 15% keyshot summary of its gtscore over its shots (evaluation.md), 0 or 1 per frame.
    public static let keyshotSummary = BatchNeeds(rawValue: 1 << 1)
}

/// The name of a model's training objective, as run.json and the schedule lines print it. The loss
/// itself is the model's `trainingLoss`; this names it so a schedule that says otherwise is caught.
public enum LossKind: String, Codable, Sendable {
    case maskedMSE = "masked_mse"
    case bceWithLogits = "bce_with_logits"
    case anchorClassificationLocation = "anchor_classification_smooth_l1"
}

/// How a model trains: what its batches hold, how many videos one step may take, and which loss it
/// minimises. Declared by the model's registry entry, so it is known before a model is built.
public struct TrainingContract: Sendable, Equatable {
    /// The most videos one training step may hold; nil = any number (padded to the longest).
    public var maxBatchSize: Int?
    public var needs: BatchNeeds
    public var loss: LossKind

    public init(maxBatchSize: Int? = nil, needs: BatchNeeds = [], loss: LossKind = .maskedMSE) {
        self.maxBatchSize = maxBatchSize
        self.needs = needs
        self.loss = loss
    }

    /// Padded batches of any size, masked MSE: the `report` variants.
    public static let paddedMSE = TrainingContract()
}

/// One batch as a model sees it: videos padded to the longest (right padding), with what the model's
/// contract asked for. Built by the harness's collation (`VideoBatch.modelBatch(needs:)`).
public struct ModelBatch {
    public let keys: [String]
    public let lengths: [Int]
    /// (B, T, F)
    public let features: Tensor
    /// (B, T): 1 for real frames, 0 for padding.
    public let mask: Tensor
    /// (B, T): 0 at padding.
    public let gtscore: Tensor
    /// Per video, its shots (feature rows); empty unless the contract asks for `.shots`.
    public let shots: [[Shot]]
    /// Per video, `lengths[b]` values of 0 or 1; empty unless the contract asks for `.keyshotSummary`.
    public let keyshotSummary: [[Float]]

    public init(keys: [String], lengths: [Int], features: Tensor, mask: Tensor, gtscore: Tensor,
                shots: [[Shot]] = [], keyshotSummary: [[Float]] = []) {
        checkArgument(features.rank == 3 && mask.shape == Array(features.shape.prefix(2)) && gtscore.shape == mask.shape,
                      "a batch needs features (B, T, F), mask and gtscore (B, T); got \(features.shape), \(mask.shape), \(gtscore.shape)")
        checkArgument(keys.count == features.shape[0] && lengths.count == keys.count,
                      "a batch of \(features.shape[0]) rows needs as many keys and lengths (got \(keys.count), \(lengths.count))")
        self.keys = keys
        self.lengths = lengths
        self.features = features
        self.mask = mask
        self.gtscore = gtscore
        self.shots = shots
        self.keyshotSummary = keyshotSummary
    }

    public var count: Int { keys.count }
    public var maxLength: Int { features.shape[1] }
    public var realFrames: Int { lengths.reduce(0, +) }
}

extension SummaryModel {
    /// Masked MSE between the model's outputs and gtscore over real frames (the `report` objective).
    public func maskedMSELoss(_ batch: ModelBatch) -> Tensor {
        Tensor.maskedMSE(self(batch.features, mask: batch.mask), batch.gtscore, mask: batch.mask)
    }
}
