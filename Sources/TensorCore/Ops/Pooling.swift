/// Max and average pooling over (N, C, H, W) with PyTorch's window rules, and adaptive average pooling.
/// Loops rather than sgemm: only the `paper` variants pool, on small maps.
extension Tensor {
    /// Output length of a pooling window along one axis, as PyTorch (ceil mode drops a last window that
    /// would start in the right padding).
    static func pooledLength(_ length: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
        let span = length + 2 * padding - kernel
        var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode && (out - 1) * stride >= length + padding { out -= 1 }
        return out
    }

    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          ceilMode: Bool = false) -> Tensor {
        pool2d(kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode, average: false)
    }

    /// Average pooling with `count_include_pad = True` (PyTorch's default): the divisor counts padding
    /// inside the padded extent but not the part of a ceil-mode window beyond it.
    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          ceilMode: Bool = false) -> Tensor {
        pool2d(kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode, average: true)
    }

    private func pool2d(kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), ceilMode: Bool, average: Bool) -> Tensor {
        checkArgument(rank == 4, "pool2d: needs (N, C, H, W), got \(shape)")
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let oh = Tensor.pooledLength(h, kernel: kernel.0, stride: stride.0, padding: padding.0, ceilMode: ceilMode)
        let ow = Tensor.pooledLength(w, kernel: kernel.1, stride: stride.1, padding: padding.1, ceilMode: ceilMode)
        checkArgument(oh > 0 && ow > 0, "pool2d: input \(shape) too small for kernel \(kernel)")
        // Each output reads a window; record (input index, weight) pairs for the backward pass.
        let out = Tensor.empty([n, c, oh, ow])
        var argmax = [Int32](repeating: -1, count: average ? 0 : out.count)
        let px = storage.pointer, po = out.storage.pointer
        var divisors = [Float](repeating: 1, count: oh * ow)
        var windows: [(h0: Int, h1: Int, w0: Int, w1: Int)] = []
        for y in 0..<oh {
            for x in 0..<ow {
                var h0 = y * stride.0 - padding.0, w0 = x * stride.1 - padding.1
                var h1 = Swift.min(h0 + kernel.0, h + padding.0), w1 = Swift.min(w0 + kernel.1, w + padding.1)
                divisors[y * ow + x] = Float((h1 - h0) * (w1 - w0))
                h0 = Swift.max(h0, 0); w0 = Swift.max(w0, 0); h1 = Swift.min(h1, h); w1 = Swift.min(w1, w)
                windows.append((h0, h1, w0, w1))
            }
        }
        for plane in 0..<(n * c) {
            let src = px + plane * h * w
            for (o, win) in windows.enumerated() {
                let dst = plane * oh * ow + o
                if average {
                    var s: Float = 0
                    for i in win.h0..<win.h1 { for j in win.w0..<win.w1 { s += src[i * w + j] } }
                    po[dst] = s / divisors[o]
                } else {
                    var best = -Float.infinity, at = -1
                    for i in win.h0..<win.h1 { for j in win.w0..<win.w1 where src[i * w + j] > best || at < 0 {
                        best = src[i * w + j]; at = i * w + j
                    } }
                    po[dst] = best
                    argmax[dst] = Int32(at)
                }
            }
        }
        let inShape = shape
        return out.recorded(from: [self]) { g in
            let gx = Tensor(zeros: inShape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            for plane in 0..<(n * c) {
                let dst = pgx + plane * h * w
                for (o, win) in windows.enumerated() {
                    let gv = pg[plane * oh * ow + o]
                    if average {
                        let share = gv / divisors[o]
                        for i in win.h0..<win.h1 { for j in win.w0..<win.w1 { dst[i * w + j] += share } }
                    } else {
                        dst[Int(argmax[plane * oh * ow + o])] += gv
                    }
                }
            }
            return [gx]
        }
    }

    /// Adaptive average pooling of (N, C, H, W) to (N, C, outH, outW): output i averages input rows
    /// floor(i H / outH) ..< ceil((i + 1) H / outH), likewise for columns.
    public func adaptiveAvgPool2d(_ outH: Int, _ outW: Int) -> Tensor {
        checkArgument(rank == 4 && outH > 0 && outW > 0, "adaptiveAvgPool2d: needs (N, C, H, W) and a positive size, got \(shape) -> (\(outH), \(outW))")
        let h = shape[2], w = shape[3]
        func ranges(_ len: Int, _ out: Int) -> [(Int, Int)] {
            (0..<out).map { i in (i * len / out, ((i + 1) * len + out - 1) / out) }
        }
        let rows = ranges(h, outH), cols = ranges(w, outW)
        // A separable average: rows then columns, each a small constant matrix product.
        func poolingMatrix(_ r: [(Int, Int)], _ len: Int) -> Tensor {
            var m = [Float](repeating: 0, count: r.count * len)
            for (i, (a, b)) in r.enumerated() { for j in a..<b { m[i * len + j] = 1 / Float(b - a) } }
            return Tensor(m, shape: [r.count, len])
        }
        let pr = poolingMatrix(rows, h), pc = poolingMatrix(cols, w)
        // (N, C, H, W) x Pcᵀ -> (N, C, H, outW); then Pr x that, per plane.
        let byCols = matmul(pc, transposeOther: true)
        let planes = byCols.reshaped([-1, h, outW])
        let pooled = planes.permuted([1, 0, 2]).reshaped([h, -1])
        let out = pr.matmul(pooled).reshaped([outH, shape[0] * shape[1], outW]).permuted([1, 0, 2])
        return out.reshaped([shape[0], shape[1], outH, outW])
    }
}
