/// Layer norm and batch norm.
extension Tensor {
    /// Normalises over the last axis; `weight` and `bias` (shape (width)) are optional, as PyTorch's
    /// `elementwise_affine`. One op: the affine step runs in the normalising pass, and its backward pass
    /// gives the input and parameter gradients without separate multiply and add nodes.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        let width = shape[rank - 1]
        for p in [weight, bias].compactMap({ $0 }) {
            checkArgument(p.shape == [width], "layerNorm: parameter of shape \(p.shape) for input \(shape)")
        }
        let rows = count / Swift.max(width, 1)
        let xhat = Tensor.empty(shape)
        let rstd = Tensor.empty([rows])
        let affine = weight != nil || bias != nil
        let out = affine ? Tensor.empty(shape) : xhat
        layerNormKernel(storage.pointer, xhat.storage.pointer, rstd.storage.pointer, weight: weight?.storage.pointer,
                        bias: bias?.storage.pointer, out: affine ? out.storage.pointer : nil, rows: rows, width: width,
                        eps: eps)
        let x = self
        // The closure keeps xhat's buffer, not the tensor: without the affine step the output is xhat
        // itself, and holding it would make the graph node keep its own output alive.
        let saved = xhat.storage
        return out.recorded(from: [x] + [weight, bias].compactMap { $0 }) { g in
            var grads: [Tensor?] = [nil]
            if x.needsGrad {
                let gx = Tensor.empty(g.shape)
                layerNormBackwardKernel(saved.pointer, g.storage.pointer, rstd.storage.pointer,
                                        weight: weight?.storage.pointer, gx.storage.pointer, rows: rows, width: width)
                grads[0] = gx
            }
            let gWeight = weight?.needsGrad == true ? Tensor.empty([width]) : nil
            let gBias = bias?.needsGrad == true ? Tensor.empty([width]) : nil
            if gWeight != nil || gBias != nil {
                layerNormParameterGradients(saved.pointer, g.storage.pointer, rows: rows, width: width,
                                            gWeight: gWeight?.storage.pointer, gBias: gBias?.storage.pointer)
            }
            if weight != nil { grads.append(gWeight) }
            if bias != nil { grads.append(gBias) }
            return grads
        }
    }

    /// Per-channel mean, 1/std and the affine (gamma, beta) for batch norm: the batch's statistics (and the
    /// running statistics updated in place, unbiased, with `momentum` as PyTorch) in training, the running ones otherwise.
    func batchNormStatistics(_ layout: ChannelLayout, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                             training: Bool, momentum: Float, eps: Float) -> BatchNormStatistics {
        let channels = layout.channels
        let mean: [Float], rstd: [Float]
        if training {
            let (m, variance) = channelMomentsKernel(storage.pointer, layout)
            let n = Double(layout.outer * layout.inner)
            for c in 0..<channels {
                let unbiased = n > 1 ? variance[c] * n / (n - 1) : variance[c]
                runningMean.storage.pointer[c] = (1 - momentum) * runningMean.storage.pointer[c] + momentum * Float(m[c])
                runningVar.storage.pointer[c] = (1 - momentum) * runningVar.storage.pointer[c] + momentum * Float(unbiased)
            }
            mean = m.map { Float($0) }
            rstd = variance.map { Float(1 / ($0 + Double(eps)).squareRoot()) }
        } else {
            mean = runningMean.values
            rstd = runningVar.values.map { 1 / ($0 + eps).squareRoot() }
        }
        return BatchNormStatistics(mean: mean, rstd: rstd, gamma: weight.values, beta: bias.values)
    }

    /// Batch normalisation over axis 1 of (N, C, ...). In training, normalises with the batch statistics
    /// (biased variance) and updates the running statistics in place (unbiased variance, `momentum` as
    /// PyTorch); in evaluation, uses the running statistics. One fused op: the affine step happens in the
    /// same pass, and the backward pass recomputes the normalised input from x instead of keeping it.
    public func batchNorm(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                          training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
        checkArgument(rank >= 2, "batchNorm: needs (N, C, ...), got \(shape)")
        let channels = shape[1]
        for p in [weight, bias, runningMean, runningVar] {
            checkArgument(p.shape == [channels], "batchNorm: parameter of shape \(p.shape) for input \(shape)")
        }
        let layout = ChannelLayout(outer: shape[0], channels: channels, inner: count / Swift.max(shape[0] * channels, 1))
        let statistics = batchNormStatistics(layout, weight: weight, bias: bias, runningMean: runningMean,
                                             runningVar: runningVar, training: training, momentum: momentum, eps: eps)
        let (mean, rstd) = (statistics.mean, statistics.rstd)
        let out = Tensor.empty(shape)
        let x = self
        batchNormAffineKernel(x.storage.pointer, mean: mean, rstd: rstd, gamma: weight.storage.pointer,
                              beta: bias.storage.pointer, out.storage.pointer, layout)
        return out.recorded(from: [x, weight, bias]) { g in
            let gx = x.needsGrad ? Tensor.empty(g.shape) : nil
            let (gGamma, gBeta) = batchNormBackwardKernel(x.storage.pointer, g.storage.pointer, mean: mean, rstd: rstd,
                                                          gamma: weight.storage.pointer, batchStatistics: training,
                                                          gx: gx?.storage.pointer, layout)
            return [gx, weight.needsGrad ? Tensor(gGamma, shape: [channels]) : nil,
                    bias.needsGrad ? Tensor(gBeta, shape: [channels]) : nil]
        }
    }
}
