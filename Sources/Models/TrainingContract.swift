import Evaluation
import TensorCore
import VideoData

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
/// itself is the model's `trainingLoss`; this names it so a schedule that says otherwise is caught. A
/// model with a new objective declares its own name (`LossKind(rawValue:)`), no central list to edit.
public struct LossKind: RawRepresentable, Codable, Sendable, Hashable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let maskedMSE = LossKind(rawValue: "masked_mse")
    public static let bceWithLogits = LossKind(rawValue: "bce_with_logits")
    public static let anchorClassificationLocation = LossKind(rawValue: "anchor_classification_smooth_l1")

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What a model's loss averages over within a batch: real frames (masked MSE, BCE over frames) or videos
/// (a mean of per-video losses). Data-parallel training weights each process's part of a batch by it, so
/// the summed gradients are those of the whole batch.
public enum LossAverage: String, Sendable, Codable {
    case frames, videos
}

/// How a batch lays out its videos' frames.
public enum BatchLayout: String, Sendable, Codable {
    /// (B, T, F): each video a row, right-padded to the longest; the mask marks real frames.
    case padded
    /// (1, N, F): the videos' frames end to end, no padding (mask all ones); `ModelBatch.lengths` says
    /// where each video ends. For models whose every step is per frame or told the videos' bounds
    /// (VideoSAGE and EDSNet `report`), so no FLOP or pass is spent on padding.
    case packed
}

/// How a model trains: what its batches hold, how many videos one step may take, and which loss it
/// minimises. Declared by the model's registry entry, so it is known before a model is built.
public struct TrainingContract: Sendable, Equatable {
    /// The most videos one training step may hold; nil = any number (padded to the longest).
    public var maxBatchSize: Int?
    public var needs: BatchNeeds
    public var loss: LossKind
    /// The video lengths (feature rows) the model can take; nil = any. A run checks every video of its
    /// split against it before training, naming the video (CSTA paper: 14...4999).
    public var frames: ClosedRange<Int>?
    public var lossAverage: LossAverage
    /// The layout the model's batches come in (training, evaluation and `bench speed` alike).
    public var layout: BatchLayout

    public init(maxBatchSize: Int? = nil, needs: BatchNeeds = [], loss: LossKind = .maskedMSE, frames: ClosedRange<Int>? = nil,
                lossAverage: LossAverage = .frames, layout: BatchLayout = .padded) {
        self.maxBatchSize = maxBatchSize
        self.needs = needs
        self.loss = loss
        self.frames = frames
        self.lossAverage = lossAverage
        self.layout = layout
    }

    /// Padded batches of any size, masked MSE: the `report` variants.
    public static let paddedMSE = TrainingContract()
}

/// One batch as a model sees it, in the layout its contract asks for: videos padded to the longest
/// (right padding) or packed end to end, with what the contract asked for. `init(videos:needs:layout:)`
/// is the one collation every caller uses.
public struct ModelBatch {
    public let keys: [String]
    public let lengths: [Int]
    public let layout: BatchLayout
    /// The videos as sequences: lengths, packed offsets and the padded length (the batch's T, or the
    /// longest video when packed), which dropout on packed rows uses to draw the padded batch's masks.
    public let sequences: PackedSequences
    /// (B, T, F) padded; (1, N, F) packed.
    public let features: Tensor
    /// (B, T): 1 for real frames, 0 for padding (all ones when packed).
    public let mask: Tensor
    /// (B, T): 0 at padding.
    public let gtscore: Tensor
    /// Per video, its shots (feature rows); empty unless the contract asks for `.shots`.
    public let shots: [[Shot]]
    /// Per video, `lengths[b]` values of 0 or 1; empty unless the contract asks for `.keyshotSummary`.
    public let keyshotSummary: [[Float]]

