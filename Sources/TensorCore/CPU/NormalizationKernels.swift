import Foundation

/// Layer norm over rows of `width`: writes the normalised rows `xhat` (kept for the backward pass), 1/std
/// per row, and, when an affine parameter is given, `out = xhat * weight + bias` in the same pass.
/// Statistics in sixteen float partial sums, the variance around the mean (two passes), as the old
/// double-precision scalar loops did it, several times faster.
func layerNormKernel(_ x: UnsafePointer<Float>, _ xhat: UnsafeMutablePointer<Float>, _ rstd: UnsafeMutablePointer<Float>,
                     weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>?,
                     rows: Int, width: Int, eps: Float) {
    parallelChunks(rows, grain: max(1, 16_384 / max(width, 1))) { s, e in
        for r in s..<e {
            let src = x + r * width, dst = xhat + r * width
            let mean = vectorSum(src, width) / Float(width)
            let inv = 1 / (vectorSumOfSquares(src, shift: mean, width) / Float(width) + eps).squareRoot()
            rstd[r] = inv
            for j in 0..<width { dst[j] = (src[j] - mean) * inv }
            guard let out else { continue }
            let o = out + r * width
            switch (weight, bias) {
            case let (w?, b?): for j in 0..<width { o[j] = dst[j] * w[j] + b[j] }
            case let (w?, nil): for j in 0..<width { o[j] = dst[j] * w[j] }
            case let (nil, b?): for j in 0..<width { o[j] = dst[j] + b[j] }
            case (nil, nil): o.update(from: dst, count: width)
            }
        }
    }
}

/// gx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) per row, with gxhat = g * weight (or g).
func layerNormBackwardKernel(_ xhat: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>,
                             weight: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    parallelChunks(rows, grain: max(1, 16_384 / max(width, 1))) { s, e in
        for r in s..<e {
            let xh = xhat + r * width, gh = g + r * width, out = gx + r * width
            let inv = rstd[r], scale = 1 / Float(width)
            if let w = weight {
                let a = vectorDot(gh, w, width) * scale, b = vectorDot(gh, w, xh, width) * scale
                for j in 0..<width { out[j] = inv * (gh[j] * w[j] - a - xh[j] * b) }
            } else {
                let a = vectorSum(gh, width) * scale, b = vectorDot(gh, xh, width) * scale
                for j in 0..<width { out[j] = inv * (gh[j] - a - xh[j] * b) }
            }
        }
    }
}

/// Column sums over `rows` rows of `width`: gWeight[j] = Σ g[r, j] xhat[r, j] and gBias[j] = Σ g[r, j]
/// (either may be nil). Threads take column ranges, so each sum is one thread's and in row order.
func layerNormParameterGradients(_ xhat: UnsafePointer<Float>, _ g: UnsafePointer<Float>, rows: Int, width: Int,
                                 gWeight: UnsafeMutablePointer<Float>?, gBias: UnsafeMutablePointer<Float>?) {
    gWeight?.update(repeating: 0, count: width)
    gBias?.update(repeating: 0, count: width)
    parallelChunks(width, grain: max(16, 32_768 / max(rows, 1))) { s, e in
        for r in 0..<rows {
            let xh = xhat + r * width, gh = g + r * width
            if let gw = gWeight { for j in s..<e { gw[j] += gh[j] * xh[j] } }
            if let gb = gBias { for j in s..<e { gb[j] += gh[j] } }
        }
    }
}

/// x laid out as (outer, channels, inner), as batch norm sees (N, C, spatial...).
struct ChannelLayout {
    let outer, channels, inner: Int
    var perChannel: Int { outer * inner }
    func row(_ o: Int, _ c: Int) -> Int { (o * channels + c) * inner }
}

