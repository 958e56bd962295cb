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
///
/// One output row at a time, the window is walked tap by tap (window row i, then column offset j) and
/// each tap updates the running maximum of every output column it reaches, eight columns at a time
/// with a vector compare and selects: taps come in row-major window order for every output, so the tie
/// rule holds, and there is no branch on the data (the per-output scan with `if v > best` mispredicted
/// about half the time on real activations: in profiles of CSTA paper inference and training steps at
/// 120 frames the pools went from 23 % of the samples to about 7 %).
func maxPoolKernel(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>,
                   planes: Int, h: Int, w: Int, rows: PoolWindows, cols: PoolWindows, kernelW: Int, strideW: Int, padW: Int) {
    let oh = rows.count, ow = cols.count
    // For column offset j: the output columns whose tap x*stride - pad + j lies inside the input.
    let reach: [(lo: Int, hi: Int)] = (0..<kernelW).map { j in
        let offset = j - padW
        let lo = offset >= 0 ? 0 : (-offset + strideW - 1) / strideW
        let hi = Swift.min(ow, w - 1 - offset < 0 ? 0 : (w - 1 - offset) / strideW + 1)
        return (lo, Swift.max(lo, hi))
    }
    // Interior columns, where every tap of the window is inside the row (and, at stride 2, the 16-wide
    // load of the last tap too): whole chunks of 8 there keep their running maxima in registers over all
    // taps; the border columns take the per-tap loops.
    var interiorStart = 0, chunks = 0
    if strideW == 1 || strideW == 2 {
        interiorStart = reach.map(\.lo).max() ?? 0
        var interiorEnd = reach.map(\.hi).min() ?? 0
        if strideW == 2 { interiorEnd = Swift.min(interiorEnd, (w - 1 - 15 - (kernelW - 1 - padW)) / 2 + 1) }
        chunks = Swift.max(0, interiorEnd - interiorStart) / 8
    }
    let interiorEnd = interiorStart + 8 * chunks
    rows.start.withUnsafeBufferPointer { rs in rows.end.withUnsafeBufferPointer { re in
    cols.start.withUnsafeBufferPointer { cs in reach.withUnsafeBufferPointer { reach in
        parallelChunks(planes, grain: Swift.max(1, 8_192 / Swift.max(h * w, 1))) { p0, p1 in
            for p in p0..<p1 {
                let src = x + p * h * w
                for y in 0..<oh {
                    let best = out + (p * oh + y) * ow, arg = argmax + (p * oh + y) * ow
                    let r0 = Int(rs[y]), r1 = Int(re[y])
                    for xx in 0..<ow {
                        best[xx] = -Float.infinity
                        arg[xx] = Int32(truncatingIfNeeded: r0 * w + Int(cs[xx]))
                    }
                    for i in r0..<r1 {
                        let row = src + i * w
                        for j in 0..<kernelW {
                            let offset = j - padW
                            let base = Int32(truncatingIfNeeded: i * w + offset)
                            // The border columns on either side of the interior chunks (no array: this is the hot loop).
                            let left = (reach[j].lo, Swift.min(reach[j].hi, interiorStart))
                            let right = (Swift.max(reach[j].lo, interiorEnd), reach[j].hi)
                            for side in 0..<2 {
                                let (lo, hi) = side == 0 ? left : right
                                if lo >= hi { continue }
                                if strideW == 1 {
                                    maxPoolTapUnitStride(row + offset, base, best, arg, lo, hi)
                                } else if strideW == 2 {
                                    maxPoolTapStrideTwo(row + offset, base, best, arg, lo, hi, lastColumn: w - 1 - offset)
                                } else {
                                    for xx in lo..<hi {
                                        maxPoolUpdate(row[xx * strideW + offset], base &+ Int32(truncatingIfNeeded: xx * strideW), best, arg, xx)
                                    }
                                }
                            }
                        }
                    }
                    for chunk in 0..<chunks {
                        maxPoolInteriorChunk(src, w: w, r0: r0, r1: r1, kernelW: kernelW, strideW: strideW, padW: padW,
                                             xx: interiorStart + 8 * chunk, best, arg)
                    }
                }
            }
        }
    } } } }
}

