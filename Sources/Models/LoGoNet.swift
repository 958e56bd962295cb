import TensorCore

/// LoGoNet (models.md section 1, the report's proposed model): a convolutional local path and a
/// Transformer global path over the same frames, cross-path attention between them, adaptive fusion
/// and a per-frame score head. Attention excludes padded frames (the report's code did not; see the
/// spec's deviation note). The report is this model's own publication, so `report` and `paper` name
/// the same architecture.
public final class LoGoNet: SummaryModel {
    public struct Config: Codable, Equatable, Sendable {
        public var inputDim: Int
        public var hidden: Int
        public var kernel: Int
        public var layers: Int
        public var heads: Int
        public var ffDim: Int
        public var scoreHidden: Int
        /// Rows of the learnable positional table; longer videos get it resampled.
        public var maxLen: Int
        public var dropout: Float
        /// Ablation switch: without it xl2, xg2 = xl, xg (no `cross_attention.*` keys).
        public var crossAttention: Bool
        /// Ablation switch: without it f = dropout(Linear 2H->H ([xl2, xg2])) under the key `fusion_proj`.
        public var adaptiveFusion: Bool

        enum CodingKeys: String, CodingKey {
            case inputDim = "input_dim", hidden, kernel, layers, heads, ffDim = "ff_dim", scoreHidden = "score_hidden"
            case maxLen = "max_len", dropout, crossAttention = "cross_attention", adaptiveFusion = "adaptive_fusion"
        }

        public init(inputDim: Int, hidden: Int, kernel: Int, layers: Int, heads: Int, ffDim: Int, scoreHidden: Int,
                    maxLen: Int, dropout: Float, crossAttention: Bool, adaptiveFusion: Bool) {
            self.inputDim = inputDim
            self.hidden = hidden
            self.kernel = kernel
            self.layers = layers
            self.heads = heads
            self.ffDim = ffDim
            self.scoreHidden = scoreHidden
            self.maxLen = maxLen
            self.dropout = dropout
            self.crossAttention = crossAttention
            self.adaptiveFusion = adaptiveFusion
        }

        /// The published configuration (11,812,355 parameters).
        public static let published = Config(inputDim: 1024, hidden: 512, kernel: 3, layers: 2, heads: 8, ffDim: 2048,
                                             scoreHidden: 256, maxLen: 1000, dropout: 0.5,
                                             crossAttention: true, adaptiveFusion: true)

        /// The configuration a spec asks for: widths by size, dropout, input width, and the options
        /// "kernel" (odd, default 3), "cross_attention" and "adaptive_fusion" (default true).
        public static func from(_ spec: ModelSpec) throws -> Config {
            let p = published
            let config = Config(inputDim: spec.inputDim, hidden: spec.size.scaled(p.hidden),
                                kernel: try spec.integer("kernel", default: p.kernel), layers: p.layers, heads: p.heads,
                                ffDim: spec.size.scaled(p.ffDim), scoreHidden: spec.size.scaled(p.scoreHidden),
                                maxLen: p.maxLen, dropout: spec.dropout,
                                crossAttention: try spec.flag("cross_attention", default: p.crossAttention),
                                adaptiveFusion: try spec.flag("adaptive_fusion", default: p.adaptiveFusion))
            try config.validate()
            return config
        }

