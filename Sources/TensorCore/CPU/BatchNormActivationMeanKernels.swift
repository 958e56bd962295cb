/// Kernels of `batchNormActivationDropoutMean`: x (outer, channels, inner) with inner = rows x length, the
/// mean taken over each run of `length` contiguous elements.

/// Per-channel batch-norm statistics and affine parameters, as the kernels use them.
struct BatchNormStatistics: Sendable {
    let mean, rstd, gamma, beta: [Float]
}

struct ActivationMeanGeometry {
    let layout: ChannelLayout
    /// Elements averaged into one output value.
    let length: Int
    /// 1 / (1 - p) with dropout active, 1 without.
    let dropoutScale: Float
    var rowsPerChannel: Int { layout.inner / length }
}

enum IdentityFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { x }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 1 }
}

/// out[row] = mean over the row of keep * scale * F(x * a + b), a and b the channel's batch-norm affine.
func activationMeanKernel<F: UnaryFunction>(_: F.Type, _ x: UnsafePointer<Float>, _ stats: BatchNormStatistics,
                                            _ keep: UnsafePointer<UInt8>?, _ out: UnsafeMutablePointer<Float>,
                                            _ g: ActivationMeanGeometry) {
    let l = g.layout, rows = g.rowsPerChannel, length = g.length
    let rowScale = g.dropoutScale / Float(length)
    parallelChunks(l.outer * l.channels, grain: Swift.max(1, 32_768 / Swift.max(l.inner, 1))) { s, e in
        for oc in s..<e {
            let c = oc % l.channels
            let a = stats.rstd[c] * stats.gamma[c], b = stats.beta[c] - stats.mean[c] * a
            for row in 0..<rows {
                let start = oc * l.inner + row * length
                var sum = 0.0
                forChunks(length) { s, e in
                    var acc: Float = 0
                    if let keep {
                        for i in (start + s)..<(start + e) { acc += F.apply(x[i] * a + b) * Float(keep[i]) }
                    } else {
                        for i in (start + s)..<(start + e) { acc += F.apply(x[i] * a + b) }
                    }
                    sum += Double(acc)
                }
                out[oc * rows + row] = Float(sum) * rowScale
            }
        }
    }
}

/// Backward of `activationMeanKernel` through batch norm: returns (dgamma, dbeta) and writes dx when `gx`
/// is given. The upstream gradient of element i is gy_i = g[row] scale / length * keep_i * F'(x_i a + b);
/// then dx = gamma rstd (gy - mean(gy) - xhat mean(gy xhat)) with batch statistics, gamma rstd gy without.
/// Channels run in parallel; each channel is read twice (sums, then dx) while it is still in cache.
func activationMeanBackwardKernel<F: UnaryFunction>(_: F.Type, _ x: UnsafePointer<Float>, _ gOut: UnsafePointer<Float>,
                                                    _ stats: BatchNormStatistics, _ keep: UnsafePointer<UInt8>?,
                                                    batchStatistics: Bool, gx: UnsafeMutablePointer<Float>?,
                                                    _ g: ActivationMeanGeometry) -> (gamma: [Float], beta: [Float]) {
    let l = g.layout, rows = g.rowsPerChannel, length = g.length
    let rowScale = g.dropoutScale / Float(length)
    let n = Float(l.perChannel)
    var gGamma = [Float](repeating: 0, count: l.channels), gBeta = [Float](repeating: 0, count: l.channels)

    // The gradient reaching the normalised-and-affine value of element i of row `oc * rows + row`.
    @inline(__always) func upstream(_ i: Int, _ rowGrad: Float, _ a: Float, _ b: Float) -> Float {
        let pre = x[i] * a + b
        let d = rowGrad * F.derivative(x: pre, y: F.apply(pre))
        if let keep { return d * Float(keep[i]) }
        return d
    }

    gGamma.withUnsafeMutableBufferPointer { gp in
        gBeta.withUnsafeMutableBufferPointer { bp in
            let (pGamma, pBeta) = (gp.baseAddress!, bp.baseAddress!)
            parallelChunks(l.channels, grain: Swift.max(1, 16_384 / Swift.max(l.perChannel, 1))) { cs, ce in
                for c in cs..<ce {
                    let m = stats.mean[c], r = stats.rstd[c]
                    let a = r * stats.gamma[c], b = stats.beta[c] - m * a
                    var sumG = 0.0, sumGX = 0.0
                    for o in 0..<l.outer {
                        let oc = o * l.channels + c
                        for row in 0..<rows {
                            let start = oc * l.inner + row * length, rowGrad = gOut[oc * rows + row] * rowScale
                            forChunks(length) { s, e in
                                var sg: Float = 0, sgx: Float = 0
                                for i in (start + s)..<(start + e) {
                                    let gy = upstream(i, rowGrad, a, b)
                                    sg += gy
                                    sgx += gy * (x[i] - m)
                                }
                                sumG += Double(sg)
                                sumGX += Double(sgx)
                            }
                        }
                    }
                    let dGamma = Float(sumGX) * r
                    pGamma[c] = dGamma
                    pBeta[c] = Float(sumG)
                    guard let gx else { continue }
                    let k = stats.gamma[c] * r
                    let meanG = batchStatistics ? Float(sumG) / n : 0
                    let meanGX = batchStatistics ? dGamma / n * r : 0
                    for o in 0..<l.outer {
                        let oc = o * l.channels + c
                        for row in 0..<rows {
                            let start = oc * l.inner + row * length, rowGrad = gOut[oc * rows + row] * rowScale
                            for i in start..<(start + length) {
                                gx[i] = k * (upstream(i, rowGrad, a, b) - meanG - (x[i] - m) * meanGX)
                            }
                        }
                    }
                }
            }
        }
    }
    return (gGamma, gBeta)
}
