import CBLAS

/// Geometry of a (K, 1) column convolution with unit strides and dilation over x (N, C, T, W): output
/// row t of tap i reads input row t + i - pad (zero outside [0, T)).
struct ColumnTaps {
    let n, c, t, w, k, pad: Int
    var outT: Int { t + 2 * pad - k + 1 }
    /// Output rows that tap `i` reaches inside the input.
    func outputRange(_ i: Int) -> (lo: Int, hi: Int) { (Swift.max(0, pad - i), Swift.min(outT, t + pad - i)) }
    /// Output positions per channel: what batch norm averages over.
    var positions: Int { n * outT * w }
    var plane: Int { t * w }
    var ck: Int { c * k }
    /// Taps whose output row s - i + pad exists, for input row s.
    func tapsReading(row s: Int) -> [Int] { (0..<k).filter { s - $0 + pad >= 0 && s - $0 + pad < outT } }
}

/// S[c*K + i] = sum over images, output rows of tap i and columns of x[b, c, t + i - pad, w].
func columnTapSums(_ x: UnsafePointer<Float>, _ g: ColumnTaps) -> [Double] {
    // Row sums first (one pass over x), then the few row ranges each tap covers.
    var rowSums = [Double](repeating: 0, count: g.n * g.c * g.t)
    rowSums.withUnsafeMutableBufferPointer { rs in
        let out = rs.baseAddress!
        parallelChunks(g.n * g.c, grain: 8) { s, e in
            for nc in s..<e {
                for r in 0..<g.t {
                    let p = x + nc * g.plane + r * g.w
                    var acc: Float = 0
                    for j in 0..<g.w { acc += p[j] }
                    out[nc * g.t + r] = Double(acc)
                }
            }
        }
    }
    var sums = [Double](repeating: 0, count: g.ck)
    for i in 0..<g.k {
        let (lo, hi) = g.outputRange(i)
        if hi <= lo { continue }
        for b in 0..<g.n {
            for ch in 0..<g.c {
                let base = (b * g.c + ch) * g.t
                var acc = 0.0
                for t in lo..<hi { acc += rowSums[base + t + i - g.pad] }
                sums[ch * g.k + i] += acc
            }
        }
    }
    return sums
}

/// dst (C x C) += sum over images of x[b, :, rows s in [lo, hi), :] x[b, :, rows s + d, :]ᵀ.
private func addShiftedProducts(_ x: UnsafePointer<Float>, _ g: ColumnTaps, lo: Int, hi: Int, shift d: Int,
                                into dst: UnsafeMutablePointer<Float>) {
    if hi <= lo { return }
    for b in 0..<g.n {
        let xb = x + b * g.c * g.plane
        sgemm(false, true, m: g.c, n: g.c, k: (hi - lo) * g.w, xb + lo * g.w, lda: g.plane,
              xb + (lo + d) * g.w, ldb: g.plane, beta: 1, dst, ldc: g.c)
    }
}

/// The Gram matrix of the convolution's input patches, G (CK x CK) with
/// G[c*K + i, c'*K + j] = sum over output positions of x[c, t + i - pad] x[c', t + j - pad].
/// Pairs of taps at the same distance d = j - i share one product over the rows all of them cover;
/// each pair then adds only its few edge rows, so the cost is K products of C x C, not K².
func columnTapGram(_ x: UnsafePointer<Float>, _ g: ColumnTaps) -> [Float] {
    let (c, k, ck) = (g.c, g.k, g.ck)
    var gram = [Float](repeating: 0, count: ck * ck)
    // Input rows s (of tap i) for which both tap i and tap j = i + d reach an output row.
    func rows(_ i: Int, _ j: Int) -> (lo: Int, hi: Int) {
        let (li, hi_) = g.outputRange(i), (lj, hj) = g.outputRange(j)
        return (Swift.max(li, lj) + i - g.pad, Swift.min(hi_, hj) + i - g.pad)
    }
    var core = [Float](repeating: 0, count: c * c)
    var block = [Float](repeating: 0, count: c * c)
    for d in 0..<k {
        let pairs = (0..<(k - d)).map { ($0, $0 + d) }
        let ranges = pairs.map { rows($0.0, $0.1) }
        let coreLo = ranges.map(\.lo).max()!, coreHi = ranges.map(\.hi).min()!
        let hasCore = coreHi > coreLo
        core.withUnsafeMutableBufferPointer { cp in
            cp.update(repeating: 0)
            if hasCore { addShiftedProducts(x, g, lo: coreLo, hi: coreHi, shift: d, into: cp.baseAddress!) }
        }
        for ((i, j), range) in zip(pairs, ranges) {
            block.withUnsafeMutableBufferPointer { bp in
                let dst = bp.baseAddress!
                if hasCore {
                    core.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: c * c) }
                    addShiftedProducts(x, g, lo: range.lo, hi: Swift.min(coreLo, range.hi), shift: d, into: dst)
                    addShiftedProducts(x, g, lo: Swift.max(coreHi, range.lo), hi: range.hi, shift: d, into: dst)
                } else {
                    bp.update(repeating: 0)
                    addShiftedProducts(x, g, lo: range.lo, hi: range.hi, shift: d, into: dst)
                }
            }
            for a in 0..<c {
                for b in 0..<c {
                    let v = block[a * c + b]
                    gram[(a * k + i) * ck + b * k + j] = v
                    gram[(b * k + j) * ck + a * k + i] = v
                }
            }
        }
    }
    return gram
}

