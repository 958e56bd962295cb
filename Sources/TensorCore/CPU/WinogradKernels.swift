import CKernels

/// Winograd F(2x2, 3x3) convolution (Lavin and Gray, 2016): each 2x2 block of outputs ("tile") is computed
/// from the 4x4 input patch under it as Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A. Summed over input channels, the
/// elementwise product becomes 16 independent matrix products (one per position ξ of the 4x4 transformed
/// tile), U_ξ (O x C) times V_ξ (C x tiles): 16 multiplies per tile instead of the 36 of a direct 3x3 on
/// 4 outputs, 2.25x fewer FLOPs than the im2col product.
///
/// Used for stride 1, dilation 1 and padding <= 2 on each axis, for the forward pass and (as a correlation
/// of the output gradient with the flipped, transposed kernel) the input gradient.

/// Geometry of one Winograd convolution: an image (c, h, w) with zero padding (padH, padW), an output
/// (o, outH, outW) with outH = h + 2 padH - 2 and outW = w + 2 padW - 2.
struct WinogradGeometry {
    let c, h, w, o, padH, padW: Int
    var outH: Int { h + 2 * padH - 2 }
    var outW: Int { w + 2 * padW - 2 }
    var tilesH: Int { (outH + 1) / 2 }
    var tilesW: Int { (outW + 1) / 2 }
    /// Tiles per block (rounded to whole tile rows). The forward and input-gradient products sum over
    /// channels, so their block size only sets how much of V and M is live at once: a block's stays near
    /// the size of L2 (256 tiles measured about 15 % less time in the transforms than 1024). 192 rather
    /// than 256 because OpenBLAS runs a product of M N K <= 10^6 through its direct small-matrix kernel,
    /// without packing its operands or zero-filling C first: CSTA's small conv3 (128 x 32 channels, 64
    /// tiles per row) then takes three rows per block (786k) instead of four (1.05M), and its inference
    /// lost the zero-fill (10 % of it) and the packing, about a fifth of its time in all (predictions
    /// bit-identical on the CI profile; 128 tiles was no faster). The weight-gradient products sum over
    /// a block's tiles (`forWeightGradient`, 1024): long enough sums for sgemm to run at full rate.
    var blockTiles = 192
    /// Tile rows per block.
    var blockRows: Int { Swift.max(1, blockTiles / tilesW) }
    /// Leading dimension of a block's rows of tiles in V and M, rounded up to whole 8-float vectors.
    var blockStride: Int { (Swift.min(blockRows, tilesH) * tilesW + 15) / 8 * 8 }

    /// The forward convolution of `g`, when F(2x2, 3x3) applies to it and is worth it (enough channels for
    /// the 16 products to be real matrix products).
    static func forward(_ g: ConvGeometry) -> WinogradGeometry? {
        guard g.kh == 3, g.kw == 3, g.strideH == 1, g.strideW == 1, g.dilH == 1, g.dilW == 1,
              g.padH <= 2, g.padW <= 2, g.c >= 16, g.o >= 16, g.outH > 0, g.outW > 0 else { return nil }
        return WinogradGeometry(c: g.c, h: g.h, w: g.w, o: g.o, padH: g.padH, padW: g.padW)
    }

    /// The same convolution in the blocks of its weight gradient (see `blockTiles`).
    var forWeightGradient: WinogradGeometry {
        var g = self
        g.blockTiles = 1024
        return g
    }

    /// The input-gradient convolution of `g`: the output gradient (o, outH, outW) correlated with the
    /// flipped kernel, padding 2 - pad, gives the input's (c, h, w).
    static func inputGradient(_ g: ConvGeometry) -> WinogradGeometry {
        WinogradGeometry(c: g.o, h: g.outH, w: g.outW, o: g.c, padH: 2 - g.padH, padW: 2 - g.padW)
    }
}