    public init(keys: [String], lengths: [Int], layout: BatchLayout = .padded, features: Tensor, mask: Tensor, gtscore: Tensor,
                shots: [[Shot]] = [], keyshotSummary: [[Float]] = []) {
        checkArgument(features.rank == 3 && mask.shape == Array(features.shape.prefix(2)) && gtscore.shape == mask.shape,
                      "a batch needs features (B, T, F), mask and gtscore (B, T); got \(features.shape), \(mask.shape), \(gtscore.shape)")
        checkArgument(lengths.count == keys.count, "a batch needs a length per key (got \(keys.count) keys, \(lengths.count) lengths)")
        switch layout {
        case .padded:
            checkArgument(keys.count == features.shape[0],
                          "a padded batch of \(features.shape[0]) rows needs as many keys and lengths (got \(keys.count))")
        case .packed:
            checkArgument(features.shape[0] == 1 && features.shape[1] == lengths.reduce(0, +),
                          "a packed batch holds its \(lengths.reduce(0, +)) frames in one row, got features \(features.shape)")
        }
        self.keys = keys
        self.lengths = lengths
        self.layout = layout
        sequences = PackedSequences(lengths: lengths, paddedLength: layout == .padded ? features.shape[1] : lengths.max() ?? 0)
        self.features = features
        self.mask = mask
        self.gtscore = gtscore
        self.shots = shots
        self.keyshotSummary = keyshotSummary
    }

    /// Lays `videos` (of one feature width) out row-major: padded, each to the longest with zeros after
    /// its end (mask 1 on real frames), or packed end to end; and adds what `needs` asks for.
    public init(videos: [Video], needs: BatchNeeds = [], layout: BatchLayout = .padded) throws {
        checkArgument(!videos.isEmpty, "a batch needs at least one video")
        let width = videos[0].featureWidth
        checkArgument(videos.allSatisfy { $0.featureWidth == width }, "videos of one batch share a feature width")
        let lengths = videos.map(\.length)
        let shape = layout == .padded ? [videos.count, lengths.max()!] : [1, lengths.reduce(0, +)]
        var keyshots: [[Float]] = []
        if needs.contains(.keyshotSummary) {
            keyshots = try videos.map { try ModelBatch.keyshotSummary(of: $0) }
        }
        func rows(_ sequences: [[Float]], width: Int) -> Tensor {
            layout == .padded ? Tensor.padded(sequences, width: width) : Tensor.packed(sequences, width: width)
        }
        self.init(keys: videos.map(\.key), lengths: lengths, layout: layout,
                  features: rows(videos.map(\.features), width: width),
                  mask: rows(lengths.map { [Float](repeating: 1, count: $0) }, width: 1).reshaped(shape),
                  gtscore: rows(videos.map(\.gtscore), width: 1).reshaped(shape),
                  shots: needs.contains(.shots) || needs.contains(.keyshotSummary) ? videos.map(\.changePoints) : [],
                  keyshotSummary: keyshots)
    }

    /// The 15% keyshot summary of a video's gtscore over its shots (knapsack, evaluation.md), per feature
    /// row. Needs shots in feature rows: MR.HiSum's layout, where every row is a frame.
    static func keyshotSummary(of video: Video) throws -> [Float] {
        guard video.picks == Array(0..<video.length), video.frameCount == video.length else {
            throw ModelError.unsupportedBatchNeed(video: video.key,
                                                  need: "a keyshot summary in feature rows (its shots are in subsampled original frames)")
        }
        guard !video.changePoints.isEmpty else { throw ModelError.unsupportedBatchNeed(video: video.key, need: "shots (it has none)") }
        return Evaluation.keyshotSummary(frameScores: video.gtscore.map(Double.init), shots: video.changePoints).map { $0 ? 1 : 0 }
    }

    public var count: Int { keys.count }
    public var realFrames: Int { sequences.rows }

    /// Where video `b`'s frames lie in the batch's flattened (B x T) rows: its scores in `frameScores`'s
    /// output, its values in mask and gtscore.
    public func rows(of b: Int) -> Range<Int> {
        switch layout {
        case .padded:
            let start = b * features.shape[1]
            return start..<(start + lengths[b])
        case .packed:
            return sequences.offsets[b]..<sequences.offsets[b + 1]
        }
    }
}

extension SummaryModel {
    /// Masked MSE between the model's frame scores and gtscore over real frames (the `report` objective),
    /// in either layout.
    public func maskedMSELoss(_ batch: ModelBatch) -> Tensor {
        Tensor.maskedMSE(frameScores(batch), batch.gtscore, mask: batch.mask)
    }
}
