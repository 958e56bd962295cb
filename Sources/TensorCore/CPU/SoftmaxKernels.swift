import CKernels

/// Softmax over rows of length `length`. When `keyMask` is given (0 = excluded), it holds one row of
/// `length` flags for every `rowsPerMask` consecutive rows (e.g. all heads and queries of one video); a
/// row whose keys are all excluded gets zeros rather than NaN. The rows run in `Sources/CKernels/Softmax.c`
/// (wide vectors and the fast exp: the C library's scalar expf made softmax a fifth of LoGoNet's
/// inference).
func softmaxRowsKernel(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, length: Int,
                       keyMask: UnsafePointer<Float>?, rowsPerMask: Int) {
    let shared = UncheckedSendable((x, y, keyMask))
    parallelChunks(rows, grain: max(1, 8192 / max(length, 1))) { s, e in
        let (x, y, keyMask) = shared.value
        ck_softmax_rows(x, y, s, e, length, keyMask, max(rowsPerMask, 1))
    }
}

/// gx = y * (g - sum(g * y)) per row.
func softmaxBackwardKernel(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                           rows: Int, length: Int) {
    let shared = UncheckedSendable((y, g, gx))
    parallelChunks(rows, grain: max(1, 8192 / max(length, 1))) { s, e in
        let (y, g, gx) = shared.value
        ck_softmax_backward_rows(y, g, gx, s, e, length)
    }
}
