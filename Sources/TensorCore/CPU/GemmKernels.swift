import CBLAS

/// C[b] = op(A[b]) * op(B[b]) (+ C[b] when `accumulate`), row-major, for `batch` matrices laid out at the
/// given element strides (stride 0 reuses one matrix for every batch). Calls sgemm on the tensors' own
/// buffers; transposed operands are passed as flags, never copied.
func gemmKernel(batch: Int, m: Int, n: Int, k: Int,
                a: UnsafePointer<Float>, strideA: Int, transA: Bool,
                b: UnsafePointer<Float>, strideB: Int, transB: Bool,
                c: UnsafeMutablePointer<Float>, strideC: Int, accumulate: Bool) {
    Accounting.addFlops(2 * batch * m * n * k)
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { for i in 0..<batch { (c + i * strideC).update(repeating: 0, count: m * n) } }
        return
    }
    let lda = transA ? m : k
    let ldb = transB ? k : n
    for i in 0..<batch {
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1,
                    a + i * strideA, Int32(lda), b + i * strideB, Int32(ldb),
                    accumulate ? 1 : 0, c + i * strideC, Int32(n))
    }
}

/// One row-major sgemm with explicit leading dimensions, for kernels that multiply sub-blocks in place.
/// C = op(A) op(B) + beta C, with op(A) m x k and op(B) k x n.
@inline(__always)
func sgemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
           _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
           beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    Accounting.addFlops(2 * m * n * k)
    gemmUncounted(transA, transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
}

/// `sgemm` without FLOP accounting, for kernels that count their own useful FLOPs (a product that also
/// multiplies padding zeros).
@inline(__always)
func gemmUncounted(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
                   _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta != 1 { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
