/// Batch norm, an elementwise activation, dropout and the zeroing of padded frames, as one op.
///
/// CSTA's first two convolutions are each followed by `zeroingPadding(dropout(relu(batchNorm(x))))`: four
/// full-size outputs in the forward pass and four full-size gradients in the backward pass. Here the
/// forward pass reads x for the statistics and once more for the output; the backward pass writes the
/// gradient reaching the batch norm once (recomputing the activation's input from x) and hands it to batch
/// norm's own backward kernel. Every value, gradient, running statistic and dropout draw is bit for bit
/// that of the composed ops (the same float operations in the same order); only the dropout keep flags (one
/// byte per element) are stored.
extension Tensor {
    /// `dropout(activation(batchNorm(self)))`, then, with `paddingMask` (B, T) for x (B, C, T, ...), every
    /// padded frame zeroed as `zeroingPadding(mask:timeAxis: 2)`. Batch norm over axis 1 exactly as
    /// `batchNorm` (batch statistics and the running-statistics update when `training`, else the running
    /// statistics); dropout with probability `dropout` when `dropoutTraining`, the same draws from `rng` as
    /// `Tensor.dropout`.
    public func batchNormActivationDropout(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                                           training: Bool, momentum: Float = 0.1, eps: Float = 1e-5,
                                           activation: NormActivation, dropout p: Float, dropoutTraining: Bool,
                                           rng: RandomSource, paddingMask: Tensor? = nil) -> Tensor {
        checkArgument(rank >= 2, "batchNormActivationDropout: needs (N, C, ...), got \(shape)")
        checkArgument(p >= 0 && p < 1, "batchNormActivationDropout: dropout probability \(p) not in [0, 1)")
        let channels = shape[1]
        for t in [weight, bias, runningMean, runningVar] {
            checkArgument(t.shape == [channels], "batchNormActivationDropout: parameter of shape \(t.shape) for input \(shape)")
        }
        if let mask = paddingMask {
            checkArgument(rank >= 3 && mask.rank == 2 && mask.shape[0] == shape[0] && mask.shape[1] == shape[2],
                          "batchNormActivationDropout: mask of shape \(mask.shape) does not fit input \(shape) with time on axis 2")
        }
        // As `zeroingPadding`: nothing to zero when no frame is padded.
        let mask = paddingMask.flatMap { m in (0..<m.count).allSatisfy({ m.storage.pointer[$0] != 0 }) ? nil : m }
        let layout = ChannelLayout(outer: shape[0], channels: channels, inner: count / Swift.max(shape[0] * channels, 1))
        let stats = batchNormStatistics(layout, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                                        training: training, momentum: momentum, eps: eps)
        let keep = dropoutTraining && p > 0 ? DropoutKeepFlags(count: count, p: p, rng: rng) : nil
        let geometry = ActivationDropoutGeometry(layout: layout, frames: mask?.shape[1] ?? 1, dropoutScale: 1 / (1 - p))
        let out = Tensor.empty(shape)
        let x = self
        let keepFrame = mask?.storage.pointer
        if let kernel = activation.affineDropoutKernel {
            affineActivationDropoutKernel(kernel, x.storage.pointer, stats, keep?.flags, keepFrame: keepFrame, out.storage.pointer, geometry)
        } else {
            activationDropoutKernel(IdentityFunction.self, x.storage.pointer, stats, keep?.flags, keepFrame: keepFrame, out.storage.pointer, geometry)
        }
        return out.recorded(from: [x, weight, bias]) { g in
            // `keep` and `mask` are captured here, so they live exactly as long as the graph needs them.
            let flags = keep?.flags, keepFrame = mask?.storage.pointer
            let gy = Tensor.empty(x.shape)
            switch activation {
            case .identity:
                activationDropoutUpstreamKernel(IdentityFunction.self, x.storage.pointer, g.storage.pointer, stats, flags,
                                                keepFrame: keepFrame, gy.storage.pointer, geometry)
            case .relu:
                activationDropoutUpstreamKernel(ReluFunction.self, x.storage.pointer, g.storage.pointer, stats, flags,
                                                keepFrame: keepFrame, gy.storage.pointer, geometry)
            case .gelu:
                geluDropoutUpstreamKernel(x.storage.pointer, g.storage.pointer, stats, flags, keepFrame: keepFrame,
                                          gy.storage.pointer, geometry)
            }
            withExtendedLifetime((keep, mask)) {}
            let gx = x.needsGrad ? Tensor.empty(x.shape) : nil
            let (gGamma, gBeta) = batchNormBackwardKernel(x.storage.pointer, gy.storage.pointer, mean: stats.mean, rstd: stats.rstd,
                                                          gamma: weight.storage.pointer, batchStatistics: training,
                                                          gx: gx?.storage.pointer, layout)
            return [gx, weight.needsGrad ? Tensor(gGamma, shape: [channels]) : nil,
                    bias.needsGrad ? Tensor(gBeta, shape: [channels]) : nil]
        }
    }
}
