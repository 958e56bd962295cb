import Foundation
import TensorCore

/// CSTA, `report` variant (models.md section 2): the projected frame features as a one-channel image
/// (T x P), three 3x3 conv-BN-ReLU layers, an attention map over time from a 1x1 convolution, and the
/// shared score head on the attended, width-averaged channels.
public final class CSTA: SummaryModel {
    public struct Config: Codable, Equatable, Sendable {
        public var inputDim: Int
        public var projDim: Int
        /// Output channels of conv1, conv2, conv3.
        public var channels: [Int]
        public var scoreHidden: [Int]
        public var dropout: Float

        enum CodingKeys: String, CodingKey {
            case inputDim = "input_dim", projDim = "proj_dim", channels, scoreHidden = "score_hidden", dropout
        }

        public init(inputDim: Int, projDim: Int, channels: [Int], scoreHidden: [Int], dropout: Float) {
            self.inputDim = inputDim
            self.projDim = projDim
            self.channels = channels
            self.scoreHidden = scoreHidden
            self.dropout = dropout
        }

        public static let published = Config(inputDim: 1024, projDim: 512, channels: [64, 128, 512],
                                              scoreHidden: [256, 128], dropout: 0.5)

        public static func from(_ spec: ModelSpec) throws -> Config {
            let s = spec.size
            return Config(inputDim: spec.inputDim, projDim: s.scaled(published.projDim),
                          channels: published.channels.map(s.scaled), scoreHidden: published.scoreHidden.map(s.scaled),
                          dropout: spec.dropout)
        }
    }

    public let config: Config
    public var isTraining = true
    let featureProj: Linear
    let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d
    let bn1: BatchNorm, bn2: BatchNorm, bn3: BatchNorm
    let attentionConv: Conv2d
    let scoreNet: ScoreHead
    let dropout: Dropout

    public init(config: Config, seed: UInt64 = 0) {
        checkArgument(config.channels.count == 3, "csta: needs three conv channel counts, got \(config.channels)")
        self.config = config
        let rng = RandomSource(seed: seed), dropoutRNG = rng.split()
        let (c1, c2, c3) = (config.channels[0], config.channels[1], config.channels[2])
        featureProj = Linear(config.inputDim, config.projDim, rng: rng)
        conv1 = Conv2d(1, c1, kernel: (3, 3), padding: (1, 1), rng: rng)
        bn1 = BatchNorm(c1)
        conv2 = Conv2d(c1, c2, kernel: (3, 3), padding: (1, 1), rng: rng)
        bn2 = BatchNorm(c2)
        conv3 = Conv2d(c2, c3, kernel: (3, 3), padding: (1, 1), rng: rng)
        bn3 = BatchNorm(c3)
        attentionConv = Conv2d(c3, 1, kernel: (1, 1), rng: rng)
        scoreNet = ScoreHead(width: c3, hidden: config.scoreHidden, dropout: config.dropout, rng: rng, dropoutRNG: dropoutRNG)
        dropout = Dropout(config.dropout, rng: dropoutRNG)
    }

    public convenience init(spec: ModelSpec) throws {
        self.init(config: try Config.from(spec), seed: spec.seed)
    }

    public var name: String { "csta" }
    public var inputDim: Int { config.inputDim }

    public var children: [(String, any Module)] {
        [("feature_proj", featureProj), ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2),
         ("conv3", conv3), ("bn3", bn3), ("attention_conv", attentionConv), ("score_net", scoreNet),
         ("dropout", dropout)]
    }

    public func callAsFunction(_ features: Tensor, mask: Tensor) -> Tensor {
        requireFeaturesAndMask(model: name, features: features, mask: mask, inputDim: inputDim)
        let (b, t) = (features.shape[0], features.shape[1])
        // Padded frames are zeroed before each convolution and excluded from the softmax over time, so a
        // video's scores do not depend on its batch mates (a deliberate difference from the reference,
        // whose convolutions and softmax read padded rows; see README "Padding").
        var c = featureProj(features).zeroingPadding(mask: mask, timeAxis: 1).reshaped([b, 1, t, config.projDim])
        // c = dropout(relu(bn(conv(c)))).zeroingPadding(mask: mask, timeAxis: 2), each as one op (the same
        // values, gradients and dropout draws, without the three full-size intermediates and their gradients).
        c = bn1.activationDropout(conv1(c), activation: .relu, dropout: dropout, paddingMask: mask)
        c = bn2.activationDropout(conv2(c), activation: .relu, dropout: dropout, paddingMask: mask)
        // c = dropout(relu(bn3(conv3(c)))) of shape (B, C3, T, P) is only ever used through its mean over
        // the last axis, and the 1x1 attention conv is linear per position, so it commutes with that mean:
        // apply it to the (B, T, C3) means instead of the full tensor (same result; no full-size conv output
        // or gradient). bn3, ReLU, dropout and the mean run as one op, without full-size intermediates; in
        // evaluation conv3 joins it too, its output reduced block by block (the same bits).
        let pooled = bn3.activationDropoutMean(ofConvolution: conv3, c, activation: .relu, dropout: dropout)
            .permuted([0, 2, 1])                                                         // (B, T, C3)
        let c3 = config.channels[2]
        var logits = pooled.matmul(attentionConv.weight.reshaped([1, c3]), transposeOther: true)   // (B, T, 1)
        if let bias = attentionConv.bias { logits = logits + bias }
        let attention = logits.reshaped([b, t]).softmax(keyMask: mask)
        let h = pooled * attention.reshaped([b, t, 1])                                   // (B, T, C3)
        return scoreNet(h) * mask
    }

    public func forwardFlopsPerFrame(length: Int) -> Double {
        let p = Double(config.projDim), c = config.channels.map(Double.init)
        let projection = 2 * Double(config.inputDim) * p
        // Each 3x3 convolution (padding 1) is one im2col product over all T x P positions.
        let convolutions = 2 * 9 * p * (1 * c[0] + c[0] * c[1] + c[1] * c[2])
        let attention = 2 * c[2] * p
        return projection + convolutions + attention + scoreNet.flopsPerFrame
    }

    public var configuration: [String: String] {
        ["input_dim": "\(config.inputDim)", "proj_dim": "\(config.projDim)", "channels": "\(config.channels)",
         "score_hidden": "\(config.scoreHidden)", "dropout": "\(config.dropout)"]
    }
}

extension CSTA {
    /// The registry entry (the `paper` variant is the authors' published model, when registered).
    public static let reportVariant = VariantEntry(
        .report,
        deviations: ReportVariants.deviations + ["padded frames are zeros to the convolutions and excluded from the softmax over time"],
        schedule: { _ in
            ReportVariants.warmupCosine(batch: 4, epochs: 50, optimizer: .adam, weightDecay: 1e-7, peak: 3e-4, warmup: 3, clip: 1.0)
        },
        make: { try CSTA(spec: $0) })
}
