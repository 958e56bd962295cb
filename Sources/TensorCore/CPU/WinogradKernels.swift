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
    /// Tile rows per block: about 1024 tiles a block keeps a block's transformed input and products in the
    /// last-level cache while each of the 16 products stays large enough for sgemm to run at full rate.
    var blockRows: Int { Swift.max(1, 1024 / tilesW) }
    /// Leading dimension of a block's rows of tiles in V and M: room for the last 8-wide vector of a row.
    var blockStride: Int { (Swift.min(blockRows, tilesH) * tilesW + 15) / 8 * 8 }

    /// The forward convolution of `g`, when F(2x2, 3x3) applies to it and is worth it (enough channels for
    /// the 16 products to be real matrix products).
    static func forward(_ g: ConvGeometry) -> WinogradGeometry? {
        guard g.kh == 3, g.kw == 3, g.strideH == 1, g.strideW == 1, g.dilH == 1, g.dilW == 1,
              g.padH <= 2, g.padW <= 2, g.c >= 16, g.o >= 16, g.outH > 0, g.outW > 0 else { return nil }
        return WinogradGeometry(c: g.c, h: g.h, w: g.w, o: g.o, padH: g.padH, padW: g.padW)
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
    parallelChunks(o * c, grain: 4096) { s, e in
        for oc in s..<e {
            let src = weight + oc * 9
            @inline(__always) func tap(_ i: Int, _ j: Int) -> Float { flipped ? src[8 - 3 * i - j] : src[3 * i + j] }
            let dst = flipped ? (oc % c) * o + oc / c : oc      // (c, o) order for the flipped kernel
            // t = G g (4 x 3), row by row; then U = t Gᵀ (4 x 4), the same combination along each row.
            @inline(__always) func store(_ i: Int, _ t0: Float, _ t1: Float, _ t2: Float) {
                pu[(4 * i + 0) * plane + dst] = t0
                pu[(4 * i + 1) * plane + dst] = 0.5 * (t0 + t1 + t2)
                pu[(4 * i + 2) * plane + dst] = 0.5 * (t0 - t1 + t2)
                pu[(4 * i + 3) * plane + dst] = t2
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
    }
    return u
}

/// out = conv(x) (+ bias), one image: x (c, h, w), u from `winogradKernelTransform`, out (o, outH, outW),
/// overwritten. `v` and `m` are scratch of the sizes `winogradScratch` gives.
func winogradConvolution(_ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         _ out: UnsafeMutablePointer<Float>, _ g: WinogradGeometry,
                         v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>) {
    let ld = g.blockStride
    var firstRow = 0
    while firstRow < g.tilesH {
        let rows = Swift.min(g.blockRows, g.tilesH - firstRow)
        let tiles = rows * g.tilesW
        winogradInputTransform(x, v, g, firstRow: firstRow, rows: rows)
        for xi in 0..<16 {
            sgemm(false, false, m: g.o, n: tiles, k: g.c, u + xi * g.o * g.c, lda: g.c, v + xi * g.c * ld, ldb: ld,
                  beta: 0, m + xi * g.o * ld, ldc: ld)
        }
        winogradOutputTransform(m, bias, out, g, firstRow: firstRow, rows: rows)
        firstRow += rows
    }
}

/// Scratch sizes (elements) for `winogradConvolution`'s v and m.
func winogradScratch(_ g: WinogradGeometry) -> (v: Int, m: Int) {
    (16 * g.c * g.blockStride, 16 * g.o * g.blockStride)
}

private typealias Vector = SIMD8<Float>

@inline(__always) private func load(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inline(__always) private func store(_ value: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: Vector.self)
}

/// 16 contiguous floats, for splitting into even and odd columns.
@inline(__always) private func loadPair(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// p[2t] = even[t], p[2t + 1] = odd[t] for t < 8.
@inline(__always) private func storeInterleaved(_ even: Vector, _ odd: Vector, _ p: UnsafeMutablePointer<Float>) {
    var pair = SIMD16<Float>()
    pair.evenHalf = even
    pair.oddHalf = odd
    UnsafeMutableRawPointer(p).storeBytes(of: pair, as: SIMD16<Float>.self)
}

/// V (16, c, ld) = Bᵀ d B for every tile of tile rows [firstRow, firstRow + rows), channels in parallel, 8
/// tiles at a time. Each input row under the block is first split once, with its zero padding, into even
/// and odd columns (rows outside the image are zero strips), so that tile t reads column t (and t + 1) of
/// each: no bounds checks, contiguous loads. Consecutive tile rows share two input rows, which are split
/// only once.
private func winogradInputTransform(_ x: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ g: WinogradGeometry,
                                    firstRow: Int, rows: Int) {
    let tilesW = g.tilesW, tiles = rows * tilesW, ld = g.blockStride, plane = g.c * ld
    let stripWidth = (tilesW + 1 + 7) / 8 * 8 + 8          // covers tile t + 1 for the last (padded) vector
    let inputRows = 2 * rows + 2, top = 2 * firstRow - g.padH
    parallelChunks(g.c, grain: Swift.max(1, 8192 / Swift.max(tiles, 1))) { c0, c1 in
        // One padded row (2 stripWidth wide) and the even/odd strips of every input row of the block.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * stripWidth * (inputRows + 1)) { buffer in
            let padded = buffer.baseAddress!, strips = padded + 2 * stripWidth
            padded.update(repeating: 0, count: 2 * stripWidth)
            let copied = Swift.min(g.w, 2 * stripWidth - g.padW)
            for c in c0..<c1 {
                for i in 0..<inputRows {
                    let even = strips + 2 * i * stripWidth, odd = even + stripWidth
                    let y = top + i
                    guard y >= 0, y < g.h else {
                        even.update(repeating: 0, count: 2 * stripWidth)
                        continue
                    }
                    // Strip column j holds image column j - padW: even[t] = column 2t, odd[t] = column 2t + 1.
                    // `padded` is zero outside [padW, padW + copied) and stays so: only that range is written.
                    (padded + g.padW).update(from: x + (c * g.h + y) * g.w, count: copied)
                    var t = 0
                    while t < stripWidth {
                        let pair = loadPair(padded + 2 * t)
                        store(pair.evenHalf, even + t)
                        store(pair.oddHalf, odd + t)
                        t += 8
                    }
                }
                for r in 0..<rows {
                    let rowStrips = strips + 4 * r * stripWidth      // input rows 2r ..< 2r + 4 of the block
                    let base = v + c * ld + r * tilesW
                    var tx = 0
                    while tx < tilesW {
                        // d[k][0..3] = even_k[t], odd_k[t], even_k[t + 1], odd_k[t + 1]; Bᵀ d combines rows k.
                        @inline(__always) func column(_ j: Int) -> (Vector, Vector, Vector, Vector) {
                            let off = tx + (j >> 1), parity = j & 1
                            let d0 = load(rowStrips + (0 + parity) * stripWidth + off)
                            let d1 = load(rowStrips + (2 + parity) * stripWidth + off)
                            let d2 = load(rowStrips + (4 + parity) * stripWidth + off)
                            let d3 = load(rowStrips + (6 + parity) * stripWidth + off)
                            return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
                        }
                        let (a0, b0, c0, e0) = column(0), (a1, b1, c1, e1) = column(1)
                        let (a2, b2, c2, e2) = column(2), (a3, b3, c3, e3) = column(3)
                        // (Bᵀ d) B: the same combination along each row i.
                        @inline(__always) func row(_ i: Int, _ t0: Vector, _ t1: Vector, _ t2: Vector, _ t3: Vector) {
                            let out = base + tx + 4 * i * plane
                            store(t0 - t2, out)
                            store(t1 + t2, out + plane)
                            store(t2 - t1, out + 2 * plane)
                            store(t1 - t3, out + 3 * plane)
                        }
                        row(0, a0, a1, a2, a3)
                        row(1, b0, b1, b2, b3)
                        row(2, c0, c1, c2, c3)
                        row(3, e0, e1, e2, e3)
                        tx += 8
                    }
                }
            }
        }
    }
}

/// The output positions of up to 8 tiles from `firstTile` in one tile row, as the output transform writes
/// them and the output-gradient transform reads them: `body(slot, offset)` for each position inside the
/// image, slot 8k + t for tile t's position k (top-left, top-right, bottom-left, bottom-right) and offset
/// from the tile row's first output element. Positions past the last row or column (odd sizes) are skipped.
@inline(__always)
private func forEachTileOutput(firstTile: Int, _ g: WinogradGeometry, tilesW: Int, hasSecondRow: Bool,
                               _ body: (_ slot: Int, _ offset: Int) -> Void) {
    for t in 0..<Swift.min(8, tilesW - firstTile) {
        let col = 2 * (firstTile + t)
        let hasSecondColumn = col + 1 < g.outW
        body(t, col)
        if hasSecondColumn { body(8 + t, col + 1) }
        if hasSecondRow {
            body(16 + t, g.outW + col)
            if hasSecondColumn { body(24 + t, g.outW + col + 1) }
        }
    }
}

/// out = Aᵀ M A (+ bias) for the tiles of tile rows [firstRow, firstRow + rows), output channels in
/// parallel, 8 tiles at a time; outputs past the image's last row or column (odd sizes) are dropped.
private func winogradOutputTransform(_ m: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                                     _ out: UnsafeMutablePointer<Float>, _ g: WinogradGeometry, firstRow: Int, rows: Int) {
    let tilesW = g.tilesW, tiles = rows * tilesW, ld = g.blockStride, plane = g.o * ld
    parallelChunks(g.o, grain: Swift.max(1, 8192 / Swift.max(tiles, 1))) { o0, o1 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { buffer in
            let y = buffer.baseAddress!
            for o in o0..<o1 {
                let b = Vector(repeating: bias?[o] ?? 0)
                for r in 0..<rows {
                    let top = 2 * (firstRow + r)
                    let row0 = out + (o * g.outH + top) * g.outW
                    let hasSecondRow = top + 1 < g.outH
                    let src = m + o * ld + r * tilesW
                    var tx = 0
                    while tx < tilesW {
                        // Aᵀ M: rows 0 + 1 + 2 and 1 - 2 - 3, for each column j.
                        @inline(__always) func column(_ j: Int) -> (Vector, Vector) {
                            let p = src + tx + j * plane
                            let (m0, m1, m2, m3) = (load(p), load(p + 4 * plane), load(p + 8 * plane), load(p + 12 * plane))
                            return (m0 + m1 + m2, m1 - m2 - m3)
                        }
                        let (s00, s10) = column(0), (s01, s11) = column(1), (s02, s12) = column(2), (s03, s13) = column(3)
                        let (y00, y01) = (s00 + s01 + s02 + b, s01 - s02 - s03 + b)
                        let (y10, y11) = (s10 + s11 + s12 + b, s11 - s12 - s13 + b)
                        // Interleave the tiles' two columns into the output rows: 16 contiguous outputs per row
                        // when all 8 tiles lie wholly inside the image, else position by position.
                        if hasSecondRow && 2 * tx + 16 <= g.outW {
                            storeInterleaved(y00, y01, row0 + 2 * tx)
                            storeInterleaved(y10, y11, row0 + 2 * tx + g.outW)
                        } else {
                            store(y00, y)
                            store(y01, y + 8)
                            store(y10, y + 16)
                            store(y11, y + 24)
                            forEachTileOutput(firstTile: tx, g, tilesW: tilesW, hasSecondRow: hasSecondRow) { slot, offset in
                                row0[offset] = y[slot]
                            }
                        }
                        tx += 8
                    }
                }
            }
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
        for xi in 0..<16 {
            sgemm(false, true, m: g.o, n: g.c, k: tiles, m + xi * g.o * ld, lda: ld, v + xi * g.c * ld, ldb: ld,
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
/// the transpose of the output transform. Output channels in parallel, 8 tiles at a time.
private func winogradOutputGradientTransform(_ gout: UnsafePointer<Float>, _ dm: UnsafeMutablePointer<Float>,
                                             _ g: WinogradGeometry, firstRow: Int, rows: Int) {
    let tilesW = g.tilesW, tiles = rows * tilesW, ld = g.blockStride, plane = g.o * ld
    parallelChunks(g.o, grain: Swift.max(1, 8192 / Swift.max(tiles, 1))) { o0, o1 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { buffer in
            let y = buffer.baseAddress!       // dY's four positions for 8 tiles: y00, y01, y10, y11
            for o in o0..<o1 {
                for r in 0..<rows {
                    let top = 2 * (firstRow + r)
                    let row0 = gout + (o * g.outH + top) * g.outW
                    let hasSecondRow = top + 1 < g.outH
                    let base = dm + o * ld + r * tilesW
                    var tx = 0
                    while tx < tilesW {
                        let (y00, y01, y10, y11): (Vector, Vector, Vector, Vector)
                        if hasSecondRow && 2 * tx + 16 <= g.outW {
                            // All 8 tiles wholly inside: each row's 16 outputs split into even and odd columns.
                            let first = loadPair(row0 + 2 * tx), second = loadPair(row0 + 2 * tx + g.outW)
                            (y00, y01, y10, y11) = (first.evenHalf, first.oddHalf, second.evenHalf, second.oddHalf)
                        } else {
                            y.update(repeating: 0, count: 32)
                            forEachTileOutput(firstTile: tx, g, tilesW: tilesW, hasSecondRow: hasSecondRow) { slot, offset in
                                y[slot] = row0[offset]
                            }
                            (y00, y01, y10, y11) = (load(y), load(y + 8), load(y + 16), load(y + 24))
                        }
                        // A dY: rows (y0, y0 + y1, y0 - y1, -y1), for each of the two columns.
                        let (a0, a1) = (y00, y01), (b0, b1) = (y00 + y10, y01 + y11)
                        let (c0, c1) = (y00 - y10, y01 - y11), (d0, d1) = (-y10, -y11)
                        // (A dY) Aᵀ: the same combination along each row i.
                        @inline(__always) func row(_ i: Int, _ t0: Vector, _ t1: Vector) {
                            let out = base + tx + 4 * i * plane
                            store(t0, out)
                            store(t0 + t1, out + plane)
                            store(t0 - t1, out + 2 * plane)
                            store(-t1, out + 3 * plane)
                        }
                        row(0, a0, a1)
                        row(1, b0, b1)
                        row(2, c0, c1)
                        row(3, d0, d1)
                        tx += 8
                    }
                }
            }
        }
    }
}
