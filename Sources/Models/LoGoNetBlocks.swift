import TensorCore

// The sub-blocks of LoGoNet (models.md section 1). Each is registered under the reference's module name,
// so parameter keys equal the PyTorch state_dict keys. Every block owns a `dropout` child (as the
// reference does) so that train / eval mode reaches it through the module walk.

/// The report's activation clamp, applied where models.md marks `clamp(..., -10, 10)`.
private let clampBound: Float = 10

extension Tensor {
    fileprivate func clampedActivation() -> Tensor { clamp(-clampBound, clampBound) }
}

/// `nn.MultiheadAttention` with LoGoNet's small-gain initialisation: xavier-uniform gain 0.01 on the
/// packed input projection and on the output projection, biases 0.
func smallGainAttention(_ config: LoGoNet.Config, rng: RandomSource) -> MultiheadAttention {
    let h = config.hidden
    let attention = MultiheadAttention(embedDim: h, heads: config.heads, dropout: config.dropout, rng: rng)
    attention.inProjWeight.assign(from: Initializer.xavierUniform([3 * h, h], gain: 0.01, rng: rng))
    attention.inProjBias.assign(from: Tensor(zeros: [3 * h]))
    attention.outProj.weight.assign(from: Initializer.xavierUniform([h, h], gain: 0.01, rng: rng))
    attention.outProj.bias!.assign(from: Tensor(zeros: [h]))
    return attention
}

/// Local path: a projection, two (k, 1) convolutions along time with the projection width as the image
/// width, a mean over the conv channels and a residual to the projection.
final class LoGoNetLocalPath: Module {
    let featureProj: Linear
    let conv1: Conv2d, bn1: BatchNorm
    let conv2: Conv2d, bn2: BatchNorm
    let dropout: Dropout
    var isTraining = true

    init(_ config: LoGoNet.Config, rng: RandomSource) {
        let h = config.hidden, k = config.kernel
        featureProj = Linear(config.inputDim, h, rng: rng)
        conv1 = Conv2d(1, h / 2, kernel: (k, 1), padding: (k / 2, 0), rng: rng)
        bn1 = BatchNorm(h / 2)
        conv2 = Conv2d(h / 2, h, kernel: (k, 1), padding: (k / 2, 0), rng: rng)
        bn2 = BatchNorm(h)
        dropout = Dropout(config.dropout, rng: rng)
    }

    var children: [(String, any Module)] {
        [("feature_proj", featureProj), ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2),
         ("dropout", dropout)]
    }

    /// x (B, T, F), mask (B, T) -> (B, T, H). Padded frames are zeroed before each convolution, so a
    /// video's scores do not depend on the padding its batch mates add (a deliberate difference from the
    /// report's code, whose convolutions read the projection bias of padded rows; see README "Padding").
    func callAsFunction(_ x: Tensor, mask: Tensor) -> Tensor {
        let (b, t) = (x.shape[0], x.shape[1])
        let xp = featureProj(x)                                             // (B, T, H)
        let convInput = xp.zeroingPadding(mask: mask, timeAxis: 1).reshaped([b, 1, t, xp.shape[2]])
        // dropout(gelu(bn1(conv1(x)))).zeroingPadding(mask: mask, timeAxis: 2) as one op over the
        // (B, H/2, T, H) tensor, the largest of the model (the same bits, one pass instead of four; in
        // evaluation the convolution's output goes plane by plane through bn1 and GELU in cache).
        let c = bn1.activationDropout(ofConvolution: conv1, convInput, activation: .gelu, dropout: dropout, paddingMask: mask)
        // mean_channels(bn2(conv2(c))) without the (B, H, T, H) conv output: batch norm is affine per
        // channel, so the channel mean is a single-channel convolution whose batch statistics come from
        // the moments of c (TensorCore's columnConvBatchNormChannelMean; same values and gradients).
        let m = c.columnConvBatchNormChannelMean(weight: conv2.weight, bias: conv2.bias, padding: conv2.padding.0,
                                                 bnWeight: bn2.weight, bnBias: bn2.bias, runningMean: bn2.runningMean,
                                                 runningVar: bn2.runningVar, training: bn2.isTraining,
                                                 momentum: bn2.momentum, eps: bn2.eps)   // (B, T, H)
        return dropout((m + xp).gelu())
    }
}

/// A pre-norm Transformer encoder layer with the report's clamps.
final class LoGoNetEncoderLayer: Module {
    let selfAttn: MultiheadAttention
    let ff: Sequential
    let norm1: LayerNorm, norm2: LayerNorm
    let dropout: Dropout
    var isTraining = true

    init(_ config: LoGoNet.Config, rng: RandomSource) {
        let h = config.hidden
        selfAttn = smallGainAttention(config, rng: rng)
        ff = Sequential(Linear(h, config.ffDim, rng: rng), Activation(.gelu), Dropout(config.dropout, rng: rng),
                        Linear(config.ffDim, h, rng: rng), Dropout(config.dropout, rng: rng))
        norm1 = LayerNorm(h)
        norm2 = LayerNorm(h)
        dropout = Dropout(config.dropout, rng: rng)
    }

    var children: [(String, any Module)] {
        [("self_attn", selfAttn), ("ff", ff), ("norm1", norm1), ("norm2", norm2), ("dropout", dropout)]
    }

    /// g (B, T, H), mask (B, T) with 1 = real frame.
    func callAsFunction(_ g: Tensor, mask: Tensor) -> Tensor {
        let n = norm1(g).clampedActivation()
        let a = selfAttn(query: n, key: n, value: n, keyMask: mask).clampedActivation()
        let g1 = g + dropout(a)
        let n2 = norm2(g1).clampedActivation()
        return g1 + ff(n2).clampedActivation()
    }
}

