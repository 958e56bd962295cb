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

/// Unfolds one image (C, H, W) into columns (C*KH*KW, OH*OW).
func im2colKernel(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
    let oh = g.outH, ow = g.outW
    for c in 0..<g.c {
        for i in 0..<g.kh {
            for j in 0..<g.kw {
                let row = col + ((c * g.kh + i) * g.kw + j) * oh * ow
                for y in 0..<oh {
                    let iy = y * g.strideH - g.padH + i * g.dilH
                    let dst = row + y * ow
                    if iy < 0 || iy >= g.h {
                        dst.update(repeating: 0, count: ow)
                        continue
                    }
                    let src = x + (c * g.h + iy) * g.w
                    for xx in 0..<ow {
                        let ix = xx * g.strideW - g.padW + j * g.dilW
                        dst[xx] = (ix >= 0 && ix < g.w) ? src[ix] : 0
                    }
                }
            }
        }
    }
}

/// Adds columns (C*KH*KW, OH*OW) back into one image gradient (C, H, W).
func col2imKernel(_ col: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
    let oh = g.outH, ow = g.outW
    for c in 0..<g.c {
        for i in 0..<g.kh {
            for j in 0..<g.kw {
                let row = col + ((c * g.kh + i) * g.kw + j) * oh * ow
                for y in 0..<oh {
                    let iy = y * g.strideH - g.padH + i * g.dilH
                    if iy < 0 || iy >= g.h { continue }
                    let dst = gx + (c * g.h + iy) * g.w
                    let src = row + y * ow
                    for xx in 0..<ow {
                        let ix = xx * g.strideW - g.padW + j * g.dilW
                        if ix >= 0 && ix < g.w { dst[ix] += src[xx] }
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