/// Per-channel mean and biased variance, two passes in double precision, channels in parallel.
func channelMomentsKernel(_ x: UnsafePointer<Float>, _ l: ChannelLayout) -> (mean: [Double], variance: [Double]) {
    var mean = [Double](repeating: 0, count: l.channels)
    var variance = [Double](repeating: 0, count: l.channels)
    let n = Double(l.perChannel)
    mean.withUnsafeMutableBufferPointer { mp in
        variance.withUnsafeMutableBufferPointer { vp in
            let (pm, pv) = (mp.baseAddress!, vp.baseAddress!)
            parallelChunks(l.channels, grain: Swift.max(1, 32_768 / Swift.max(l.perChannel, 1))) { s, e in
                for c in s..<e {
                    var sum = 0.0
                    for o in 0..<l.outer {
                        let p = x + l.row(o, c)
                        forChunks(l.inner) { s, e in sum += Double(vectorSum(p + s, e - s)) }
                    }
                    let m = sum / n, mf = Float(m)
                    var sq = 0.0
                    for o in 0..<l.outer {
                        let p = x + l.row(o, c)
                        // Float deviations from the mean, summed in float over short chunks, then in double.
                        forChunks(l.inner) { s, e in sq += Double(vectorSumOfSquares(p + s, shift: mf, e - s)) }
                    }
                    let shift = Double(mf) - m     // correct for rounding the mean to float
                    pm[c] = m
                    pv[c] = Swift.max(sq / n - shift * shift, 0)
                }
            }
        }
    }
    return (mean, variance)
}

/// out = (x - mean) rstd gamma + beta per channel.
func batchNormAffineKernel(_ x: UnsafePointer<Float>, mean: [Float], rstd: [Float], gamma: UnsafePointer<Float>,
                           beta: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ l: ChannelLayout) {
    parallelChunks(l.outer * l.channels, grain: Swift.max(1, 32_768 / Swift.max(l.inner, 1))) { s, e in
        for r in s..<e {
            let c = r % l.channels
            let scale = rstd[c] * gamma[c], shift = beta[c] - mean[c] * scale
            let src = x + r * l.inner, dst = out + r * l.inner
            for i in 0..<l.inner { dst[i] = src[i] * scale + shift }
        }
    }
}

/// Gradients of batch norm: returns (dgamma, dbeta) and writes dx when `gx` is given. With batch
/// statistics, dx = gamma rstd (g - mean(g) - xhat mean(g xhat)); with fixed statistics, gamma rstd g.
func batchNormBackwardKernel(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, mean: [Float], rstd: [Float],
                             gamma: UnsafePointer<Float>, batchStatistics: Bool, gx: UnsafeMutablePointer<Float>?,
                             _ l: ChannelLayout) -> (gamma: [Float], beta: [Float]) {
    var gGamma = [Float](repeating: 0, count: l.channels), gBeta = [Float](repeating: 0, count: l.channels)
    let n = Float(l.perChannel)
    gGamma.withUnsafeMutableBufferPointer { gp in
        gBeta.withUnsafeMutableBufferPointer { bp in
            let (pGamma, pBeta) = (gp.baseAddress!, bp.baseAddress!)
            parallelChunks(l.channels, grain: Swift.max(1, 16_384 / Swift.max(l.perChannel, 1))) { s, e in
                for c in s..<e {
                    let m = mean[c], r = rstd[c]
                    var sumG = 0.0, sumGX = 0.0
                    for o in 0..<l.outer {
                        let px = x + l.row(o, c), pg = g + l.row(o, c)
                        forChunks(l.inner) { s, e in
                            sumG += Double(vectorSum(pg + s, e - s))
                            sumGX += Double(vectorDot(pg + s, px + s, shift: m, e - s))
                        }
                    }
                    let dGamma = Float(sumGX) * r
                    pGamma[c] = dGamma
                    pBeta[c] = Float(sumG)
                    guard let gx else { continue }
                    let k = gamma[c] * r
                    let meanG = batchStatistics ? Float(sumG) / n : 0
                    let meanGX = batchStatistics ? dGamma / n : 0
                    for o in 0..<l.outer {
                        let px = x + l.row(o, c), pg = g + l.row(o, c), out = gx + l.row(o, c)
                        for i in 0..<l.inner { out[i] = k * (pg[i] - meanG - (px[i] - m) * r * meanGX) }
                    }
                }
            }
        }
    }
    return (gGamma, gBeta)
}

/// Splits 0..<n into chunks short enough that a float sum over one chunk keeps its precision.
@inline(__always)
func forChunks(_ n: Int, _ body: (Int, Int) -> Void) {
    var s = 0
    while s < n {
        let e = Swift.min(n, s + 1024)
        body(s, e)
        s = e
    }
}
