import CKernels

/// Copies a strided view into a strided destination: the kernel behind permute, slice and concat.
/// `srcStrides` and `dstStrides` are element strides per axis of `shape`.
func stridedCopyKernel(shape: [Int], src: UnsafePointer<Float>, srcStrides: [Int],
                       dst: UnsafeMutablePointer<Float>, dstStrides: [Int]) {
    let n = shape.reduce(1, *)
    if n == 0 { return }
    let collapsed = collapseAxes(shape: shape, strides: [srcStrides, dstStrides])
    let cs = collapsed.shape, ss = collapsed.strides[0], ds = collapsed.strides[1]
    let r = cs.count
    let inner = cs[r - 1], si = ss[r - 1], di = ds[r - 1]
    let outer = n / inner
    let outerShape = Array(cs[0..<(r - 1)])
    parallelChunks(outer, grain: max(1, 32_768 / max(inner, 1))) { s, e in
        for row in s..<e {
            let (offS, offD) = rowOffsets(row, outerShape: outerShape, ss, ds)
            let x = src + offS, y = dst + offD
            if si == 1 && di == 1 {
                y.update(from: x, count: inner)
            } else {
                for j in 0..<inner { y[j * di] = x[j * si] }
            }
        }
    }
}

/// Batches of at least this many bytes are copied with non-temporal stores: far beyond the two cores'
/// 2 MB caches, so none of the batch is still cached when its first product reads it, and the stores
/// then skip reading each destination line first. A small VideoSAGE training batch (16,496 frames of
/// 1,024 features, 67 MB) took 2.0 ms to gather so against 3.4 ms with memcpy on both cores.
let streamingCopyBytes = 16 << 20

/// dst[i] = src[i] for i < count, with non-temporal stores when `streaming` (`streamingCopyBytes`).
@inline(__always)
func copyValues(_ dst: UnsafeMutablePointer<Float>, from src: UnsafePointer<Float>, count: Int, streaming: Bool) {
    if streaming { ck_stream_copy(dst, src, count) } else { dst.update(from: src, count: count) }
}
