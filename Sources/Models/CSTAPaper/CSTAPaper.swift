import Foundation
import TensorCore

/// CSTA as published (CVPR 2024; thswodnjs3/CSTA `models/GoogleNet.py` with its `config.py` defaults),
/// models.md section 5.1: `csta --variant paper`. One video at a time (the official code squeezes the
/// batch away), for a video x (T, F):
///
/// - the image: x in three identical channels with the learnable CLS (1, 3, 1, F) prepended along time,
///   (3, T+1, F);
/// - key = `key_embedding` on every channel (3, T+1, D); value = `value_embedding` on channel 0 (T+1, D);
/// - the GoogLeNet trunk on the key image, then AdaptiveAvgPool2d((T+1, 1)), which enlarges the trunk's
///   few rows (about T / 32) back to T+1: the attention map (T+1, D);
/// - skip: + key channel 0; `layernorm1` = BatchNorm2d(1) over the map as (1, 1, T+1, D); + the fixed
///   encoding rows 0...T;
/// - softmax over time and over features, each through the same Dropout(0.6) (two masks);
///   y = v * At + v * As;
/// - AdaptiveAvgPool2d((T, D)) from T+1 rows to T: row t = mean of rows t and t+1 (frame t mixes with
///   frame t-1, frame 0 with the CLS row), as the official code does;
/// - head: Linear D->D, ReLU, Dropout(0.5), LayerNorm(D, eps 1e-6), Linear D->1, Sigmoid; the head's
///   Linear weights xavier-uniform with gain sqrt(2), biases 0.1.
///
/// State keys are the official ones (paper-state-dicts.md): 9,779,851 parameters at published width,
/// 8,754,851 without the unused `googlenet.fc`. Videos of 14 to 4999 frames (`checkLength`).
/// Computed once, not three times: the key projection of the T frame rows (the three channels' frame
/// rows are the same features, so their keys are equal); the CLS rows are projected per channel.
public final class CSTAPaper: SummaryModel {
    public static let contract = TrainingContract(maxBatchSize: 1, loss: .maskedMSE, frames: minimumLength...maximumLength)
    public var contract: TrainingContract { Self.contract }

    /// T = 13 leaves the third max pool a 1-row input, which PyTorch refuses (the official code fails).
    public static let minimumLength = 14
    /// The encoding table has 5000 rows and the CLS row takes one.
    public static let maximumLength = FixedPositionalEncoding.rows - 1

    /// Throws a description naming the video, its length and the limit when a video of `length`
    /// frames cannot be scored; the harness calls it for every video before training.
    public static func checkLength(_ length: Int, video: String) throws {
        if length < minimumLength { throw CSTAPaperError.videoTooShort(video: video, length: length) }
        if length > maximumLength { throw CSTAPaperError.videoTooLong(video: video, length: length) }
    }

    public let config: Config
    public var isTraining = true
    /// How the trunk started: "scratch" (PyTorch's default initialisation) or the torchvision weights
    /// file given with `--option trunk_weights=FILE`.
    public private(set) var trunkStart = "scratch"

    let cls: Tensor
    let googlenet: GoogLeNetTrunk
    let positionalEncoding: FixedPositionalEncoding
    let dropout: Dropout
    let linear1: Sequential, linear2: Sequential
    let keyEmbedding: Linear, valueEmbedding: Linear
    let layernorm1: BatchNorm

    public init(config: Config = .published, seed: UInt64 = 0) {
        config.validate()
        self.config = config
        let rng = RandomSource(seed: seed), dropoutRNG = rng.split()
        let d = config.projDim
        googlenet = GoogLeNetTrunk(config: config, rng: rng)
        checkArgument(googlenet.outChannels == d,
                      "csta (paper): trunk width \(googlenet.outChannels) differs from the projection width \(d)")
        positionalEncoding = FixedPositionalEncoding(width: d)
        dropout = Dropout(config.attentionDropout, rng: dropoutRNG)
        let head = Linear(d, d, rng: rng), score = Linear(d, 1, rng: rng)
        for layer in [head, score] {
            layer.weight.assign(from: Initializer.xavierUniform(layer.weight.shape, gain: Float(2).squareRoot(), rng: rng))
            layer.bias?.assign(Array(repeating: 0.1, count: layer.weight.shape[0]))
        }
        linear1 = Sequential(head, Activation(.relu), Dropout(config.headDropout, rng: dropoutRNG), LayerNorm(d, eps: 1e-6))
        linear2 = Sequential(score, Activation(.sigmoid))
        cls = Initializer.parameter(Tensor(zeros: [1, 3, 1, config.inputDim]))
        keyEmbedding = Linear(config.inputDim, d, rng: rng)
        valueEmbedding = Linear(config.inputDim, d, rng: rng)
        layernorm1 = BatchNorm(1)
    }

    /// From a model spec: `--size` (paper or small, see `Config`), `spec.dropout` (the head's dropout),
    /// `--option attention_dropout=P`, `--option trunk_weights=FILE` (torchvision-named GoogLeNet weights
    /// in safetensors, loaded into the trunk and recorded in `configuration`).
    public convenience init(spec: ModelSpec) throws {
        self.init(config: try Config.from(spec), seed: spec.seed)
        if let path = spec.options["trunk_weights"] {
            try loadTrunkWeights(from: URL(fileURLWithPath: path))
        }
    }

    /// Loads torchvision-named GoogLeNet weights into the trunk (see `GoogLeNetTrunk`).
    public func loadTrunkWeights(from url: URL) throws {
        try googlenet.loadTorchvisionWeights(from: url)
        trunkStart = url.path
    }

