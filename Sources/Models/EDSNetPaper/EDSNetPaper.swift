import Foundation
import TensorCore

/// EDSNet as published (arXiv 2409.14724; the official repository's `anchor_based/dsnet.py`, class
/// `DSNet` with depth 'shallow', orientation 'paper', fc depth 7): DSNet's anchor-based detector with a
/// Fourier or Nystrom token mixer (models.md section 5.3). One video at a time.
///
/// heads: out = LayerNorm(mixer(x) + x); fc1 (no activation); one FC block applied `fcDepth` times with
/// its one set of weights; ROI or FFT pooling; per frame and scale a class score (sigmoid) and two
/// location offsets. Training: DSNet's anchor labels from the keyshot summary and its loss
/// (`trainingLoss`). Scores: DSNet's box decoding and NMS, each frame the best kept box covering it
/// (`frameScores`, also what `callAsFunction` returns), so every metric is the harness's common one.
public final class EDSNetPaper: SummaryModel {
    public static let contract = TrainingContract(maxBatchSize: 1, needs: [.shots, .keyshotSummary],
                                                  loss: .anchorClassificationLocation, lossAverage: .videos)
    public var contract: TrainingContract { Self.contract }

    public let config: EDSNetPaperConfig
    public var isTraining = true
    /// Either mixer; the other is nil. Registered as `base_model`.
    let fourier: FourierMixer?
    let nystrom: NystromAttention?
    let fftPooling: FFTPooling?
    let layerNorm: LayerNorm
    let fc1: Linear
    let fcBlock: FCBlock
    let classification: Linear
    let location: Linear
    /// The stream the anchor sampling draws one seed from per training video (independent of dropout's).
    let samplingRNG: RandomSource

    /// DSNet's weight of the location loss (`--lambda-reg`) and NMS threshold (`--nms-thresh`).
    public static let locationWeight: Float = 1
    public static let nmsThreshold = 0.5

    public init(config: EDSNetPaperConfig, seed: UInt64 = 0) {
        precondition(config.problem == nil, "EDSNetPaper: \(config.problem ?? "")")
        self.config = config
        let rng = RandomSource(seed: seed), dropoutRNG = rng.split()
        samplingRNG = RandomSource(seed: SplitMix64.derive(seed, 0xA4C4_0125))
        switch config.mixer {
        case .fourier:
            fourier = FourierMixer(width: config.inputDim, dropout: config.dropout, rng: rng, dropoutRNG: dropoutRNG)
            nystrom = nil
        case .nystrom:
            let layer = NystromAttention(dim: config.inputDim, heads: config.heads, headDim: config.headDim,
                                         landmarks: config.landmarks, pinvIterations: config.pinvIterations,
                                         residualKernel: config.residualKernel, rng: rng)
            // xavier_init reaches every Linear and the Conv2d (`'Conv' in cls_name`); to_qkv has no bias.
            for (_, p) in layer.namedParameters() where p.rank >= 2 { paperInitialise(p, bias: nil, rng: rng) }
            layer.toOut.bias?.assign([Float](repeating: 0.1, count: config.inputDim))
            nystrom = layer
            fourier = nil
        }
        fftPooling = config.pooling == .fft ? FFTPooling(scale: config.scales[0], hidden: config.hidden, rng: rng) : nil
        layerNorm = LayerNorm(config.inputDim)
        fc1 = paperLinear(config.inputDim, config.hidden, rng: rng)
        fcBlock = FCBlock(width: config.hidden, dropout: config.dropout, rng: rng, dropoutRNG: dropoutRNG)
        classification = paperLinear(config.hidden, 1, rng: rng)
        location = paperLinear(config.hidden, 2, rng: rng)
    }

    public convenience init(spec: ModelSpec) throws {
        self.init(config: try EDSNetPaperConfig.from(spec), seed: spec.seed)
    }

    public var name: String { "edsnet" }
    public var inputDim: Int { config.inputDim }
    var scaleCount: Int { config.scales.count }

    /// The official `state_dict` order: base_model, poolings (FFT only), layer_norm, fc1, fc_block,
    /// fc_cls.0, fc_loc.0. The `fc.k.*` entries are aliases of `fc_block.*` (`stateAliases`), not
    /// parameters, so the block's weights are counted and updated once.
    public var children: [(String, any Module)] {
        var out: [(String, any Module)] = []
        if let fourier { out.append(("base_model", fourier)) }
        if let nystrom { out.append(("base_model", nystrom)) }
        if let fftPooling { out.append(("poolings", fftPooling)) }
        out += [("layer_norm", layerNorm), ("fc1", fc1), ("fc_block", fcBlock), ("fc_cls.0", classification),
                ("fc_loc.0", location)]
        return out
    }

