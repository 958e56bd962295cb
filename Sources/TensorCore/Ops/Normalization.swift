/// Layer norm and batch norm.
extension Tensor {
    /// Normalises over the last axis; `weight` and `bias` (shape (width)) are optional, as PyTorch's
    /// `elementwise_affine`.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        let width = shape[rank - 1]
        for p in [weight, bias].compactMap({ $0 }) {
            checkArgument(p.shape == [width], "layerNorm: parameter of shape \(p.shape) for input \(shape)")
        }
        let rows = count / Swift.max(width, 1)
        let xhat = Tensor.empty(shape)
        let rstd = Tensor.empty([rows])
        layerNormKernel(storage.pointer, xhat.storage.pointer, rstd.storage.pointer, rows: rows, width: width, eps: eps)
        let normalized = xhat.recorded(from: [self]) { [unowned xhat] g in
            let gx = Tensor.empty(g.shape)
            layerNormBackwardKernel(xhat.storage.pointer, g.storage.pointer, rstd.storage.pointer, gx.storage.pointer,
                                    rows: rows, width: width)
            return [gx]
        }
        var out = normalized
        if let weight { out = out * weight }
        if let bias { out = out + bias }
        return out
    }

    /// Batch normalisation over axis 1 of (N, C, ...). In training, normalises with the batch statistics
    /// (biased variance) and updates the running statistics in place (unbiased variance, `momentum` as
    /// PyTorch); in evaluation, uses the running statistics.
    public func batchNorm(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                          training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
        checkArgument(rank >= 2, "batchNorm: needs (N, C, ...), got \(shape)")
        let channels = shape[1]
        for p in [weight, bias, runningMean, runningVar] {
            checkArgument(p.shape == [channels], "batchNorm: parameter of shape \(p.shape) for input \(shape)")
        }
        let outer = shape[0], inner = count / Swift.max(outer * channels, 1)
        let affineShape = [1, channels] + [Int](repeating: 1, count: rank - 2)
        let w = weight.reshaped(affineShape), b = bias.reshaped(affineShape)
        if !training {
            let scale = Tensor.empty([channels]), shift = Tensor.empty([channels])
            for c in 0..<channels {
                let inv = 1 / (runningVar.storage.pointer[c] + eps).squareRoot()
                scale.storage.pointer[c] = inv
                shift.storage.pointer[c] = -runningMean.storage.pointer[c] * inv
            }
            return (self * scale.reshaped(affineShape) + shift.reshaped(affineShape)) * w + b
        }
        let (mean, variance) = channelMomentsKernel(storage.pointer, outer: outer, channels: channels, inner: inner)
        let n = Double(outer * inner)
        for c in 0..<channels {
            let unbiased = n > 1 ? variance[c] * n / (n - 1) : variance[c]
            runningMean.storage.pointer[c] = (1 - momentum) * runningMean.storage.pointer[c] + momentum * Float(mean[c])
            runningVar.storage.pointer[c] = (1 - momentum) * runningVar.storage.pointer[c] + momentum * Float(unbiased)
        }
        let rstd = variance.map { Float(1 / ($0 + Double(eps)).squareRoot()) }
        let xhat = Tensor.empty(shape)
        let px = storage.pointer, ph = xhat.storage.pointer
        for o in 0..<outer {
            for c in 0..<channels {
                let m = Float(mean[c]), r = rstd[c]
                let base = (o * channels + c) * inner
                for i in 0..<inner { ph[base + i] = (px[base + i] - m) * r }
            }
        }
        let normalized = xhat.recorded(from: [self]) { g in
            // Per channel: gx = rstd * (g - mean(g) - xhat * mean(g * xhat)) over the N x spatial positions.
            let gx = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            for c in 0..<channels {
                var a: Double = 0, bb: Double = 0
                for o in 0..<outer {
                    let base = (o * channels + c) * inner
                    for i in 0..<inner { a += Double(pg[base + i]); bb += Double(pg[base + i] * ph[base + i]) }
                }
                let ma = Float(a / n), mb = Float(bb / n), r = rstd[c]
                for o in 0..<outer {
                    let base = (o * channels + c) * inner
                    for i in 0..<inner { pgx[base + i] = r * (pg[base + i] - ma - ph[base + i] * mb) }
                }
            }
            return [gx]
        }
        return normalized * w + b
    }
}
