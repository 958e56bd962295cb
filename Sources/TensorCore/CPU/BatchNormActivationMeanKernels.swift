import CKernels

/// Kernels of `batchNormActivationDropoutMean`: x (outer, channels, inner) with inner = rows x length, the
/// mean taken over each run of `length` contiguous elements.

/// Per-channel batch-norm statistics and affine parameters, as the kernels use them.
struct BatchNormStatistics: Sendable {
    let mean, rstd, gamma, beta: [Float]

    /// Channel c's normalisation as one affine map x a + b (every kernel rounds it the same way).
    @inline(__always)
    func affine(_ c: Int) -> (a: Float, b: Float) {
        let a = rstd[c] * gamma[c]
        return (a, beta[c] - mean[c] * a)
    }
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

/// The chunk sizes the kernels work in: short enough for a float partial sum to keep its precision and for
/// the chunk's buffer to stay in L1.
let activationMeanChunk = 1024

/// buf[i] = keep[i] F(x[i] a + b) for i < n: the activated, masked values of one chunk.
@inline(__always)
private func activated<F: UnaryFunction>(_: F.Type, _ x: UnsafePointer<Float>, _ keep: UnsafePointer<UInt8>?,
                                         a: Float, b: Float, into buf: UnsafeMutablePointer<Float>, _ n: Int) {
    if let keep {
        for i in 0..<n { buf[i] = F.apply(x[i] * a + b) * Float(keep[i]) }
    } else {
        for i in 0..<n { buf[i] = F.apply(x[i] * a + b) }
    }
}

/// buf[i] = rowGrad keep[i] F'(x[i] a + b) for i < n: the gradient reaching the batch-norm output.
@inline(__always)
private func upstream<F: UnaryFunction>(_: F.Type, _ x: UnsafePointer<Float>, _ keep: UnsafePointer<UInt8>?,
                                        a: Float, b: Float, rowGrad: Float, into buf: UnsafeMutablePointer<Float>, _ n: Int) {
    if let keep {
        for i in 0..<n {
            let pre = x[i] * a + b
            buf[i] = rowGrad * F.derivative(x: pre, y: F.apply(pre)) * Float(keep[i])
        }
    } else {
        for i in 0..<n {
            let pre = x[i] * a + b
            buf[i] = rowGrad * F.derivative(x: pre, y: F.apply(pre))
        }
    }
}

/// rowScale Σ keep[i] F(x[i] a + b) over one row of `length` elements: summed in chunks of `activationMeanChunk`
/// (float vector sums, added up in double). `buffer` holds `activationMeanChunk` floats. The one place the
/// rounding of a row's mean is decided (`winogradConvolutionRowMeans` gives the same bits through it).
@inline(__always)
func activatedRowMean<F: UnaryFunction>(_ f: F.Type, _ x: UnsafePointer<Float>, _ keep: UnsafePointer<UInt8>?,
                                        a: Float, b: Float, length: Int, rowScale: Float,
                                        buffer buf: UnsafeMutablePointer<Float>) -> Float {
    // ReLU without dropout (evaluation) in CKernels' wide vectors: the same operations in the same order.
    if F.self == ReluFunction.self, keep == nil {
        return ck_affine_relu_row_mean(x, length, a, b, rowScale, activationMeanChunk)
    }
    var sum = 0.0
    var i = 0
    while i < length {
        let n = Swift.min(activationMeanChunk, length - i)
        activated(f, x + i, keep.map { $0 + i }, a: a, b: b, into: buf, n)
        sum += Double(vectorSum(buf, n))
        i += n
    }
    return Float(sum) * rowScale
}

/// out[row] = mean over the row of keep * scale * F(x * a + b), a and b the channel's batch-norm affine.
func activationMeanKernel<F: UnaryFunction>(_ f: F.Type, _ x: UnsafePointer<Float>, _ stats: BatchNormStatistics,
                                            _ keep: UnsafePointer<UInt8>?, _ out: UnsafeMutablePointer<Float>,
                                            _ g: ActivationMeanGeometry) {
    let l = g.layout, rows = g.rowsPerChannel, length = g.length
    let rowScale = g.dropoutScale / Float(length)
    parallelChunks(l.outer * l.channels, grain: Swift.max(1, 32_768 / Swift.max(l.inner, 1))) { s, e in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: activationMeanChunk) { buffer in
            let buf = buffer.baseAddress!
            for oc in s..<e {
                let (a, b) = stats.affine(oc % l.channels)
                for row in 0..<rows {
                    let start = oc * l.inner + row * length
                    out[oc * rows + row] = activatedRowMean(f, x + start, keep.map { $0 + start }, a: a, b: b, length: length,
                                                            rowScale: rowScale, buffer: buf)
                }
            }
        }
    }
}