        /// Rejects a configuration the architecture cannot be built with, naming the setting.
        public func validate() throws {
            func bad(_ key: String, _ value: String, _ expected: String) -> ModelError {
                ModelError.badOption(model: "logonet", option: key, value: value, expected: expected)
            }
            if kernel < 1 || kernel % 2 == 0 { throw bad("kernel", "\(kernel)", "an odd kernel size (3 or 5), which keeps the length") }
            if inputDim < 1 { throw bad("input_dim", "\(inputDim)", "a positive width") }
            if hidden < 2 || hidden % 2 != 0 { throw bad("hidden", "\(hidden)", "an even width (conv1 has hidden/2 channels)") }
            if heads < 1 || hidden % heads != 0 { throw bad("heads", "\(heads)", "a divisor of hidden \(hidden)") }
            if layers < 1 { throw bad("layers", "\(layers)", "at least 1") }
            if ffDim < 1 { throw bad("ff_dim", "\(ffDim)", "a positive width") }
            if scoreHidden < 1 { throw bad("score_hidden", "\(scoreHidden)", "a positive width") }
            if maxLen < 1 { throw bad("max_len", "\(maxLen)", "at least 1") }
            if !(dropout >= 0 && dropout < 1) { throw bad("dropout", "\(dropout)", "a probability in [0, 1)") }
        }
    }

    public let config: Config
    let localPath: LoGoNetLocalPath
    let globalPath: LoGoNetGlobalPath
    let crossAttention: LoGoNetCrossAttention?
    let adaptiveFusion: LoGoNetAdaptiveFusion?
    /// The plain fusion of the `adaptive_fusion: false` ablation.
    let fusionProj: Linear?
    let scoreNet: Sequential
    let dropout: Dropout
    public var isTraining = true

    public init(config: Config, seed: UInt64 = 0) throws {
        try config.validate()
        self.config = config
        let rng = RandomSource(seed: seed)
        let h = config.hidden
        localPath = LoGoNetLocalPath(config, rng: rng)
        globalPath = LoGoNetGlobalPath(config, rng: rng)
        crossAttention = config.crossAttention ? LoGoNetCrossAttention(config, rng: rng) : nil
        adaptiveFusion = config.adaptiveFusion ? LoGoNetAdaptiveFusion(config, rng: rng) : nil
        fusionProj = config.adaptiveFusion ? nil : Linear(2 * h, h, rng: rng)
        scoreNet = Sequential(LayerNorm(h), Linear(h, config.scoreHidden, rng: rng), Activation(.gelu),
                              Dropout(config.dropout, rng: rng), Linear(config.scoreHidden, 1, rng: rng),
                              Activation(.sigmoid))
        dropout = Dropout(config.dropout, rng: rng)
    }

    public convenience init(spec: ModelSpec) throws {
        try self.init(config: Config.from(spec), seed: spec.seed)
    }

    public var name: String { "logonet" }
    public var inputDim: Int { config.inputDim }

    public var children: [(String, any Module)] {
        var out: [(String, any Module)] = [("local_path", localPath), ("global_path", globalPath)]
        if let crossAttention { out.append(("cross_attention", crossAttention)) }
        if let adaptiveFusion { out.append(("adaptive_fusion", adaptiveFusion)) }
        if let fusionProj { out.append(("fusion_proj", fusionProj)) }
        out += [("score_net", scoreNet), ("dropout", dropout)]
        return out
    }

    public func callAsFunction(_ features: Tensor, mask: Tensor) -> Tensor {
        checkArgument(features.rank == 3 && features.shape[2] == config.inputDim && features.shape[1] > 0,
                     "logonet: features \(features.shape) are not (B, T, \(config.inputDim)) with T > 0")
        checkArgument(mask.shape == Array(features.shape.prefix(2)),
                     "logonet: mask \(mask.shape) does not match features \(features.shape) (need (B, T))")
        let xl = localPath(features, mask: mask)
        let xg = globalPath(features, mask: mask)
        let (xl2, xg2) = crossAttention.map { $0(local: xl, global: xg, mask: mask) } ?? (xl, xg)
        let fused: Tensor
        if let adaptiveFusion {
            fused = adaptiveFusion(local: xl2, global: xg2)
        } else {
            fused = dropout(fusionProj!(Tensor.concat([xl2, xg2], axis: 2)))
        }
        let scores = scoreNet(fused)                                          // (B, T, 1)
        return scores.reshaped(Array(scores.shape.dropLast()))
    }

