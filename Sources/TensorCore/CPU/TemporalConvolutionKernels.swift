/// A unit-stride 1-D convolution over (N, T, C) with K taps and `pad` zero rows each side.
struct TemporalGeometry {
    let n, t, c, o, k, pad: Int
    var outT: Int { t + 2 * pad - k + 1 }
    /// Multiply-adds (x 2) of the taps that read inside the sequence.
    var flops: Int {
        var inside = 0
        for i in 0..<k { inside += Swift.max(0, Swift.min(outT, t + pad - i) - Swift.max(0, pad - i)) }
        return 2 * n * inside * c * o
    }
}

/// col[(b, t), i*C ..< (i+1)*C] = x[b, t + i - pad, :], zero where that row is outside the sequence.
func temporalUnfold(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: TemporalGeometry) {
    let kc = g.k * g.c
    parallelChunks(g.n * g.outT, grain: Swift.max(1, 16_384 / Swift.max(kc, 1))) { s, e in
        for r in s..<e {
            let (b, t) = (r / g.outT, r % g.outT)
            for i in 0..<g.k {
                let dst = col + r * kc + i * g.c
                let source = t + i - g.pad
                if source < 0 || source >= g.t {
                    dst.update(repeating: 0, count: g.c)
                } else {
                    dst.update(from: x + (b * g.t + source) * g.c, count: g.c)
                }
            }
        }
    }
}

/// The adjoint of `temporalUnfold`: gx[b, t + i - pad, :] += col[(b, t), i*C ..< (i+1)*C]. Parallel over
/// images, so no two threads add into the same rows.
func temporalFold(_ col: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: TemporalGeometry) {
    let kc = g.k * g.c
    parallelChunks(g.n, grain: 1) { s, e in
        for b in s..<e {
            for t in 0..<g.outT {
                let src = col + (b * g.outT + t) * kc
                for i in 0..<g.k {
                    let target = t + i - g.pad
                    if target < 0 || target >= g.t { continue }
                    let dst = gx + (b * g.t + target) * g.c, part = src + i * g.c
                    for j in 0..<g.c { dst[j] += part[j] }
                }
            }
        }
    }
}