/// Eight interior output columns xx..<xx+8 of one output row over the whole window, their maxima and
/// arg maxima in registers; taps in row-major window order, strictly greater replaces.
@inline(__always)
private func maxPoolInteriorChunk(_ src: UnsafePointer<Float>, w: Int, r0: Int, r1: Int, kernelW: Int, strideW: Int, padW: Int,
                                  xx: Int, _ best: UnsafeMutablePointer<Float>, _ arg: UnsafeMutablePointer<Int32>) {
    let first = xx * strideW - padW
    let lanes = strideW == 1 ? SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) : SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
    var b = SIMD8<Float>(repeating: -Float.infinity)
    var a = lanes &+ SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: r0 * w + first))
    for i in r0..<r1 {
        for j in 0..<kernelW {
            let column = first + j
            let tap = UnsafeRawPointer(src + i * w + column)
            let v = strideW == 1 ? tap.loadUnaligned(as: SIMD8<Float>.self) : tap.loadUnaligned(as: SIMD16<Float>.self).evenHalf
            let better = v .> b
            b = b.replacing(with: v, where: better)
            a = a.replacing(with: lanes &+ SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: i * w + column)), where: better)
        }
    }
    UnsafeMutableRawPointer(best + xx).storeBytes(of: b, as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(arg + xx).storeBytes(of: a, as: SIMD8<Int32>.self)
}

/// One output column's running maximum against one value: strictly greater replaces (PyTorch's rule).
@inline(__always)
private func maxPoolUpdate(_ v: Float, _ index: Int32, _ best: UnsafeMutablePointer<Float>, _ arg: UnsafeMutablePointer<Int32>, _ xx: Int) {
    if v > best[xx] { best[xx] = v; arg[xx] = index }
}

/// One tap for output columns lo..<hi at stride 1: column xx reads tap[xx] (plane index base + xx).
/// Eight columns per step as SIMD compare and selects (the compiler would not vectorise the scalar
/// loop and turned its selects back into branches).
@inline(__always)
private func maxPoolTapUnitStride(_ tap: UnsafePointer<Float>, _ base: Int32, _ best: UnsafeMutablePointer<Float>,
                                  _ arg: UnsafeMutablePointer<Int32>, _ lo: Int, _ hi: Int) {
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    var xx = lo
    while xx + 8 <= hi {
        let v = UnsafeRawPointer(tap + xx).loadUnaligned(as: SIMD8<Float>.self)
        let b = UnsafeRawPointer(best + xx).loadUnaligned(as: SIMD8<Float>.self)
        let a = UnsafeRawPointer(arg + xx).loadUnaligned(as: SIMD8<Int32>.self)
        let better = v .> b
        UnsafeMutableRawPointer(best + xx).storeBytes(of: b.replacing(with: v, where: better), as: SIMD8<Float>.self)
        let index = lanes &+ SIMD8<Int32>(repeating: base &+ Int32(truncatingIfNeeded: xx))
        UnsafeMutableRawPointer(arg + xx).storeBytes(of: a.replacing(with: index, where: better), as: SIMD8<Int32>.self)
        xx += 8
    }
    while xx < hi {
        maxPoolUpdate(tap[xx], base &+ Int32(truncatingIfNeeded: xx), best, arg, xx)
        xx += 1
    }
}

/// The same at stride 2: column xx reads tap[2 xx]; sixteen consecutive values, even lanes, while the
/// sixteenth stays inside the row (`lastColumn` = the last valid offset from `tap`).
@inline(__always)
private func maxPoolTapStrideTwo(_ tap: UnsafePointer<Float>, _ base: Int32, _ best: UnsafeMutablePointer<Float>,
                                 _ arg: UnsafeMutablePointer<Int32>, _ lo: Int, _ hi: Int, lastColumn: Int) {
    let lanes = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
    var xx = lo
    while xx + 8 <= hi && 2 * xx + 15 <= lastColumn {
        let v = UnsafeRawPointer(tap + 2 * xx).loadUnaligned(as: SIMD16<Float>.self).evenHalf
        let b = UnsafeRawPointer(best + xx).loadUnaligned(as: SIMD8<Float>.self)
        let a = UnsafeRawPointer(arg + xx).loadUnaligned(as: SIMD8<Int32>.self)
        let better = v .> b
        UnsafeMutableRawPointer(best + xx).storeBytes(of: b.replacing(with: v, where: better), as: SIMD8<Float>.self)
        let index = lanes &+ SIMD8<Int32>(repeating: base &+ Int32(truncatingIfNeeded: 2 * xx))
        UnsafeMutableRawPointer(arg + xx).storeBytes(of: a.replacing(with: index, where: better), as: SIMD8<Int32>.self)
        xx += 8
    }
    while xx < hi {
        maxPoolUpdate(tap[2 * xx], base &+ Int32(truncatingIfNeeded: 2 * xx), best, arg, xx)
        xx += 1
    }
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
