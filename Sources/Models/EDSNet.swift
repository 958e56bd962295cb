import Foundation
import TensorCore

/// EDSNet, `report` variant (models.md section 4): a convolutional mixer. Each block mixes over time with
/// two 1-D convolutions on the layer-normalised features and over channels with an MLP, both residual.
public final class EDSNet: SummaryModel {
    public struct Config: Codable, Equatable, Sendable {
        public var inputDim: Int
        public var hidden: Int
        public var tokenHidden: Int
        public var channelHidden: Int
        public var blocks: Int
        public var scoreHidden: [Int]
        public var dropout: Float

        enum CodingKeys: String, CodingKey {
            case inputDim = "input_dim", hidden, tokenHidden = "token_hidden", channelHidden = "channel_hidden"
            case blocks, scoreHidden = "score_hidden", dropout
        }

        public init(inputDim: Int, hidden: Int, tokenHidden: Int, channelHidden: Int, blocks: Int, scoreHidden: [Int],
                    dropout: Float) {
            self.inputDim = inputDim
            self.hidden = hidden
            self.tokenHidden = tokenHidden
            self.channelHidden = channelHidden
            self.blocks = blocks
            self.scoreHidden = scoreHidden
            self.dropout = dropout
        }

        public static let published = Config(inputDim: 1024, hidden: 512, tokenHidden: 256, channelHidden: 2048,
                                              blocks: 4, scoreHidden: [256, 128], dropout: 0.5)

        public static func from(_ spec: ModelSpec) throws -> Config {
            let s = spec.size
            return Config(inputDim: spec.inputDim, hidden: s.scaled(published.hidden),
                          tokenHidden: s.scaled(published.tokenHidden), channelHidden: s.scaled(published.channelHidden),
                          blocks: published.blocks, scoreHidden: published.scoreHidden.map(s.scaled),
                          dropout: spec.dropout)
        }
    }

    public let config: Config
    public var isTraining = true
    let featureProj: Linear
    let mixerBlocks: [MixerBlock]
    let scoreNet: ScoreHead

    public init(config: Config, seed: UInt64 = 0) {
        self.config = config
        let rng = RandomSource(seed: seed), dropoutRNG = rng.split()
        featureProj = Linear(config.inputDim, config.hidden, rng: rng)
        mixerBlocks = (0..<config.blocks).map { _ in MixerBlock(config, rng: rng, dropoutRNG: dropoutRNG) }
        scoreNet = ScoreHead(width: config.hidden, hidden: config.scoreHidden, dropout: config.dropout, rng: rng,
                             dropoutRNG: dropoutRNG)
    }

    public convenience init(spec: ModelSpec) throws {
        self.init(config: try Config.from(spec), seed: spec.seed)
    }

    /// Packed batches: no product or pass runs on padding, the feature projection included.
    public static let contract = TrainingContract(layout: .packed)
    public var contract: TrainingContract { Self.contract }

    public var name: String { "edsnet" }
    public var inputDim: Int { config.inputDim }

    public var children: [(String, any Module)] {
        [("feature_proj", featureProj)]
            + mixerBlocks.enumerated().map { ("mixer_blocks.\($0.offset)", $0.element as any Module) }
            + [("score_net", scoreNet)]
    }

    /// A right-padded batch (every mask row ones then zeros, each video at least one frame) runs on its
    /// packed real frames after the feature projection: every later layer is per frame or a convolution
    /// that sees zeros beyond each video's ends, so the padded frames would only be computed to be
    /// zeroed. The scores, loss and dropout draws are the padded layout's; the weight gradients' sums
    /// skip the padded frames' zero terms (only their rounding can differ). Any other mask runs padded.
    public func callAsFunction(_ features: Tensor, mask: Tensor) -> Tensor {
        requireFeaturesAndMask(model: name, features: features, mask: mask, inputDim: inputDim)
        let projected = featureProj(features)
        if packsPaddedBatches, let packed = PackedSequences(prefixMask: mask), packed.lengths.allSatisfy({ $0 > 0 }) {
            return scores(packedRows: projected.packedRows(packed), packed).unpackedRows(packed)
        }
        var h = projected
        for block in mixerBlocks { h = block(h, frames: .padded(mask: mask)) }
        h = h * mask.reshaped(mask.shape + [1])
        return scoreNet(h) * mask
    }

    /// A packed batch (the contract's layout) from its features on: (1, N) scores.
    public func frameScores(_ batch: ModelBatch) -> Tensor {
        guard batch.layout == .packed else { return self(batch.features, mask: batch.mask) }
        requireFeaturesAndMask(model: name, features: batch.features, mask: batch.mask, inputDim: inputDim)
        let sequences = batch.sequences
        checkArgument(sequences.lengths.allSatisfy { $0 > 0 }, "edsnet: a packed batch with an empty video (lengths \(sequences.lengths))")
        return scores(packedRows: featureProj(batch.features.reshaped([sequences.rows, inputDim])), sequences)
            .reshaped([1, sequences.rows])
    }

    /// The mixer blocks and the score head on projected packed rows (R, H) -> (R).
    func scores(packedRows h: Tensor, _ packed: PackedSequences) -> Tensor {
        var h = h
        for block in mixerBlocks { h = block(h, frames: .packed(packed)) }
        return scoreNet(h, packed: packed)
    }

