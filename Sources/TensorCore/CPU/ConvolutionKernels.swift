/// Geometry of a 2-D convolution on (N, C, H, W) with weight (O, C, KH, KW).
struct ConvGeometry {
    let n, c, h, w, o, kh, kw: Int
    let strideH, strideW, padH, padW, dilH, dilW: Int
    var outH: Int { (h + 2 * padH - dilH * (kh - 1) - 1) / strideH + 1 }
    var outW: Int { (w + 2 * padW - dilW * (kw - 1) - 1) / strideW + 1 }
    /// A (k, 1) kernel sliding along H only, with unit strides and no W padding: computed as k shifted
    /// sgemms on the input in place, with no im2col copy.
    var isColumnKernel: Bool { kw == 1 && strideH == 1 && strideW == 1 && padW == 0 }
}

/// Columns xx of a kernel tap at horizontal offset j that read inside the image: [lo, hi).
@inline(__always)
private func validColumns(_ g: ConvGeometry, tap j: Int) -> (lo: Int, hi: Int) {
    let offset = j * g.dilW - g.padW
    if g.strideW != 1 {
        let lo = offset >= 0 ? 0 : (-offset + g.strideW - 1) / g.strideW
        let hi = g.w - 1 - offset < 0 ? 0 : Swift.min(g.outW, (g.w - 1 - offset) / g.strideW + 1)
        return (lo, Swift.max(lo, hi))
    }
    let lo = Swift.min(g.outW, Swift.max(0, -offset)), hi = Swift.max(lo, Swift.min(g.outW, g.w - offset))
    return (lo, hi)
}

/// Unfolds one image (C, H, W) into columns (C*KH*KW, OH*OW). Channels run in parallel; unit-stride rows
/// are one block copy between zeroed edges.
func im2colKernel(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
    let oh = g.outH, ow = g.outW
    parallelChunks(g.c, grain: Swift.max(1, 16_384 / Swift.max(g.kh * g.kw * oh * ow, 1))) { c0, c1 in
        for c in c0..<c1 {
            for i in 0..<g.kh {
                for j in 0..<g.kw {
                    let row = col + ((c * g.kh + i) * g.kw + j) * oh * ow
                    let (lo, hi) = validColumns(g, tap: j)
                    let offset = j * g.dilW - g.padW
                    for y in 0..<oh {
                        let iy = y * g.strideH - g.padH + i * g.dilH
                        let dst = row + y * ow
                        if iy < 0 || iy >= g.h || hi <= lo {
                            dst.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = x + (c * g.h + iy) * g.w
                        if lo > 0 { dst.update(repeating: 0, count: lo) }
                        if hi < ow { (dst + hi).update(repeating: 0, count: ow - hi) }
                        if g.strideW == 1 {
                            (dst + lo).update(from: src + lo + offset, count: hi - lo)
                        } else {
                            for xx in lo..<hi { dst[xx] = src[xx * g.strideW + offset] }
                        }
                    }
                }
            }
        }
    }
}

/// Adds columns (C*KH*KW, OH*OW) back into one image gradient (C, H, W), channels in parallel.
func col2imKernel(_ col: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
    let oh = g.outH, ow = g.outW
    parallelChunks(g.c, grain: Swift.max(1, 16_384 / Swift.max(g.kh * g.kw * oh * ow, 1))) { c0, c1 in
        for c in c0..<c1 {
            for i in 0..<g.kh {
                for j in 0..<g.kw {
                    let row = col + ((c * g.kh + i) * g.kw + j) * oh * ow
                    let (lo, hi) = validColumns(g, tap: j)
                    let offset = j * g.dilW - g.padW
                    for y in 0..<oh {
                        let iy = y * g.strideH - g.padH + i * g.dilH
                        if iy < 0 || iy >= g.h { continue }
                        let dst = gx + (c * g.h + iy) * g.w
                        let src = row + y * ow
                        if g.strideW == 1 {
                            let d = dst + offset
                            for xx in lo..<hi { d[xx] += src[xx] }
                        } else {
                            for xx in lo..<hi { dst[xx * g.strideW + offset] += src[xx] }
                        }
                    }
                }
            }
        }
    }
}

/// For a column kernel: the output rows t in [lo, hi) that read input row t + shift, shift = i*dilH - padH.
@inline(__always)
func columnKernelRange(_ g: ConvGeometry, tap i: Int) -> (shift: Int, lo: Int, hi: Int) {
    let shift = i * g.dilH - g.padH
    return (shift, Swift.max(0, -shift), Swift.min(g.outH, g.h - shift))
}
