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

/// Per-channel mean and biased variance of x laid out as (outer, channels, inner), in double precision.
func channelMomentsKernel(_ x: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int) -> (mean: [Double], variance: [Double]) {
    var mean = [Double](repeating: 0, count: channels)
    var variance = [Double](repeating: 0, count: channels)
    let n = Double(outer * inner)
    for c in 0..<channels {
        var s = 0.0
        for o in 0..<outer {
            let p = x + (o * channels + c) * inner
            var acc: Float = 0
            for i in 0..<inner { acc += p[i] }
            s += Double(acc)
        }
        let m = s / n
        var sq = 0.0
        for o in 0..<outer {
            let p = x + (o * channels + c) * inner
            for i in 0..<inner { let d = Double(p[i]) - m; sq += d * d }
        }
        mean[c] = m
        variance[c] = sq / n
    }
    return (mean, variance)
}
