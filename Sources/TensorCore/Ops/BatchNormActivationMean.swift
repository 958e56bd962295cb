/// Batch norm, an elementwise activation, dropout and the mean over the last axis, as one op.
///
/// A network that only ever reads `mean(dropout(act(batchNorm(x))), axis: -1)` (CSTA's conv3 output, for
/// one) otherwise materialises four full-size intermediates and their gradients; here the forward pass
/// reads x twice for the statistics and once more for the output, and the backward pass reads x twice and
/// writes its gradient once, channel by channel while the channel is still in cache. Only the dropout keep
/// flags (one byte per element) are stored.
public enum NormActivation: Sendable {
    case identity, relu, gelu
}

extension Tensor {
    /// `mean(dropout(activation(batchNorm(self))), axis: rank - 1)` for x of shape (N, C, ..., L): batch
    /// norm over axis 1 exactly as `batchNorm` (batch statistics and running-statistics update when
    /// `training`, else the running statistics), then the activation, then dropout with probability
    /// `dropout` when `dropoutTraining` (the same draws from `rng`, in the same order, as `Tensor.dropout`
    /// on the full tensor), then the mean over the last axis. Returns shape (N, C, ...).
    public func batchNormActivationDropoutMean(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                                               training: Bool, momentum: Float = 0.1, eps: Float = 1e-5,
                                               activation: NormActivation, dropout p: Float, dropoutTraining: Bool,
                                               rng: RandomSource) -> Tensor {
        checkArgument(rank >= 3, "batchNormActivationDropoutMean: needs (N, C, ..., L) with the mean axis after the channel axis, got \(shape)")
        checkArgument(p >= 0 && p < 1, "batchNormActivationDropoutMean: dropout probability \(p) not in [0, 1)")
        let channels = shape[1], length = shape[rank - 1]
        checkArgument(length > 0, "batchNormActivationDropoutMean: empty last axis in \(shape)")
        for t in [weight, bias, runningMean, runningVar] {
            checkArgument(t.shape == [channels], "batchNormActivationDropoutMean: parameter of shape \(t.shape) for input \(shape)")
        }
        let layout = ChannelLayout(outer: shape[0], channels: channels, inner: count / Swift.max(shape[0] * channels, 1))
        let stats = batchNormStatistics(layout, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                                        training: training, momentum: momentum, eps: eps)
        let keep = dropoutTraining && p > 0 ? DropoutKeepFlags(count: count, p: p, rng: rng) : nil
        let dropoutScale: Float = keep == nil ? 1 : 1 / (1 - p)
        let geometry = ActivationMeanGeometry(layout: layout, length: length, dropoutScale: dropoutScale)
        let out = Tensor.empty(Array(shape.dropLast()))
        let x = self
        switch activation {
        case .identity: activationMeanKernel(IdentityFunction.self, x.storage.pointer, stats, keep?.flags, out.storage.pointer, geometry)
        case .relu: activationMeanKernel(ReluFunction.self, x.storage.pointer, stats, keep?.flags, out.storage.pointer, geometry)
        case .gelu: activationMeanKernel(GeluFunction.self, x.storage.pointer, stats, keep?.flags, out.storage.pointer, geometry)
        }
        return out.recorded(from: [x, weight, bias]) { g in
            let gx = x.needsGrad ? Tensor.empty(x.shape) : nil
            let sums: (gamma: [Float], beta: [Float])
            // `keep` is captured here, so the flags live exactly as long as the graph needs them.
            let flags = keep?.flags
            switch activation {
            case .identity:
                sums = activationMeanBackwardKernel(IdentityFunction.self, x.storage.pointer, g.storage.pointer, stats, flags,
                                                    batchStatistics: training, gx: gx?.storage.pointer, geometry)
            case .relu:
                sums = activationMeanBackwardKernel(ReluFunction.self, x.storage.pointer, g.storage.pointer, stats, flags,
                                                    batchStatistics: training, gx: gx?.storage.pointer, geometry)
            case .gelu:
                sums = activationMeanBackwardKernel(GeluFunction.self, x.storage.pointer, g.storage.pointer, stats, flags,
                                                    batchStatistics: training, gx: gx?.storage.pointer, geometry)
            }
            withExtendedLifetime(keep) {}
            return [gx, weight.needsGrad ? Tensor(sums.gamma, shape: [channels]) : nil,
                    bias.needsGrad ? Tensor(sums.beta, shape: [channels]) : nil]
        }
    }
}
