import Foundation

/// Softmax over rows of length `length`. When `keyMask` is given (0 = excluded), it holds one row of
/// `length` flags for every `rowsPerMask` consecutive rows (e.g. all heads and queries of one video); a
/// row whose keys are all excluded gets zeros rather than NaN.
func softmaxRowsKernel(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, length: Int,
                       keyMask: UnsafePointer<Float>?, rowsPerMask: Int) {
    parallelChunks(rows, grain: max(1, 8192 / max(length, 1))) { s, e in
        for r in s..<e {
            let src = x + r * length, dst = y + r * length
            let mask = keyMask.map { $0 + (r / rowsPerMask) * length }
            var m = -Float.infinity
            for j in 0..<length where mask == nil || mask![j] != 0 { m = Swift.max(m, src[j]) }
            if m == -Float.infinity {
                dst.update(repeating: 0, count: length)
                continue
            }
            var total: Float = 0
            for j in 0..<length {
                if let mask, mask[j] == 0 { dst[j] = 0; continue }
                let v = expf(src[j] - m)
                dst[j] = v
                total += v
            }
            let inv = 1 / total
            for j in 0..<length { dst[j] *= inv }
        }
    }
}

/// gx = y * (g - sum(g * y)) per row.
func softmaxBackwardKernel(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                           rows: Int, length: Int) {
    parallelChunks(rows, grain: max(1, 8192 / max(length, 1))) { s, e in
        for r in s..<e {
            let yr = y + r * length, gr = g + r * length, out = gx + r * length
            var dot: Float = 0
            for j in 0..<length { dot += yr[j] * gr[j] }
            for j in 0..<length { out[j] = yr[j] * (gr[j] - dot) }
        }
    }
}