    public var name: String { "csta" }
    public var inputDim: Int { config.inputDim }

    public var ownParameters: [(String, Tensor)] { [("CLS", cls)] }

    public var children: [(String, any Module)] {
        [("googlenet", googlenet), ("Positional_encoding_op", positionalEncoding), ("dropout", dropout),
         ("linear1", linear1), ("linear2", linear2), ("key_embedding", keyEmbedding),
         ("value_embedding", valueEmbedding), ("layernorm1", layernorm1)]
    }

    /// A checkpoint's encoding table must be the fixed one (within float32 library differences).
    public func validateState(_ entries: [String: (shape: [Int], values: [Float])]) throws {
        guard let table = entries["Positional_encoding_op.pe"] else { return }
        let worst = positionalEncoding.largestDifference(from: table.values)
        if !(worst.difference <= FixedPositionalEncoding.tolerance) {
            throw CSTAPaperError.positionalTable(row: worst.row, column: worst.column, difference: worst.difference)
        }
    }

    /// features (B, T, F), mask (B, T) -> scores (B, T). Each video is scored alone at its own length
    /// (the mask's count of real frames; padding is on the right), and padded positions score 0, so a
    /// batch gives every video the scores it gets alone. Training takes one video per step
    /// (`contract`): batch norm's statistics are one video's, as in the official code.
    public func callAsFunction(_ features: Tensor, mask: Tensor) -> Tensor {
        requireFeaturesAndMask(model: "csta (paper)", features: features, mask: mask, inputDim: inputDim)
        let (b, t) = (features.shape[0], features.shape[1])
        let lengths = realFrameCounts(mask)
        if b == 1 && lengths[0] == t { return scores(features.reshaped([t, inputDim]), video: 0).reshaped([1, t]) }
        let rows = lengths.enumerated().map { index, n -> Tensor in
            let video = features.slice(axis: 0, start: index, length: 1).slice(axis: 1, start: 0, length: n)
            let s = scores(video.reshaped([n, inputDim]), video: index)
            return (n < t ? Tensor.concat([s, Tensor(zeros: [t - n])], axis: 0) : s).reshaped([1, t])
        }
        return Tensor.concat(rows, axis: 0)
    }

    /// One video x (T, F) -> scores (T).
    func scores(_ x: Tensor, video: Int) -> Tensor {
        let t = x.shape[0], f = inputDim, d = config.projDim
        checkArgument((Self.minimumLength...Self.maximumLength).contains(t),
                      "csta (paper): video \(video) of the batch has \(t) frames; the model takes \(Self.minimumLength) to "
                      + "\(Self.maximumLength) (check lengths with CSTAPaper.checkLength before training)")
        let clsRows = cls.reshaped([3, f])
        let frameKeys = keyEmbedding(x).reshaped([1, t, d])
        let clsKeys = keyEmbedding(clsRows).reshaped([3, 1, d])
        let keyImage = Tensor.concat([clsKeys, Tensor.concat([frameKeys, frameKeys, frameKeys], axis: 0)], axis: 1)
        let trunk = googlenet(keyImage.reshaped([1, 3, t + 1, d]))                         // (1, D, h, w)
        let map = trunk.adaptiveAvgPool2d(t + 1, 1).reshaped([d, t + 1]).transposed()      // (T+1, D)
        let key0 = keyImage.slice(axis: 0, start: 0, length: 1).reshaped([t + 1, d])
        let normalised = layernorm1((map + key0).reshaped([1, 1, t + 1, d])).reshaped([t + 1, d])
        let attention = normalised + positionalEncoding.rows(t + 1)
        let temporal = dropout(attention.softmax(axis: 0))
        let spatial = dropout(attention.softmax(axis: 1))
        let value = valueEmbedding(Tensor.concat([clsRows.slice(axis: 0, start: 0, length: 1), x], axis: 0))   // (T+1, D)
        // v * At + v * As, with one product: v * (At + As).
        let mixed = value * (temporal + spatial)
        let framesOnly = mixed.reshaped([1, 1, t + 1, d]).adaptiveAvgPool2d(t, d).reshaped([t, d])
        return linear2(linear1(framesOnly)).reshaped([t])
    }

    /// FLOPs of one forward pass per frame (multiply-adds counted as 2), as this model computes it:
    /// the key projection of T frame rows and 3 CLS rows, the value projection of T+1 rows, every trunk
    /// convolution as a direct convolution (the Winograd paths execute fewer), and the head's two products.
    public func forwardFlopsPerFrame(length: Int) -> Double {
        let t = Double(length), f = Double(inputDim), d = Double(config.projDim)
        let projections = 2 * f * d * (t + 3) + 2 * f * d * (t + 1)
        let trunk = googlenet.walk(height: length + 1, width: config.projDim).flops
        let head = 2 * d * d * t + 2 * d * t
        return (projections + trunk + head) / t
    }

    /// Rows of the trunk's output for a video of `length` frames (1 up to 45 frames, 2 at 60, 4 at 120).
    public func trunkRows(length: Int) -> Int { googlenet.walk(height: length + 1, width: config.projDim).h }

    public var configuration: [String: String] {
        ["variant": "paper", "input_dim": "\(config.inputDim)", "width_divisor": "\(config.widthDivisor)",
         "proj_dim": "\(config.projDim)", "attention_dropout": "\(config.attentionDropout)",
         "head_dropout": "\(config.headDropout)", "trunk_weights": trunkStart]
    }
}
