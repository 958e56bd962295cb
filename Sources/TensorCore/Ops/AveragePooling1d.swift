/// One-dimensional average pooling along any axis (PyTorch's `AvgPool1d`, without ceil mode).
extension Tensor {
    /// Averages windows of `kernel` positions along `axis`, starting every `stride` positions, with
    /// `padding` zeros at both ends: output length (L + 2 padding - kernel) / stride + 1. With
    /// `countIncludePad` (PyTorch's default) the divisor counts the padded positions a window covers
    /// (min(start + kernel, L + padding) - start); without it, only the real positions.
    /// Works on any layout: (N, C, L) with axis -1 as PyTorch, or (T, C) / (B, T, C) with time on axis 0 / 1.
    public func avgPool1d(axis: Int, kernel: Int, stride: Int = 1, padding: Int = 0, countIncludePad: Bool = true) -> Tensor {
        let ax = normalizedAxis(axis, rank: rank, op: "avgPool1d")
        let (outer, length, inner) = axisGeometry(shape, ax)
        checkArgument(kernel >= 1 && stride >= 1 && padding >= 0 && padding <= kernel / 2,
                      "avgPool1d: kernel \(kernel), stride \(stride), padding \(padding) (PyTorch needs padding <= kernel / 2)")
        let outLength = (length + 2 * padding - kernel) / stride + 1
        checkArgument(length + 2 * padding >= kernel && outLength >= 1,
                      "avgPool1d: axis \(ax) of \(shape) is too short for kernel \(kernel) with padding \(padding)")
        // Window o covers real positions lo[o] ..< hi[o] and divides by divisor[o].
        var lo = [Int](repeating: 0, count: outLength), hi = lo
        var inverse = [Float](repeating: 0, count: outLength)
        for o in 0..<outLength {
            let start = o * stride - padding
            let end = Swift.min(start + kernel, length + padding)
            lo[o] = Swift.max(start, 0)
            hi[o] = Swift.min(end, length)
            let divisor = countIncludePad ? end - start : hi[o] - lo[o]
            inverse[o] = 1 / Float(divisor)
        }
        var outShape = shape
        outShape[ax] = outLength
        let out = Tensor(zeros: outShape)
        let px = storage.pointer, po = out.storage.pointer
        let rows = outer * outLength
        parallelChunks(rows, grain: Swift.max(1, 32_768 / Swift.max(inner * kernel, 1))) { s, e in
            for r in s..<e {
                let b = r / outLength, o = r % outLength
                let dst = po + r * inner
                for j in lo[o]..<hi[o] {
                    let src = px + (b * length + j) * inner
                    for i in 0..<inner { dst[i] += src[i] }
                }
                let scale = inverse[o]
                for i in 0..<inner { dst[i] *= scale }
            }
        }
        let inShape = shape
        return out.recorded(from: [self]) { g in
            let gx = Tensor(zeros: inShape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            // Gather form (each input row sums the outputs whose window holds it), so rows run in parallel.
            parallelChunks(outer * length, grain: Swift.max(1, 32_768 / Swift.max(inner * kernel, 1))) { s, e in
                for r in s..<e {
                    let b = r / length, j = r % length
                    // Windows o with lo[o] <= j < hi[o]: o * stride - padding <= j < o * stride - padding + kernel.
                    let reach = j + padding - kernel + 1
                    let first = reach <= 0 ? 0 : (reach + stride - 1) / stride
                    let last = Swift.min(outLength - 1, (j + padding) / stride)
                    guard first <= last else { continue }
                    let dst = pgx + r * inner
                    for o in first...last where j >= lo[o] && j < hi[o] {
                        let src = pg + (b * outLength + o) * inner, scale = inverse[o]
                        for i in 0..<inner { dst[i] += src[i] * scale }
                    }
                }
            }
            return [gx]
        }
    }
}
