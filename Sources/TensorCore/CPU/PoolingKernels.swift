/// Pooling kernels over planes (N*C planes of H x W). Windows are separable, so each axis gets one table
/// of [start, end) ranges, computed once per call; planes run in parallel and each writes only its own
/// plane (forward and backward), so the loops need no synchronisation.

/// The [start, end) input range of each output position along one axis.
struct PoolWindows {
    let start: [Int32], end: [Int32]
    /// The divisor of an average window along this axis (count_include_pad: padding inside the padded
    /// extent counts, the part of a ceil-mode window beyond it does not).
    let divisor: [Int32]
    var count: Int { start.count }

    /// PyTorch's max/avg pooling windows: output o starts at o*stride - padding; clipped to the input.
    init(length: Int, outputs: Int, kernel: Int, stride: Int, padding: Int) {
        var s = [Int32](), e = [Int32](), d = [Int32]()
        for o in 0..<outputs {
            let lo = o * stride - padding
            let hi = Swift.min(lo + kernel, length + padding)
            d.append(Int32(hi - lo))
            s.append(Int32(Swift.max(lo, 0)))
            e.append(Int32(Swift.min(hi, length)))
        }
        start = s; end = e; divisor = d
    }

    /// Adaptive average pooling: output i covers floor(i L / out) ..< ceil((i + 1) L / out), which works
    /// for outputs fewer than the input (windows may overlap) and more (inputs repeat).
    init(adaptiveLength length: Int, outputs: Int) {
        var s = [Int32](), e = [Int32]()
        for i in 0..<outputs {
            s.append(Int32(i * length / outputs))
            e.append(Int32(((i + 1) * length + outputs - 1) / outputs))
        }
        start = s; end = e; divisor = zip(e, s).map { $0 - $1 }
    }
}

/// Per-plane arg max indices of a max pooling, kept for the backward pass (Int32: a plane index).
final class PoolIndices: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>
    init(count: Int) { pointer = .allocate(capacity: Swift.max(count, 1)) }
    deinit { pointer.deallocate() }
}

/// Max pooling forward: the first maximum in row-major window order wins (PyTorch's CPU kernel:
/// `val > max`), and its plane index is recorded.
func maxPoolKernel(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>,
                   planes: Int, h: Int, w: Int, rows: PoolWindows, cols: PoolWindows) {
    let oh = rows.count, ow = cols.count
    rows.start.withUnsafeBufferPointer { rs in rows.end.withUnsafeBufferPointer { re in
    cols.start.withUnsafeBufferPointer { cs in cols.end.withUnsafeBufferPointer { ce in
        parallelChunks(planes, grain: Swift.max(1, 8_192 / Swift.max(h * w, 1))) { p0, p1 in
            for p in p0..<p1 {
                let src = x + p * h * w, dst = out + p * oh * ow, arg = argmax + p * oh * ow
                for y in 0..<oh {
                    let r0 = Int(rs[y]), r1 = Int(re[y])
                    for xx in 0..<ow {
                        let c0 = Int(cs[xx]), c1 = Int(ce[xx])
                        var best = -Float.infinity, at = r0 * w + c0
                        for i in r0..<r1 {
                            let row = src + i * w
                            for j in c0..<c1 where row[j] > best {
                                best = row[j]
                                at = i * w + j
                            }
                        }
                        dst[y * ow + xx] = best
                        arg[y * ow + xx] = Int32(at)
                    }
                }
            }
        }
    } } } }
}

/// Max pooling backward: each output's gradient goes to its arg max (added: windows overlap).
func maxPoolBackwardKernel(_ g: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>, _ gx: UnsafeMutablePointer<Float>,
                           planes: Int, inPlane: Int, outPlane: Int) {
    parallelChunks(planes, grain: Swift.max(1, 8_192 / Swift.max(inPlane, 1))) { p0, p1 in
        for p in p0..<p1 {
            let dst = gx + p * inPlane, src = g + p * outPlane, arg = argmax + p * outPlane
            dst.update(repeating: 0, count: inPlane)
            for o in 0..<outPlane { dst[Int(arg[o])] += src[o] }
        }
    }
}

