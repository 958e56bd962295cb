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