/// U (16, O, C) from the kernel (O, C, 3, 3): U_ξ = G g Gᵀ. With `flipped`, the kernel of the input
/// gradient instead: U (16, C, O) from g'[c][o] = g[o][c] rotated by 180 degrees.
func winogradKernelTransform(_ weight: UnsafePointer<Float>, o: Int, c: Int, flipped: Bool) -> Tensor {
    let u = Tensor.empty([16, flipped ? c * o : o * c])
    let pu = u.storage.pointer, plane = o * c
    // Destinations in runs of `run` through a small buffer, each run then copied into the 16 planes: one
    // destination's 16 values lie a plane (o c floats) apart, and 16 store streams that far apart evicted
    // each other from L1 (the transform was 2.5 % of CSTA's small inference).
    let run = 64
    parallelChunks((plane + run - 1) / run, grain: 64) { s, e in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * run) { buffer in
            let local = buffer.baseAddress!
            for chunk in s..<e {
                let first = chunk * run, count = Swift.min(run, plane - first)
                for r in 0..<count {
                    let dst = first + r
                    let src = weight + (flipped ? (dst % o) * c + dst / o : dst) * 9   // (c, o) order for the flipped kernel
                    @inline(__always) func tap(_ i: Int, _ j: Int) -> Float { flipped ? src[8 - 3 * i - j] : src[3 * i + j] }
                    // t = G g (4 x 3), row by row; then U = t Gᵀ (4 x 4), the same combination along each row.
                    @inline(__always) func store(_ i: Int, _ t0: Float, _ t1: Float, _ t2: Float) {
                        local[(4 * i + 0) * run + r] = t0
                        local[(4 * i + 1) * run + r] = 0.5 * (t0 + t1 + t2)
                        local[(4 * i + 2) * run + r] = 0.5 * (t0 - t1 + t2)
                        local[(4 * i + 3) * run + r] = t2
                    }
                    @inline(__always) func gRow(_ j: Int) -> (Float, Float, Float, Float) {
                        let (g0, g1, g2) = (tap(0, j), tap(1, j), tap(2, j))
                        return (g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
                    }
                    let (c0, c1, c2) = (gRow(0), gRow(1), gRow(2))
                    store(0, c0.0, c1.0, c2.0)
                    store(1, c0.1, c1.1, c2.1)
                    store(2, c0.2, c1.2, c2.2)
                    store(3, c0.3, c1.3, c2.3)
                }
                for k in 0..<16 { (pu + k * plane + first).update(from: local + k * run, count: count) }
            }
        }
    }
    return u
}

/// out = conv(x) (+ bias), one image: x (c, h, w), u from `winogradKernelTransform`, out (o, outH, outW),
/// overwritten. `v` and `m` are scratch of the sizes `winogradScratch` gives.
func winogradConvolution(_ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         _ out: UnsafeMutablePointer<Float>, _ g: WinogradGeometry,
                         v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>) {
    winogradBlocks(x, u, g, v: v, m: m) { firstRow, rows in
        winogradOutputTransform(m, bias, out, g, firstRow: firstRow, rows: rows)
    }
}

/// The block loop of `winogradConvolution`: for each block of tile rows, V from x, then M (16, o, ld) =
/// U_ξ V_ξ, then `outputStage(firstRow, rows)` to consume M before the next block overwrites it.
func winogradBlocks(_ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ g: WinogradGeometry,
                    v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, outputStage: (Int, Int) -> Void) {
    let ld = g.blockStride
    var firstRow = 0
    while firstRow < g.tilesH {
        let rows = Swift.min(g.blockRows, g.tilesH - firstRow)
        let tiles = rows * g.tilesW
        winogradInputTransform(x, v, g, firstRow: firstRow, rows: rows)
        Accounting.addFlops(16 * 2 * g.o * tiles * g.c)
        independentProducts(16) { xi in
            gemmUncounted(false, false, m: g.o, n: tiles, k: g.c, u + xi * g.o * g.c, lda: g.c, v + xi * g.c * ld, ldb: ld,
                          beta: 0, m + xi * g.o * ld, ldc: ld)
        }
        outputStage(firstRow, rows)
        firstRow += rows
    }
}

/// Scratch sizes (elements) for `winogradConvolution`'s v and m.
func winogradScratch(_ g: WinogradGeometry) -> (v: Int, m: Int) {
    (16 * g.c * g.blockStride, 16 * g.o * g.blockStride)
}

/// V (16, c, ld) = Bᵀ d B for every tile of tile rows [firstRow, firstRow + rows), channels in parallel
/// (CKernels' `ck_winograd_input_block`, one channel at a time: each input row under the block split once
/// into even and odd columns, then the tiles in wide vectors).
private func winogradInputTransform(_ x: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ g: WinogradGeometry,
                                    firstRow: Int, rows: Int) {
    let tiles = rows * g.tilesW, ld = g.blockStride, plane = g.c * ld
    let scratch = ck_winograd_input_scratch(rows, g.tilesW)
    parallelChunks(g.c, grain: Swift.max(1, 8192 / Swift.max(tiles, 1))) { c0, c1 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: scratch) { buffer in
            for c in c0..<c1 {
                ck_winograd_input_block(x + c * g.h * g.w, g.h, g.w, g.padW, 2 * firstRow - g.padH, rows, g.tilesW,
                                        buffer.baseAddress!, v + c * ld, plane)
            }
        }
    }
}