    /// `self.fc = nn.ModuleList([self.fc_block] * fc_depth)`: PyTorch writes the block once per name.
    public var stateAliases: [(alias: String, key: String)] {
        (0..<config.fcDepth).flatMap { k in
            ["0.weight", "0.bias", "3.weight", "3.bias"].map { (alias: "fc.\(k).\($0)", key: "fc_block.\($0)") }
        }
    }

    // MARK: heads

    /// One video's head outputs: features (T, F) -> class scores (T, scales) in (0, 1) and location
    /// offsets (T, scales, 2), as the official `forward` returns them.
    public func heads(_ video: Tensor) -> (classScores: Tensor, offsets: Tensor) {
        checkArgument(video.rank == 2 && video.shape[1] == inputDim, "\(name): a video must be (T, \(inputDim)), got \(video.shape)")
        let t = video.shape[0]
        let mixed: Tensor
        if let fourier { mixed = fourier(video) } else { mixed = nystrom!(video) }
        var out = fc1(layerNorm(mixed + video))
        for _ in 0..<config.fcDepth { out = fcBlock(out) }
        if let fftPooling {
            let (coarse, fine) = fftPooling(out)
            return (classification(coarse).sigmoid().reshaped([t, 1]), location(fine).reshaped([t, 1, 2]))
        }
        let pooled = ROIPooling.pool(out, scales: config.scales)   // (T, S, H)
        return (classification(pooled).sigmoid().reshaped([t, scaleCount]), location(pooled))
    }

    // MARK: scores

    /// Per-frame scores through DSNet's inference (decode, clip, round, NMS 0.5, best covering box),
    /// for each video of the batch on its own frames (right padding; padded positions score 0).
    public func callAsFunction(_ features: Tensor, mask: Tensor) -> Tensor {
        requireFeaturesAndMask(model: name, features: features, mask: mask, inputDim: inputDim)
        return scores(features, lengths: realFrameCounts(mask))
    }

    public func frameScores(_ batch: ModelBatch) -> Tensor { scores(batch.features, lengths: batch.lengths) }

    func scores(_ features: Tensor, lengths: [Int]) -> Tensor {
        let (b, t) = (features.shape[0], features.shape[1])
        var out = [Float](repeating: 0, count: b * t)
        GradMode.withNoGrad {
            for (video, n) in lengths.enumerated() where n > 0 {
                let (classScores, offsets) = heads(Self.video(features, video, n))
                let frames = DSNetDecoding.frameScores(classScores: classScores.values, offsets: offsets.values, length: n,
                                                       scales: config.scales, nmsThreshold: Self.nmsThreshold)
                for i in 0..<n { out[video * t + i] = frames[i] }
            }
        }
        return Tensor(out, shape: [b, t])
    }

    /// Video `index` of a (B, T, F) batch, its first n rows, as (n, F).
    static func video(_ features: Tensor, _ index: Int, _ n: Int) -> Tensor {
        let f = features.shape[2]
        var v = features.reshaped([features.shape[0] * features.shape[1], f])
        if features.shape[0] > 1 || n < features.shape[1] { v = v.slice(axis: 0, start: index * features.shape[1], length: n) }
        return v
    }

    // MARK: training

    /// The anchor labels of one video from its keyshot summary, drawing the sampling seed from the
    /// model's own stream (one draw per call).
    public func anchorLabels(summary: [Float]) -> DSNetAnchorLabels {
        let seed = samplingRNG.withGenerator { $0.next() }
        return DSNetAnchorLabels(summary: summary, scales: config.scales, seed: seed)
    }

    /// DSNet's objective (`anchor_based/losses.py`) for one video: 0.5 (mean -log p over positives +
    /// mean -log(1 - p) over sampled negatives) + 1.0 x smooth-L1 of the positives' offsets.
    /// Undefined (NaN, as the official means over empty sets) when the video has no positive anchor; the
    /// official loop skips a video without keyshots before its forward pass, and a NaN loss makes the
    /// trainer skip the step the same way.
    public static func loss(classScores: Tensor, offsets: Tensor, labels: DSNetAnchorLabels) -> Tensor {
        let anchors = labels.classes.count
        checkArgument(classScores.count == anchors && offsets.count == 2 * anchors,
                      "EDSNetPaper.loss: \(anchors) labels for class scores \(classScores.shape), offsets \(offsets.shape)")
        let positive = labels.classes.indices.filter { labels.classes[$0] == 1 }
        let negative = labels.classes.indices.filter { labels.classes[$0] == -1 }
        guard !positive.isEmpty else { return Tensor(scalar: .nan) }
        let p = classScores.reshaped([anchors])
        // nll_loss of log([1 - p, p]) picks log p for a positive and log(1 - p) for a negative.
        let positiveLog = p.gatherRows(positive).log().mean()
        let negativeLog = negative.isEmpty ? Tensor(scalar: .nan) : (1 - p.gatherRows(negative)).log().mean()
        let classLoss = (positiveLog + negativeLog) * -0.5
        let predicted = offsets.reshaped([anchors, 2]).gatherRows(positive)
        let target = Tensor(labels.offsets, shape: [anchors, 2]).gatherRows(positive)
        return classLoss + Tensor.smoothL1Loss(predicted, target) * locationWeight
    }