    /// Off only in the tests that check the packed layout against the padded one.
    var packsPaddedBatches = true

    public func forwardFlopsPerFrame(length: Int) -> Double {
        let (h, th, ch) = (Double(config.hidden), Double(config.tokenHidden), Double(config.channelHidden))
        // A k = 3, padding 1 convolution runs one product per tap over the rows it reaches: the two edge
        // taps each miss one row, so 3T - 2 rows in all.
        let t = Double(Swift.max(length, 1))
        let tapRows = (3 * t - 2) / t
        let tokenMix = 2 * tapRows * (h * th + th * h)
        let channelMix = 2 * (h * ch + ch * h)
        return 2 * Double(config.inputDim) * h + Double(mixerBlocks.count) * (tokenMix + channelMix)
            + scoreNet.flopsPerFrame
    }

    public var configuration: [String: String] {
        ["input_dim": "\(config.inputDim)", "hidden": "\(config.hidden)", "token_hidden": "\(config.tokenHidden)",
         "channel_hidden": "\(config.channelHidden)", "blocks": "\(config.blocks)",
         "score_hidden": "\(config.scoreHidden)", "dropout": "\(config.dropout)"]
    }
}

/// One mixer block. Keys follow the reference's two `nn.Sequential`s: token_mix_conv.{0,3} (Conv1d, GELU,
/// Dropout, Conv1d, Dropout) and channel_mix.{0,1,4} (LayerNorm, Linear, GELU, Dropout, Linear, Dropout).
final class MixerBlock: Module {
    let tokenConvIn: Conv1d, tokenConvOut: Conv1d
    let channelNorm: LayerNorm
    let channelIn: Linear, channelOut: Linear
    let dropout: Dropout
    var isTraining = true

    init(_ config: EDSNet.Config, rng: RandomSource, dropoutRNG: RandomSource) {
        tokenConvIn = Conv1d(config.hidden, config.tokenHidden, kernel: 3, padding: 1, rng: rng)
        tokenConvOut = Conv1d(config.tokenHidden, config.hidden, kernel: 3, padding: 1, rng: rng)
        channelNorm = LayerNorm(config.hidden)
        channelIn = Linear(config.hidden, config.channelHidden, rng: rng)
        channelOut = Linear(config.channelHidden, config.hidden, rng: rng)
        dropout = Dropout(config.dropout, rng: dropoutRNG)
    }

    var children: [(String, any Module)] {
        [("token_mix_conv.0", tokenConvIn), ("token_mix_conv.3", tokenConvOut), ("channel_mix.0", channelNorm),
         ("channel_mix.1", channelIn), ("channel_mix.4", channelOut), ("dropout", dropout)]
    }

    /// h (B, T, H) with its mask, or the packed rows (R, H) of a padded batch -> the same shape.
    func callAsFunction(_ h: Tensor, frames: FrameLayout) -> Tensor {
        // Token mixing: each frame normalised over its H channels (no affine parameters), then convolved
        // over time with the channels as Conv1d's input channels.
        // The convolutions run on the (B, T, channels) layout directly: the same Conv1d weights and
        // results as convolving the transposed (B, H, T) tensor, without the transposing copies.
        // Padded frames are zeroed before each convolution (packed rows have none), so a video's scores
        // do not depend on its batch mates (a deliberate difference from the reference; see README "Padding").
        let t = frames.zeroingPadding(h.layerNorm(weight: nil, bias: nil))
        let inner = frames.convolve(t, tokenConvIn)
        let innerActivation = frames.zeroingPadding(dropout(geluOf: inner, packed: frames.packed))
        let h1 = dropout(frames.convolve(innerActivation, tokenConvOut), addedTo: h, packed: frames.packed)
        let hidden = dropout(geluOf: channelIn(channelNorm(h1)), packed: frames.packed)
        return dropout(channelOut(hidden), addedTo: h1, packed: frames.packed)
    }
}

/// How a mixer block's frames are laid out: a padded batch (B, T, H) with its (B, T) mask, or the
/// packed real frames (R, H) of one.
enum FrameLayout {
    case padded(mask: Tensor)
    case packed(PackedSequences)

    func zeroingPadding(_ x: Tensor) -> Tensor {
        guard case .padded(let mask) = self else { return x }
        return x.zeroingPadding(mask: mask, timeAxis: 1)
    }

    func convolve(_ x: Tensor, _ conv: Conv1d) -> Tensor {
        switch self {
        case .padded: x.conv1dChannelsLast(weight: conv.weight, bias: conv.bias, padding: conv.padding)
        case .packed(let sequences): x.conv1dChannelsLast(weight: conv.weight, bias: conv.bias, padding: conv.padding, sequences: sequences)
        }
    }

    /// The sequences of packed rows (their dropout draws are the padded batch's); nil when padded.
    var packed: PackedSequences? {
        guard case .packed(let sequences) = self else { return nil }
        return sequences
    }
}

extension EDSNet {
    public static let reportVariant = VariantEntry(
        .report,
        contract: contract,
        deviations: ReportVariants.deviations + ["padded frames are zeros to the token-mixing convolutions"],
        schedule: { _ in
            TrainingSchedule(batchSize: 112, epochs: 300, optimizer: .adam, weightDecay: 0, peakLearningRate: 5e-5,
                             learningRateShape: .fixed, gradientClip: 1.0)
        },
        make: { try EDSNet(spec: $0) })
}