/// out = Aᵀ M A (+ bias) for the tiles of tile rows [firstRow, firstRow + rows), output channels in
/// parallel (CKernels' `ck_winograd_output_block`); outputs past the image's last row or column (odd
/// sizes) are dropped.
private func winogradOutputTransform(_ m: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                                     _ out: UnsafeMutablePointer<Float>, _ g: WinogradGeometry, firstRow: Int, rows: Int) {
    let tiles = rows * g.tilesW, ld = g.blockStride, plane = g.o * ld
    parallelChunks(g.o, grain: Swift.max(1, 8192 / Swift.max(tiles, 1))) { o0, o1 in
        for o in o0..<o1 {
            ck_winograd_output_block(m + o * ld, plane, firstRow, rows, g.tilesW, bias?[o] ?? 0,
                                     out + o * g.outH * g.outW, g.outH, g.outW)
        }
    }
}

/// The weight gradient of `winogradConvolution`, one image, accumulated: dU_ξ += (A dY Aᵀ)_ξ V_ξᵀ over the
/// image's tiles, with V the input transform of x (as in the forward pass) and dY the output gradient's 2x2
/// tiles (zero past odd edges). `du` (16, o, c) is turned into the kernel's gradient by
/// `winogradKernelGradient` once every image is in. `v` and `m` are scratch as for `winogradConvolution`.
func winogradWeightGradient(_ x: UnsafePointer<Float>, _ gout: UnsafePointer<Float>, _ du: UnsafeMutablePointer<Float>,
                            _ g: WinogradGeometry, v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>) {
    let ld = g.blockStride
    var firstRow = 0
    while firstRow < g.tilesH {
        let rows = Swift.min(g.blockRows, g.tilesH - firstRow)
        let tiles = rows * g.tilesW
        winogradInputTransform(x, v, g, firstRow: firstRow, rows: rows)
        winogradOutputGradientTransform(gout, m, g, firstRow: firstRow, rows: rows)
        Accounting.addFlops(16 * 2 * g.o * g.c * tiles)
        independentProducts(16) { xi in
            gemmUncounted(false, true, m: g.o, n: g.c, k: tiles, m + xi * g.o * ld, lda: ld, v + xi * g.c * ld, ldb: ld,
                          beta: 1, du + xi * g.o * g.c, ldc: g.c)
        }
        firstRow += rows
    }
}

/// gw (o, c, 3, 3) += Gᵀ dU G for dU (16, o, c) from `winogradWeightGradient`.
func winogradKernelGradient(_ du: UnsafePointer<Float>, _ gw: UnsafeMutablePointer<Float>, o: Int, c: Int) {
    let plane = o * c
    parallelChunks(plane, grain: 4096) { s, e in
        for oc in s..<e {
            @inline(__always) func at(_ i: Int, _ j: Int) -> Float { du[(4 * i + j) * plane + oc] }
            // t = Gᵀ dU (3 x 4), column by column; then Gᵀ along each row of t.
            @inline(__always) func column(_ j: Int) -> (Float, Float, Float) {
                let (u0, u1, u2, u3) = (at(0, j), at(1, j), at(2, j), at(3, j))
                return (u0 + 0.5 * (u1 + u2), 0.5 * (u1 - u2), 0.5 * (u1 + u2) + u3)
            }
            let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3))
            let dst = gw + oc * 9
            @inline(__always) func row(_ p: Int, _ t0: Float, _ t1: Float, _ t2: Float, _ t3: Float) {
                dst[3 * p] += t0 + 0.5 * (t1 + t2)
                dst[3 * p + 1] += 0.5 * (t1 - t2)
                dst[3 * p + 2] += 0.5 * (t1 + t2) + t3
            }
            row(0, c0.0, c1.0, c2.0, c3.0)
            row(1, c0.1, c1.1, c2.1, c3.1)
            row(2, c0.2, c1.2, c2.2, c3.2)
        }
    }
}

/// dM (16, o, ld) = A dY Aᵀ for the output gradient's tiles of tile rows [firstRow, firstRow + rows):
/// the transpose of the output transform. Output channels in parallel (CKernels'
/// `ck_winograd_output_gradient_block`).
private func winogradOutputGradientTransform(_ gout: UnsafePointer<Float>, _ dm: UnsafeMutablePointer<Float>,
                                             _ g: WinogradGeometry, firstRow: Int, rows: Int) {
    let tiles = rows * g.tilesW, ld = g.blockStride, plane = g.o * ld
    parallelChunks(g.o, grain: Swift.max(1, 8192 / Swift.max(tiles, 1))) { o0, o1 in
        for o in o0..<o1 {
            ck_winograd_output_gradient_block(gout + o * g.outH * g.outW, g.outH, g.outW, firstRow, rows, g.tilesW,
                                              dm + o * ld, plane)
        }
    }
}
