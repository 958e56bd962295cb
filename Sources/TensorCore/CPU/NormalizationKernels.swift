import Foundation

/// Normalises each of `groups` groups of `n` values (in double precision for the statistics), writing the
/// normalised values `xhat` and returning nothing; `mean` and `rstd` receive per-group statistics.
/// Rows of layer norm are contiguous; batch-norm channels are gathered by the caller's layout (below).
func layerNormKernel(_ x: UnsafePointer<Float>, _ xhat: UnsafeMutablePointer<Float>,
                     _ rstd: UnsafeMutablePointer<Float>, rows: Int, width: Int, eps: Float) {
    parallelChunks(rows, grain: max(1, 16_384 / max(width, 1))) { s, e in
        for r in s..<e {
            let src = x + r * width, dst = xhat + r * width
            var sum = 0.0
            for j in 0..<width { sum += Double(src[j]) }
            let mean = sum / Double(width)
            var sq = 0.0
            for j in 0..<width { let d = Double(src[j]) - mean; sq += d * d }
            let inv = 1 / (sq / Double(width) + Double(eps)).squareRoot()
            rstd[r] = Float(inv)
            let m = Float(mean), i = Float(inv)
            for j in 0..<width { dst[j] = (src[j] - m) * i }
        }
    }
}

/// gx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) per row.
func layerNormBackwardKernel(_ xhat: UnsafePointer<Float>, _ gxhat: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>,
                             _ gx: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    parallelChunks(rows, grain: max(1, 16_384 / max(width, 1))) { s, e in
        for r in s..<e {
            let xh = xhat + r * width, gh = gxhat + r * width, out = gx + r * width
            var a: Float = 0, b: Float = 0
            for j in 0..<width { a += gh[j]; b += gh[j] * xh[j] }
            a /= Float(width)
            b /= Float(width)
            let inv = rstd[r]
            for j in 0..<width { out[j] = inv * (gh[j] - a - xh[j] * b) }
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