/// out[b, t, w] = constant + sum over c, i of u[c*K + i] x[b, c, t + i - pad, w]: the convolution with a
/// single output channel, as one matrix-vector product per image and tap.
func columnSingleChannelConv(_ x: UnsafePointer<Float>, _ u: [Float], constant: Float, _ g: ColumnTaps,
                             into out: UnsafeMutablePointer<Float>) {
    out.update(repeating: constant, count: g.n * g.outT * g.w)
    Accounting.addFlops(2 * g.n * g.w * g.ck * g.outT)
    u.withUnsafeBufferPointer { up in
        for b in 0..<g.n {
            for i in 0..<g.k {
                let (lo, hi) = g.outputRange(i)
                if hi <= lo { continue }
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(g.c), Int32((hi - lo) * g.w), 1,
                            x + b * g.c * g.plane + (lo + i - g.pad) * g.w, Int32(g.plane),
                            up.baseAddress! + i, Int32(g.k), 1, out + (b * g.outT + lo) * g.w, 1)
            }
        }
    }
}

/// R[c*K + i] = sum over images and output positions of gout[b, t, w] x[b, c, t + i - pad, w].
func columnTapCorrelation(_ x: UnsafePointer<Float>, _ gout: UnsafePointer<Float>, _ g: ColumnTaps) -> [Float] {
    var r = [Float](repeating: 0, count: g.ck)
    Accounting.addFlops(2 * g.n * g.w * g.ck * g.outT)
    r.withUnsafeMutableBufferPointer { rp in
        for b in 0..<g.n {
            for i in 0..<g.k {
                let (lo, hi) = g.outputRange(i)
                if hi <= lo { continue }
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(g.c), Int32((hi - lo) * g.w), 1,
                            x + b * g.c * g.plane + (lo + i - g.pad) * g.w, Int32(g.plane),
                            gout + (b * g.outT + lo) * g.w, 1, 1, rp.baseAddress! + i, Int32(g.k))
            }
        }
    }
    return r
}

/// gx[b, c, s, w] = sum over taps i reading row s of (u[c*K + i] gout[b, s - i + pad, w] + v[c*K + i]):
/// the input gradient of the single-channel convolution plus a per-tap constant. Overwrites gx.
func columnSingleChannelConvBackward(_ gout: UnsafePointer<Float>, u: [Float], v: [Float], _ g: ColumnTaps,
                                     into gx: UnsafeMutablePointer<Float>) {
    let tapsByRow = (0..<g.t).map { g.tapsReading(row: $0) }
    Accounting.addFlops(2 * g.n * g.w * g.ck * g.outT)
    u.withUnsafeBufferPointer { up in
        v.withUnsafeBufferPointer { vp in
            parallelChunks(g.n * g.c, grain: 4) { s, e in
                for nc in s..<e {
                    let (b, ch) = (nc / g.c, nc % g.c)
                    for row in 0..<g.t {
                        let dst = gx + nc * g.plane + row * g.w
                        let taps = tapsByRow[row]
                        var constant: Float = 0
                        for i in taps { constant += vp[ch * g.k + i] }
                        for j in 0..<g.w { dst[j] = constant }
                        for i in taps {
                            let weight = up[ch * g.k + i]
                            let src = gout + (b * g.outT + row - i + g.pad) * g.w
                            for j in 0..<g.w { dst[j] += weight * src[j] }
                        }
                    }
                }
            }
        }
    }
}

/// gx[b, c, s, :] += sum over taps i reading row s and taps j of Σ_c' M[c*K + i, c'*K + j] x[b, c', s - i + j, :]
/// for a symmetric-in-role matrix M (CK x CK): the input gradient of a quadratic form of the patches.
/// Input rows that share their set of reading taps share one merged kernel per offset e = j - i, so the
/// bulk of the rows costs 2K - 1 products of C x C, not K².
func columnQuadraticFormBackward(_ x: UnsafePointer<Float>, _ m: [Float], _ g: ColumnTaps,
                                 into gx: UnsafeMutablePointer<Float>) {
    let (c, k, ck) = (g.c, g.k, g.ck)
    var row = 0
    var kernel = [Float](repeating: 0, count: c * c)
    while row < g.t {
        let taps = g.tapsReading(row: row)
        var end = row + 1
        while end < g.t && g.tapsReading(row: end) == taps { end += 1 }
        for e in -(k - 1)...(k - 1) {
            let pairs = taps.filter { $0 + e >= 0 && $0 + e < k }
            // Rows whose shifted input row s + e lies inside the image.
            let lo = Swift.max(row, -e), hi = Swift.min(end, g.t - e)
            if pairs.isEmpty || hi <= lo { continue }
            kernel.withUnsafeMutableBufferPointer { kp in
                kp.update(repeating: 0)
                for i in pairs {
                    let j = i + e
                    for a in 0..<c {
                        let src = (a * k + i) * ck + j
                        for b in 0..<c { kp[a * c + b] += m[src + b * k] }
                    }
                }
            }
            kernel.withUnsafeBufferPointer { kp in
                for b in 0..<g.n {
                    let xb = x + b * c * g.plane
                    sgemm(false, false, m: c, n: (hi - lo) * g.w, k: c, kp.baseAddress!, lda: c,
                          xb + (lo + e) * g.w, ldb: g.plane, beta: 1, gx + b * c * g.plane + lo * g.w, ldc: g.plane)
                }
            }
        }
        row = end
    }
}
