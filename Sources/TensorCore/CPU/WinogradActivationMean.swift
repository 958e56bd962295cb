import CKernels

/// CSTA's conv3 -> bn3 -> ReLU -> mean over the last axis in evaluation, block by block: each block's
/// Winograd products go through the output transform into a few rows in cache, which are reduced to their
/// means at once, so the full (O, outH, outW) convolution output is never written nor read back. The same
/// bits as the separate ops: the output transform is the one `winogradConvolution` runs (only writing to
/// a local buffer), and each row's mean is `activationMeanKernel`'s (`activatedRowMean`).

/// means (o, outH) [r] = mean over output row r of F(conv(x) a + b), one image: x (c, h, w), u from
/// `winogradKernelTransform`, `a` and `b` the per-output-channel affine (batch norm with its running
/// statistics). `v` and `m` are scratch of the sizes `winogradScratch` gives.
func winogradConvolutionRowMeans<F: UnaryFunction>(_ f: F.Type, _ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>,
                                                   bias: UnsafePointer<Float>?, scale a: [Float], shift b: [Float],
                                                   _ means: UnsafeMutablePointer<Float>, _ g: WinogradGeometry,
                                                   v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>) {
    let rowScale = 1 / Float(g.outW)
    winogradBlocks(x, u, g, v: v, m: m) { firstRow, rows in
        let tiles = rows * g.tilesW, ld = g.blockStride, plane = g.o * ld
        // The block's output rows (the last block's last one dropped for an odd outH).
        let blockH = Swift.min(2 * rows, g.outH - 2 * firstRow)
        parallelChunks(g.o, grain: Swift.max(1, 8192 / Swift.max(tiles, 1))) { o0, o1 in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: blockH * g.outW + activationMeanChunk) { buffer in
                let rowsOut = buffer.baseAddress!, chunk = rowsOut + blockH * g.outW
                for o in o0..<o1 {
                    ck_winograd_output_block(m + o * ld, plane, 0, rows, g.tilesW, bias?[o] ?? 0, rowsOut, blockH, g.outW)
                    for r in 0..<blockH {
                        means[o * g.outH + 2 * firstRow + r] =
                            activatedRowMean(f, rowsOut + r * g.outW, nil, a: a[o], b: b[o], length: g.outW,
                                             rowScale: rowScale, buffer: chunk)
                    }
                }
            }
        }
    }
}
