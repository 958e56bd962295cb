/// The channel mean of a batch-normalised (K, 1) column convolution, without materialising the
/// convolution's output.
///
/// Batch norm is affine per channel, so the mean over its O channels is one fixed linear combination of
/// the convolution's channels: mean_o bn(z)_o = Σ_o α_o (z_o - μ_o) + mean(β) with α_o = γ_o / (O σ_o).
/// That is a convolution with a single output channel, u = Σ_o α_o W_o. In evaluation μ and σ are the
/// running statistics; in training they are the batch statistics of z, which come from the first and
/// second moments of the input patches: μ_o = W_o·S and E[z_o²] = W_oᵀ G W_o with S the patch mean and G
/// the patch Gram matrix. The backward pass needs the same moments plus one convolution of the input with
/// the blocks of Wᵀ diag(ν) W (C -> C channels, 2K - 1 taps), instead of the O-channel convolution and its
/// two gradient products. The result equals
/// `conv2d(weight, bias, padding: (padding, 0)).batchNorm(...).mean(axis: 1)` up to float rounding,
/// including the running-statistic update in training.
extension Tensor {
    /// x (N, C, T, W), weight (O, C, K, 1), bias and batch-norm parameters (O) -> (N, T + 2 padding - K + 1, W).
    public func columnConvBatchNormChannelMean(weight: Tensor, bias: Tensor?, padding: Int,
                                               bnWeight: Tensor, bnBias: Tensor, runningMean: Tensor, runningVar: Tensor,
                                               training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
        checkArgument(rank == 4 && weight.rank == 4 && weight.shape[1] == shape[1] && weight.shape[3] == 1,
                     "columnConvBatchNormChannelMean: input \(shape) and weight \(weight.shape) do not fit (need (N,C,T,W) and (O,C,K,1))")
        let o = weight.shape[0]
        let g = ColumnTaps(n: shape[0], c: shape[1], t: shape[2], w: shape[3], k: weight.shape[2], pad: padding)
        checkArgument(padding >= 0 && g.outT > 0,
                     "columnConvBatchNormChannelMean: input \(shape) too short for kernel \(weight.shape) with padding \(padding)")
        for p in [bias, bnWeight, bnBias, runningMean, runningVar].compactMap({ $0 }) {
            checkArgument(p.shape == [o], "columnConvBatchNormChannelMean: parameter of shape \(p.shape) for \(o) channels")
        }
        let x = self, ck = g.ck
        let pw = weight.storage.pointer, gamma = bnWeight.storage.pointer, beta = bnBias.storage.pointer
        let biasValues = (0..<o).map { oc in bias.map { Double($0.storage.pointer[oc]) } ?? 0 }
        let betaMean = (0..<o).reduce(0.0) { $0 + Double(beta[$1]) } / Double(o)
        let out = Tensor.empty([g.n, g.outT, g.w])

        // u = Σ_o α_o W_o, the single output channel the mean over channels reduces to.
        func combinedWeight(_ alpha: [Double]) -> [Float] {
            var u = [Double](repeating: 0, count: ck)
            for oc in 0..<o {
                let row = pw + oc * ck
                for j in 0..<ck { u[j] += alpha[oc] * Double(row[j]) }
            }
            return u.map { Float($0) }
        }
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        inputs += [bnWeight, bnBias]

        if !training {
            let std = (0..<o).map { (Double(runningVar.storage.pointer[$0]) + Double(eps)).squareRoot() }
            let alpha = (0..<o).map { Double(gamma[$0]) / (Double(o) * std[$0]) }
            let u = combinedWeight(alpha)
            var constant = betaMean
            for oc in 0..<o { constant += alpha[oc] * (biasValues[oc] - Double(runningMean.storage.pointer[oc])) }
            columnSingleChannelConv(x.storage.pointer, u, constant: Float(constant), g, into: out.storage.pointer)
            let shift = (0..<o).map { biasValues[$0] - Double(runningMean.storage.pointer[$0]) }
            return out.recorded(from: inputs) { gout in
                let gsum = gout.values.reduce(0.0) { $0 + Double($1) }
                let r = columnTapCorrelation(x.storage.pointer, gout.storage.pointer, g)
                var gw = [Float](repeating: 0, count: o * ck), ggamma = [Float](repeating: 0, count: o)
                for oc in 0..<o {
                    var dot = 0.0
                    for j in 0..<ck {
                        gw[oc * ck + j] = Float(alpha[oc] * Double(r[j]))
                        dot += Double(pw[oc * ck + j]) * Double(r[j])
                    }
                    ggamma[oc] = Float((dot + shift[oc] * gsum) / (Double(o) * std[oc]))
                }
                let gx = Tensor.empty(x.shape)
                columnSingleChannelConvBackward(gout.storage.pointer, u: u, v: [Float](repeating: 0, count: ck), g,
                                                into: gx.storage.pointer)
                var grads: [Tensor?] = [gx, Tensor(gw, shape: weight.shape)]
                if bias != nil { grads.append(Tensor(alpha.map { Float($0 * gsum) }, shape: [o])) }
                grads += [Tensor(ggamma, shape: [o]), Tensor(repeating: Float(gsum / Double(o)), shape: [o])]
                return grads
            }
        }

        // Batch statistics of z0 = conv(x) without bias (the bias shifts the mean only).
        let positions = Double(g.positions)
        let s1 = columnTapSums(x.storage.pointer, g).map { $0 / positions }
        let gram = columnTapGram(x.storage.pointer, g)
        var wg = [Float](repeating: 0, count: o * ck)
        gram.withUnsafeBufferPointer { gp in
            wg.withUnsafeMutableBufferPointer { wp in
                sgemm(false, false, m: o, n: ck, k: ck, pw, lda: ck, gp.baseAddress!, ldb: ck, beta: 0, wp.baseAddress!, ldc: ck)
            }
        }
        var mu0 = [Double](repeating: 0, count: o), variance = [Double](repeating: 0, count: o)
        for oc in 0..<o {
            var m = 0.0, second = 0.0
            for j in 0..<ck {
                let wv = Double(pw[oc * ck + j])
                m += wv * s1[j]
                second += wv * Double(wg[oc * ck + j])
            }
            mu0[oc] = m
            variance[oc] = Swift.max(second / positions - m * m, 0)
        }
        for oc in 0..<o {
            let unbiased = positions > 1 ? variance[oc] * positions / (positions - 1) : variance[oc]
            let rm = runningMean.storage.pointer, rv = runningVar.storage.pointer
            rm[oc] = (1 - momentum) * rm[oc] + momentum * Float(mu0[oc] + biasValues[oc])
            rv[oc] = (1 - momentum) * rv[oc] + momentum * Float(unbiased)
        }
        let sigma = variance.map { ($0 + Double(eps)).squareRoot() }
        let alpha = (0..<o).map { Double(gamma[$0]) / (Double(o) * sigma[$0]) }
        let u = combinedWeight(alpha)
        let constant = betaMean - (0..<o).reduce(0.0) { $0 + alpha[$1] * mu0[$1] }
        columnSingleChannelConv(x.storage.pointer, u, constant: Float(constant), g, into: out.storage.pointer)

        return out.recorded(from: inputs) { gout in
            let gsum = gout.values.reduce(0.0) { $0 + Double($1) }
            let r = columnTapCorrelation(x.storage.pointer, gout.storage.pointer, g)
            let rc = (0..<ck).map { Double(r[$0]) - gsum * s1[$0] }     // Σ gout (patch - patch mean)
            var gw = [Float](repeating: 0, count: o * ck), ggamma = [Float](repeating: 0, count: o)
            var lambda = [Double](repeating: 0, count: o)                 // dL/dμ_o, all paths
            var quadratic = [Float](repeating: 0, count: o * ck)           // rows of diag(2ν/N) W
            for oc in 0..<o {
                let row = pw + oc * ck
                var q = 0.0
                for j in 0..<ck { q += Double(row[j]) * rc[j] }
                ggamma[oc] = Float(q / (Double(o) * sigma[oc]))
                let nu = -q * alpha[oc] / (2 * sigma[oc] * sigma[oc])       // dL/dvar_o
                lambda[oc] = -alpha[oc] * gsum - 2 * mu0[oc] * nu
                for j in 0..<ck {
                    let centredGram = Double(wg[oc * ck + j]) / positions - mu0[oc] * s1[j]
                    gw[oc * ck + j] = Float(alpha[oc] * rc[j] + 2 * nu * centredGram)
                    quadratic[oc * ck + j] = Float(2 * nu / positions * Double(row[j]))
                }
            }
            // Per-tap constant from the mean path: (1/N) Wᵀ λ.
            var v = [Float](repeating: 0, count: ck)
            for j in 0..<ck {
                var acc = 0.0
                for oc in 0..<o { acc += Double(pw[oc * ck + j]) * lambda[oc] }
                v[j] = Float(acc / positions)
            }
            var m = [Float](repeating: 0, count: ck * ck)
            quadratic.withUnsafeBufferPointer { qp in
                m.withUnsafeMutableBufferPointer { mp in
                    sgemm(true, false, m: ck, n: ck, k: o, pw, lda: ck, qp.baseAddress!, ldb: ck, beta: 0, mp.baseAddress!, ldc: ck)
                }
            }
            let gx = Tensor.empty(x.shape)
            columnSingleChannelConvBackward(gout.storage.pointer, u: u, v: v, g, into: gx.storage.pointer)
            columnQuadraticFormBackward(x.storage.pointer, m, g, into: gx.storage.pointer)
            var grads: [Tensor?] = [gx, Tensor(gw, shape: weight.shape)]
            if bias != nil { grads.append(Tensor(zeros: [o])) }    // batch norm removes the bias exactly
            grads += [Tensor(ggamma, shape: [o]), Tensor(repeating: Float(gsum / Double(o)), shape: [o])]
            return grads
        }
    }
}
