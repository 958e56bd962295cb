/// Matrix products on sgemm: plain, batched (equal leading dimensions), and a batch of matrices times one
/// shared matrix (folded into a single sgemm).
extension Tensor {
    /// op(self) x op(other) over the last two axes. `self` may have leading batch axes; `other` either has the
    /// same leading axes or is 2-D and shared across the batch.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        let a = self, b = other
        checkArgument(a.rank >= 2 && b.rank >= 2,
                     "matmul: needs rank >= 2 operands, got \(a.shape) and \(b.shape)")
        let (ar, br) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (m, ka) = transposeSelf ? (br, ar) : (ar, br)
        let (bRows, bCols) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (kb, n) = transposeOther ? (bCols, bRows) : (bRows, bCols)
        checkArgument(ka == kb, "matmul: inner dimensions differ: \(a.shape)\(transposeSelf ? "ᵀ" : "") x \(b.shape)\(transposeOther ? "ᵀ" : "")")
        let lead = Array(a.shape.dropLast(2))
        let batch = lead.reduce(1, *)
        let sharedB = b.rank == 2 && a.rank > 2
        checkArgument(!(sharedB && transposeSelf),
                     "matmul: a transposed batch against a shared matrix is not supported: \(a.shape)ᵀ x \(b.shape)")
        checkArgument(sharedB || Array(b.shape.dropLast(2)) == lead,
                     "matmul: batch dimensions differ: \(a.shape) x \(b.shape)")
        let out = Tensor.empty(lead + [m, n])
        let pa = a.storage.pointer, pb = b.storage.pointer, pc = out.storage.pointer
        if (sharedB || batch == 1) && !transposeSelf {
            // (batch x m) rows against one matrix: one product, in the panel kernel when the matrix is a
            // weight in a pass that packs it (`WeightPanels`).
            WeightPanels.product(m: batch * m, n: n, k: ka, a: pa, lda: ka, weight: b, form: transposeOther ? .transposed : .asStored,
                                 b: pb, ldb: bCols, transB: transposeOther, c: pc, ldc: n, accumulate: false)
        } else {
            gemmKernel(batch: batch, m: m, n: n, k: ka, a: pa, strideA: ar * br, transA: transposeSelf,
                       b: pb, strideB: sharedB ? 0 : bRows * bCols, transB: transposeOther,
                       c: pc, strideC: m * n, accumulate: false)
        }
        return out.recorded(from: [a, b]) { g in
            var ga: Tensor? = nil, gb: Tensor? = nil
            if a.needsGrad {
                // dA = dC op(B)ᵀ, transposed back when A was used transposed.
                ga = transposeSelf
                    ? b.matmul(g, transposeSelf: transposeOther, transposeOther: true)
                    : g.matmul(b, transposeSelf: false, transposeOther: !transposeOther)
            }
            if b.needsGrad {
                if sharedB {
                    // Sum over the batch by folding it into the inner dimension of one sgemm.
                    let aRows = a.reshaped([batch * ar, br]), gRows = g.reshaped([batch * m, n])
                    gb = transposeOther
                        ? gRows.matmul(aRows, transposeSelf: true, transposeOther: false)
                        : aRows.matmul(gRows, transposeSelf: true, transposeOther: false)
                } else {
                    gb = transposeOther
                        ? g.matmul(a, transposeSelf: true, transposeOther: transposeSelf)
                        : a.matmul(g, transposeSelf: !transposeSelf, transposeOther: false)
                }
            }
            return [ga, gb]
        }
    }
}
