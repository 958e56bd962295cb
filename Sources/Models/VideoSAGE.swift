import Foundation
import TensorCore

/// VideoSAGE, `report` variant (models.md section 3): a temporal graph convolution network on the chain
/// graph of each video's frames, h = A (h W) + b per layer, then the shared score head.
public final class VideoSAGE: SummaryModel {
    public struct Config: Codable, Equatable, Sendable {
        public var inputDim: Int
        public var hidden: Int
        public var gcnLayers: Int
        public var scoreHidden: [Int]
        public var dropout: Float

        enum CodingKeys: String, CodingKey {
            case inputDim = "input_dim", hidden, gcnLayers = "gcn_layers", scoreHidden = "score_hidden", dropout
        }

        public init(inputDim: Int, hidden: Int, gcnLayers: Int, scoreHidden: [Int], dropout: Float) {
            self.inputDim = inputDim
            self.hidden = hidden
            self.gcnLayers = gcnLayers
            self.scoreHidden = scoreHidden
            self.dropout = dropout
        }

        public static let published = Config(inputDim: 1024, hidden: 512, gcnLayers: 3, scoreHidden: [256, 128],
                                              dropout: 0.5)

        public static func from(_ spec: ModelSpec) throws -> Config {
            let s = spec.size
            return Config(inputDim: spec.inputDim, hidden: s.scaled(published.hidden), gcnLayers: published.gcnLayers,
                          scoreHidden: published.scoreHidden.map(s.scaled), dropout: spec.dropout)
        }
    }

    public let config: Config
    public var isTraining = true
    let featureProj: Linear
    let gcnLayers: [GraphConvolution]
    let scoreNet: ScoreHead
    let dropout: Dropout

    public init(config: Config, seed: UInt64 = 0) {
        checkArgument(config.gcnLayers >= 1, "videosage: needs at least one graph layer, got \(config.gcnLayers)")
        self.config = config
        let rng = RandomSource(seed: seed), dropoutRNG = rng.split()
        featureProj = Linear(config.inputDim, config.hidden, rng: rng)
        gcnLayers = (0..<config.gcnLayers).map { _ in GraphConvolution(config.hidden, config.hidden, rng: rng) }
        scoreNet = ScoreHead(width: config.hidden, hidden: config.scoreHidden, dropout: config.dropout, rng: rng,
                             dropoutRNG: dropoutRNG)
        dropout = Dropout(config.dropout, rng: dropoutRNG)
    }

    public convenience init(spec: ModelSpec) throws {
        self.init(config: try Config.from(spec), seed: spec.seed)
    }

    public var name: String { "videosage" }
    public var inputDim: Int { config.inputDim }

    public var children: [(String, any Module)] {
        [("feature_proj", featureProj)]
            + gcnLayers.enumerated().map { ("gcn_layers.\($0.offset)", $0.element as any Module) }
            + [("score_net", scoreNet), ("dropout", dropout)]
    }

    /// Packed batches: every op is per frame but the graph product, which the band's coefficients keep
    /// inside each video, so nothing is spent on padding.
    public static let contract = TrainingContract(layout: .packed)
    public var contract: TrainingContract { Self.contract }

    public func callAsFunction(_ features: Tensor, mask: Tensor) -> Tensor {
        requireFeaturesAndMask(model: name, features: features, mask: mask, inputDim: inputDim)
        let valid = mask.reshaped(mask.shape + [1])
        return scoreNet(graphLayers(features, graph: VideoSAGE.chainGraphCoefficients(mask: mask)) * valid) * mask
    }

    public func frameScores(_ batch: ModelBatch) -> Tensor {
        guard batch.layout == .packed else { return self(batch.features, mask: batch.mask) }
        requireFeaturesAndMask(model: name, features: batch.features, mask: batch.mask, inputDim: inputDim)
        // Dropout draws the padded batch's masks at the real rows, so packing changes no draw.
        let sequences = batch.sequences
        let graph = VideoSAGE.chainGraphCoefficients(batch: 1, frames: sequences.rows,
                                                     videos: batch.lengths.indices.map { batch.rows(of: $0) })
        let h = graphLayers(batch.features.reshaped([sequences.rows, inputDim]), graph: graph, packed: sequences)
        return scoreNet(h, packed: sequences).reshaped([1, sequences.rows])
    }

    /// feature_proj, then the graph layers (ReLU and dropout between them), on (B, T, F) padded features
    /// or the (R, F) rows of `packed` sequences.
    func graphLayers(_ features: Tensor, graph: Tensor, packed: PackedSequences? = nil) -> Tensor {
        var h = featureProj(features)
        for (l, layer) in gcnLayers.enumerated() {
            h = layer(h, graph: graph, reluDropout: l < gcnLayers.count - 1 ? dropout : nil, packed: packed)
        }
        return h
    }