/// Global path: a projection plus a learnable positional encoding, a stack of encoder layers and a
/// residual to the encoder input.
final class LoGoNetGlobalPath: Module {
    let posEncoding: Tensor                                                  // (1, max_len, H)
    let featureProj: Linear
    let transformerLayers: [LoGoNetEncoderLayer]
    let dropout: Dropout
    var isTraining = true

    init(_ config: LoGoNet.Config, rng: RandomSource) {
        // xavierUniform applies PyTorch's 3-D fan rule: fan_in = max_len x H, fan_out = 1 x H.
        posEncoding = Initializer.parameter(Initializer.xavierUniform([1, config.maxLen, config.hidden], gain: 0.02, rng: rng))
        featureProj = Linear(config.inputDim, config.hidden, rng: rng)
        transformerLayers = (0..<config.layers).map { _ in LoGoNetEncoderLayer(config, rng: rng) }
        dropout = Dropout(config.dropout, rng: rng)
    }

    var ownParameters: [(String, Tensor)] { [("pos_encoding", posEncoding)] }

    var children: [(String, any Module)] {
        [("feature_proj", featureProj)]
            + transformerLayers.enumerated().map { ("transformer_layers.\($0.offset)", $0.element) }
            + [("dropout", dropout)]
    }

    /// The first `length` positions, or the whole table resampled linearly to `length` when the video is
    /// longer than the table (align_corners = false, as the reference's F.interpolate).
    func positions(length: Int) -> Tensor {
        let available = posEncoding.shape[1]
        return length <= available ? posEncoding.slice(axis: 1, start: 0, length: length)
                                   : posEncoding.interpolateLinear(axis: 1, length: length)
    }

    /// Positional encodings for a padded batch: each video gets those of its own length (its real frames
    /// counted from the mask), so a video longer than the table is resampled to its length, not to the
    /// batch's padded length, and scores the same in any batch. Rows past a video's length are zero (they
    /// are padding, which attention never reads as a key). (1, T, H) when T fits the table, else (B, T, H).
    func positions(mask: Tensor) -> Tensor {
        let t = mask.shape[1]
        if t <= posEncoding.shape[1] { return positions(length: t) }
        let perVideo = realFrameCounts(mask).map { length -> Tensor in
            let own = positions(length: Swift.max(length, 1))
            guard own.shape[1] < t else { return own }
            return Tensor.concat([own, Tensor(zeros: [1, t - own.shape[1], own.shape[2]])], axis: 1)
        }
        return Tensor.concat(perVideo, axis: 0)
    }

    func callAsFunction(_ x: Tensor, mask: Tensor) -> Tensor {
        let g0 = dropout(featureProj(x) + positions(mask: mask))
        let g = transformerLayers.reduce(g0) { $1($0, mask: mask) }
        return g + g0
    }
}

/// Cross-path attention: local queries attend to global keys/values and the reverse; both directions
/// read the (clamped) inputs, not each other's outputs.
final class LoGoNetCrossAttention: Module {
    let localToGlobal: MultiheadAttention, globalToLocal: MultiheadAttention
    let norm1: LayerNorm, norm2: LayerNorm
    let dropout: Dropout
    var isTraining = true

    init(_ config: LoGoNet.Config, rng: RandomSource) {
        localToGlobal = smallGainAttention(config, rng: rng)
        globalToLocal = smallGainAttention(config, rng: rng)
        norm1 = LayerNorm(config.hidden)
        norm2 = LayerNorm(config.hidden)
        dropout = Dropout(config.dropout, rng: rng)
    }

    var children: [(String, any Module)] {
        [("local_to_global", localToGlobal), ("global_to_local", globalToLocal), ("norm1", norm1), ("norm2", norm2),
         ("dropout", dropout)]
    }

    func callAsFunction(local: Tensor, global: Tensor, mask: Tensor) -> (local: Tensor, global: Tensor) {
        let xl = local.clampedActivation(), xg = global.clampedActivation()
        let toGlobal = localToGlobal(query: xl, key: xg, value: xg, keyMask: mask).clampedActivation()
        let toLocal = globalToLocal(query: xg, key: xl, value: xl, keyMask: mask).clampedActivation()
        return (norm1(xl + dropout(toGlobal)), norm2(xg + dropout(toLocal)))
    }
}

/// Adaptive fusion: a per-frame softmax gate between the two paths, then a projection of the gated mix
/// together with both paths.
final class LoGoNetAdaptiveFusion: Module {
    let gateNet: Sequential
    let fusionProj: Sequential
    var isTraining = true

    init(_ config: LoGoNet.Config, rng: RandomSource) {
        let h = config.hidden
        gateNet = Sequential(Linear(2 * h, h, rng: rng), Activation(.gelu), Dropout(config.dropout, rng: rng),
                             Linear(h, 2, rng: rng))
        fusionProj = Sequential(Linear(3 * h, h, rng: rng), LayerNorm(h), Activation(.gelu),
                                Dropout(config.dropout, rng: rng))
    }

    var children: [(String, any Module)] { [("gate_net", gateNet), ("fusion_proj", fusionProj)] }

    func callAsFunction(local xl: Tensor, global xg: Tensor) -> Tensor {
        let w = gateNet(Tensor.concat([xl, xg], axis: 2)).softmax()                          // (B, T, 2)
        let mixed = w.slice(axis: 2, start: 0, length: 1) * xl + w.slice(axis: 2, start: 1, length: 1) * xg
        return fusionProj(Tensor.concat([mixed, xl, xg], axis: 2))
    }
}