/// Backward of `activationMeanKernel` through batch norm: returns (dgamma, dbeta) and writes dx when `gx`
/// is given. The upstream gradient of element i is gy_i = g[row] scale / length * keep_i * F'(x_i a + b);
/// then dx = gamma rstd (gy - mean(gy) - xhat mean(gy xhat)) with batch statistics, gamma rstd gy without.
/// Channels run in parallel; each channel is read twice (sums, then dx) while it is still in cache.
func activationMeanBackwardKernel<F: UnaryFunction>(_ f: F.Type, _ x: UnsafePointer<Float>, _ gOut: UnsafePointer<Float>,
                                                    _ stats: BatchNormStatistics, _ keep: UnsafePointer<UInt8>?,
                                                    batchStatistics: Bool, gx: UnsafeMutablePointer<Float>?,
                                                    _ g: ActivationMeanGeometry) -> (gamma: [Float], beta: [Float]) {
    let l = g.layout, rows = g.rowsPerChannel, length = g.length
    let rowScale = g.dropoutScale / Float(length)
    let n = Float(l.perChannel)
    var gGamma = [Float](repeating: 0, count: l.channels), gBeta = [Float](repeating: 0, count: l.channels)

    // Runs `body(start, count)` over the channel's elements in chunks, with the chunk's upstream gradient
    // in `buf`.
    @inline(__always) func forEachChunk(channel c: Int, a: Float, b: Float, _ buf: UnsafeMutablePointer<Float>,
                                        _ body: (Int, Int) -> Void) {
        for o in 0..<l.outer {
            let oc = o * l.channels + c
            for row in 0..<rows {
                let start = oc * l.inner + row * length, rowGrad = gOut[oc * rows + row] * rowScale
                var i = 0
                while i < length {
                    let count = Swift.min(activationMeanChunk, length - i)
                    upstream(f, x + start + i, keep.map { $0 + start + i }, a: a, b: b, rowGrad: rowGrad, into: buf, count)
                    body(start + i, count)
                    i += count
                }
            }
        }
    }

    gGamma.withUnsafeMutableBufferPointer { gp in
        gBeta.withUnsafeMutableBufferPointer { bp in
            let (pGamma, pBeta) = (gp.baseAddress!, bp.baseAddress!)
            parallelChunks(l.channels, grain: Swift.max(1, 16_384 / Swift.max(l.perChannel, 1))) { cs, ce in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: activationMeanChunk) { buffer in
                    let buf = buffer.baseAddress!
                    for c in cs..<ce {
                        let m = stats.mean[c], r = stats.rstd[c]
                        let (a, b) = stats.affine(c)
                        var sumG = 0.0, sumGX = 0.0
                        forEachChunk(channel: c, a: a, b: b, buf) { start, count in
                            sumG += Double(vectorSum(buf, count))
                            sumGX += Double(vectorDot(buf, x + start, shift: m, count))
                        }
                        let dGamma = Float(sumGX) * r
                        pGamma[c] = dGamma
                        pBeta[c] = Float(sumG)
                        guard let gx else { continue }
                        let k = stats.gamma[c] * r
                        let meanG = batchStatistics ? Float(sumG) / n : 0
                        let meanGX = batchStatistics ? dGamma / n * r : 0
                        forEachChunk(channel: c, a: a, b: b, buf) { start, count in
                            let px = x + start, out = gx + start
                            for i in 0..<count { out[i] = k * (buf[i] - meanG - (px[i] - m) * meanGX) }
                        }
                    }
                }
            }
        }
    }
    return (gGamma, gBeta)
}