    /// The band of D^-1/2 A D^-1/2 for the chain graph with self-loops over each video's n valid frames
    /// (which must come first: right padding), as (B, T, 3) coefficients for offsets -1, 0, +1. Padded
    /// frames get the identity row, so they never mix with real frames.
    public static func chainGraphCoefficients(mask: Tensor) -> Tensor {
        checkArgument(mask.rank == 2, "videosage: mask must be (B, T), got \(mask.shape)")
        let (b, t) = (mask.shape[0], mask.shape[1])
        let m = mask.values
        let counts = realFrameCounts(mask)
        for (video, n) in counts.enumerated() {
            checkArgument(m[(video * t)..<(video * t + n)].allSatisfy { $0 != 0 },
                         "videosage: mask row \(video) is not right-padded (real frames must come first)")
        }
        return chainGraphCoefficients(batch: b, frames: t, videos: counts.enumerated().map { ($0.offset * t)..<($0.offset * t + $0.element) })
    }

    /// The same band over (B, T) rows holding videos at `videos` (ranges of the flattened B x T rows,
    /// within one row each): padded or packed batches alike. Rows outside every video get the identity.
    static func chainGraphCoefficients(batch b: Int, frames t: Int, videos: [Range<Int>]) -> Tensor {
        var coefficients = [Float](repeating: 0, count: b * t * 3)
        var covered = [Bool](repeating: false, count: b * t)
        for rows in videos {
            let n = rows.count
            // Degree with the self-loop, plus 1e-8 as the reference.
            func inverseRootDegree(_ i: Int) -> Double {
                1 / (Double(1 + (i > 0 ? 1 : 0) + (i < n - 1 ? 1 : 0)) + 1e-8).squareRoot()
            }
            for i in 0..<n {
                let base = (rows.lowerBound + i) * 3
                covered[rows.lowerBound + i] = true
                for offset in -1...1 where i + offset >= 0 && i + offset < n {
                    coefficients[base + offset + 1] = Float(inverseRootDegree(i) * inverseRootDegree(i + offset))
                }
            }
        }
        for row in 0..<(b * t) where !covered[row] { coefficients[row * 3 + 1] = 1 }
        return Tensor(coefficients, shape: [b, t, 3])
    }

    public func forwardFlopsPerFrame(length: Int) -> Double {
        let h = Double(config.hidden)
        // The band product (3 multiply-adds per value) is not a matrix product and is left out.
        return 2 * Double(config.inputDim) * h + Double(gcnLayers.count) * 2 * h * h + scoreNet.flopsPerFrame
    }

    public var configuration: [String: String] {
        ["input_dim": "\(config.inputDim)", "hidden": "\(config.hidden)", "gcn_layers": "\(config.gcnLayers)",
         "score_hidden": "\(config.scoreHidden)", "dropout": "\(config.dropout)"]
    }
}

/// One graph convolution h -> A (h W) + b with W stored (in, out), unlike `Linear`; xavier-uniform weight,
/// zero bias. A is applied as a band, never as a dense (T, T) matrix.
final class GraphConvolution: Module {
    let weight: Tensor, bias: Tensor
    var isTraining = true

    init(_ inFeatures: Int, _ outFeatures: Int, rng: RandomSource) {
        // PyTorch's fan rule reads shape[1] as fan_in; the product is symmetric in the two fans, so the
        // bound is the same either way.
        weight = Initializer.parameter(Initializer.xavierUniform([inFeatures, outFeatures], rng: rng))
        bias = Initializer.parameter(Tensor(zeros: [outFeatures]))
    }

    var ownParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }

    /// h (B, T, in), or the packed rows (R, in) of `packed` with a graph of one row of R frames; then,
    /// with `reluDropout`, that module's ReLU and dropout, fused into the layer's op (`graphConvolution`).
    func callAsFunction(_ h: Tensor, graph: Tensor, reluDropout: Dropout? = nil, packed: PackedSequences? = nil) -> Tensor {
        let rows = h.rank == 2 ? h.reshaped([1] + h.shape) : h
        let out = rows.graphConvolution(weight: weight, coefficients: graph, radius: 1, bias: bias, reluDropout: reluDropout,
                                        packed: packed)
        return h.rank == 2 ? out.reshaped([h.shape[0], weight.shape[1]]) : out
    }
}

extension VideoSAGE {
    public static let reportVariant = VariantEntry(
        .report,
        contract: contract,
        deviations: ReportVariants.deviations + ["the graph product is a band operator, never a dense (T, T) matrix"],
        schedule: { _ in
            ReportVariants.warmupCosine(batch: 512, epochs: 50, optimizer: .adam, weightDecay: 0, peak: 5e-4, warmup: 5, clip: 1.0)
        },
        make: { try VideoSAGE(spec: $0) })
}