    /// Matrix-product and convolution FLOPs of one eval forward pass, per frame, for a video of `length`
    /// frames (a multiply-add counts 2). The convolutions count the taps that fall inside the sequence, as
    /// the (k, 1) kernel computes them; attention counts QKᵀ and the weighted sum over `length` keys.
    public func forwardFlopsPerFrame(length: Int) -> Double {
        checkArgument(length > 0, "logonet: forwardFlopsPerFrame needs a positive length, got \(length)")
        let c = config
        let (f, h, t) = (Double(c.inputDim), Double(c.hidden), Double(length))
        // Taps of a (k, 1) kernel with padding k/2 that land inside a sequence of `length` rows, per row.
        let half = c.kernel / 2
        var taps = 0
        for offset in -half...half { taps += Swift.max(0, length - abs(offset)) }
        let tapsPerRow = Double(taps) / t
        func attention() -> Double { 2 * (4 * h * h) + 2 * (2 * t * h) }   // q, k, v, out projections; QKᵀ and AV
        var macs = 0.0
        macs += f * h                                                     // local feature_proj
        macs += (h / 2) * tapsPerRow * h                                   // conv1: 1 -> H/2 over width H
        macs += h * (h / 2) * tapsPerRow * h                               // conv2: H/2 -> H over width H
        macs += f * h                                                     // global feature_proj
        var flops = 2 * macs
        flops += Double(c.layers) * (attention() + 2 * (2 * h * Double(c.ffDim)))
        if c.crossAttention { flops += 2 * attention() }
        if c.adaptiveFusion {
            flops += 2 * (2 * h * h + h * 2) + 2 * (3 * h * h)             // gate_net, fusion_proj
        } else {
            flops += 2 * (2 * h * h)
        }
        flops += 2 * (h * Double(c.scoreHidden) + Double(c.scoreHidden))   // score_net
        return flops
    }

    public var configuration: [String: String] {
        let c = config
        return ["input_dim": "\(c.inputDim)", "hidden": "\(c.hidden)", "kernel": "\(c.kernel)", "layers": "\(c.layers)",
                "heads": "\(c.heads)", "ff_dim": "\(c.ffDim)", "score_hidden": "\(c.scoreHidden)", "max_len": "\(c.maxLen)",
                "dropout": "\(c.dropout)", "cross_attention": "\(c.crossAttention)", "adaptive_fusion": "\(c.adaptiveFusion)"]
    }
}

extension LoGoNet {
    static let options = [
        ModelOption("kernel", .oddInteger(1...31), default: "\(Config.published.kernel)",
                    help: "temporal kernel of the local path's convolutions"),
        ModelOption("cross_attention", .boolean, default: "true", help: "cross-path attention between the local and global paths"),
        ModelOption("adaptive_fusion", .boolean, default: "true", help: "the gated fusion (false: a linear fusion, `fusion_proj`)"),
    ]

    static func variant(_ variant: ModelVariant) -> VariantEntry {
        VariantEntry(variant, options: options,
                     deviations: ReportVariants.deviations + [
                         "attention excludes padded keys (the report's code passed the validity mask as a padding mask, so its attention produced NaN and fell back)",
                     ] + (variant == .paper ? ["LoGoNet's own publication is the report: `paper` is the same model and schedule as `report`"] : []),
                     schedule: { _ in
                         ReportVariants.warmupCosine(batch: 8, accumulation: 2, epochs: 50, optimizer: .adamW, weightDecay: 1e-4,
                                                     peak: 1e-4, warmup: 10, clip: 0.5)
                     },
                     make: { try LoGoNet(spec: $0) })
    }

    /// The registry entry. The report is LoGoNet's own publication, so both variants are the same.
    public static let entry = ModelEntry(name: "logonet", summary: "the study's local-CNN + global-Transformer hybrid",
                                         variants: [variant(.report), variant(.paper)])
}