/// Average pooling with fixed windows: the window sum divided by its divisor (rows' times columns').
func avgPoolKernel(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, planes: Int, h: Int, w: Int,
                   rows: PoolWindows, cols: PoolWindows, backward: Bool) {
    // Forward reads x (planes, h, w) and writes out (planes, oh, ow); backward reads the output gradient
    // from `x` (planes, oh, ow) and writes the input gradient into `out` (planes, h, w).
    let oh = rows.count, ow = cols.count
    parallelChunks(planes, grain: Swift.max(1, 8_192 / Swift.max(h * w, 1))) { p0, p1 in
        for p in p0..<p1 {
            if backward { (out + p * h * w).update(repeating: 0, count: h * w) }
            for y in 0..<oh {
                let r0 = Int(rows.start[y]), r1 = Int(rows.end[y])
                for xx in 0..<ow {
                    let c0 = Int(cols.start[xx]), c1 = Int(cols.end[xx])
                    let scale = 1 / Float(Int(rows.divisor[y]) * Int(cols.divisor[xx]))
                    if backward {
                        let share = x[p * oh * ow + y * ow + xx] * scale
                        let dst = out + p * h * w
                        for i in r0..<r1 { for j in c0..<c1 { dst[i * w + j] += share } }
                    } else {
                        let src = x + p * h * w
                        var s: Float = 0
                        for i in r0..<r1 { for j in c0..<c1 { s += src[i * w + j] } }
                        out[p * oh * ow + y * ow + xx] = s * scale
                    }
                }
            }
        }
    }
}

/// Averages along one axis of (outer, length, inner) into (outer, windows.count, inner): out[o, i, k] =
/// mean of x[o, start_i ..< end_i, k]. Adaptive pooling runs it once per pooled axis (separable: the
/// average over a rectangle is the average over rows of the averages over columns).
func windowMeanKernel(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, outer: Int, length: Int, inner: Int,
                      windows: PoolWindows) {
    let outLength = windows.count
    windows.start.withUnsafeBufferPointer { ws in windows.end.withUnsafeBufferPointer { we in
        parallelChunks(outer * outLength, grain: Swift.max(1, 16_384 / Swift.max(inner * 2, 1))) { r0, r1 in
            for r in r0..<r1 {
                let o = r / outLength, i = r % outLength
                let a = Int(ws[i]), b = Int(we[i])
                let dst = out + r * inner, scale = 1 / Float(b - a)
                let src = x + (o * length + a) * inner
                if inner == 1 {
                    var s: Float = 0
                    for t in 0..<(b - a) { s += src[t] }
                    dst[0] = s * scale
                    continue
                }
                dst.update(from: src, count: inner)
                for t in 1..<Swift.max(b - a, 1) {
                    let row = src + t * inner
                    for k in 0..<inner { dst[k] += row[k] }
                }
                for k in 0..<inner { dst[k] *= scale }
            }
        }
    } }
}

/// The gradient of `windowMeanKernel`: gx[o, t, k] = sum over the windows i that contain t of
/// g[o, i, k] / (end_i - start_i). Each (o, t) row is written by one thread (a gather, not a scatter).
func windowMeanBackwardKernel(_ g: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, outer: Int, length: Int,
                              inner: Int, windows: PoolWindows) {
    let outLength = windows.count
    // For each input position t, the windows that contain it: a contiguous range [first, last), because
    // starts and ends both grow with i.
    var first = [Int32](repeating: 0, count: length), last = [Int32](repeating: 0, count: length)
    var i0 = 0
    for t in 0..<length {
        while i0 < outLength && Int(windows.end[i0]) <= t { i0 += 1 }
        var i1 = i0
        while i1 < outLength && Int(windows.start[i1]) <= t { i1 += 1 }
        first[t] = Int32(i0); last[t] = Int32(i1)
    }
    let scales = windows.divisor.map { 1 / Float($0) }
    first.withUnsafeBufferPointer { fs in last.withUnsafeBufferPointer { ls in scales.withUnsafeBufferPointer { sc in
        parallelChunks(outer * length, grain: Swift.max(1, 16_384 / Swift.max(inner * 2, 1))) { r0, r1 in
            for r in r0..<r1 {
                let o = r / length, t = r % length
                let dst = gx + r * inner
                dst.update(repeating: 0, count: inner)
                for i in Int(fs[t])..<Int(ls[t]) {
                    let src = g + (o * outLength + i) * inner, s = sc[i]
                    for k in 0..<inner { dst[k] += src[k] * s }
                }
            }
        }
    } } }
}