    /// The batch's mean DSNet loss over its videos (the contract allows one), each from its keyshot summary.
    public func trainingLoss(_ batch: ModelBatch) -> Tensor {
        checkArgument(batch.keyshotSummary.count == batch.count,
                      "\(name) --variant paper trains on keyshot summaries; the batch carries \(batch.keyshotSummary.count) for \(batch.count) videos")
        var total: Tensor? = nil
        for (video, n) in batch.lengths.enumerated() {
            let labels = anchorLabels(summary: batch.keyshotSummary[video])
            let (classScores, offsets) = heads(Self.video(batch.features, video, n))
            let loss = Self.loss(classScores: classScores, offsets: offsets, labels: labels)
            total = total.map { $0 + loss } ?? loss
        }
        guard let total else { return Tensor(scalar: .nan) }
        return batch.count == 1 ? total : total * (1 / Float(batch.count))
    }

    // MARK: accounting

    /// Matrix-product and convolution FLOPs (what the core counts) of the heads per frame. The FFTs and
    /// the decoding are not counted.
    public func forwardFlopsPerFrame(length: Int) -> Double {
        let t = Double(Swift.max(length, 1)), f = Double(inputDim), h = Double(config.hidden)
        let s = Double(scaleCount)
        var total = 0.0   // for the whole video
        if fourier != nil {
            total += t * 2 * f * f
        } else if let nystrom {
            let n = Swift.max(length, 1)
            let padded = Double(n + nystrom.frontPadding(n))
            let (heads, d, m) = (Double(config.heads), Double(config.headDim), Double(config.landmarks))
            total += 2 * padded * f * 3 * heads * d                       // to_qkv
            total += 2 * heads * padded * m * d * 2                       // q kLᵀ, qL kᵀ
            total += 2 * heads * m * m * d                                // qL kLᵀ
            total += Double(config.pinvIterations) * 4 * 2 * heads * m * m * m
            total += 2 * heads * padded * m * m                           // A1 pinv(A2)
            total += 2 * heads * m * padded * d * 2                       // A3 v, (A1 pinv) (A3 v)
            total += 2 * heads * d * Double(Tensor.depthwiseTemporalConvTaps(length: Int(padded), kernel: config.residualKernel,
                                                                              padding: config.residualKernel / 2))
            total += 2 * padded * heads * d * f                           // to_out
        }
        total += t * (2 * f * h + Double(config.fcDepth) * 2 * h * h)
        if fftPooling != nil {
            total += t * (2 * Double(config.scales[0]) * h * h + 2 * h * 1 + 2 * h * 2)
        } else {
            total += t * s * (2 * h * 1 + 2 * h * 2)
        }
        return total / t
    }

    public var configuration: [String: String] {
        ["input_dim": "\(config.inputDim)", "mixer": config.mixer.rawValue, "pooling": config.pooling.rawValue,
         "scales": config.scales.map(String.init).joined(separator: ","), "hidden": "\(config.hidden)",
         "fc_depth": "\(config.fcDepth)", "heads": "\(config.heads)", "head_dim": "\(config.headDim)",
         "landmarks": "\(config.landmarks)", "pinv_iterations": "\(config.pinvIterations)",
         "residual_kernel": "\(config.residualKernel)", "dropout": "\(config.dropout)"]
    }
}

/// The official `fc_block`: Linear(H, H), ReLU, Dropout, LayerNorm (keys `0.*` and `3.*`). The model
/// calls this one module `fcDepth` times, so its weights are shared and their gradients sum.
final class FCBlock: Module {
    let linear: Linear
    let norm: LayerNorm
    let dropout: Dropout
    var isTraining = true

    init(width: Int, dropout p: Float, rng: RandomSource, dropoutRNG: RandomSource) {
        linear = paperLinear(width, width, rng: rng)
        norm = LayerNorm(width)
        dropout = Dropout(p, rng: dropoutRNG)
    }

    var children: [(String, any Module)] { [("0", linear), ("3", norm), ("dropout", dropout)] }

    func callAsFunction(_ x: Tensor) -> Tensor { norm(dropout(reluOf: linear(x))) }
}
