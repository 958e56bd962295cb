import CKernels
import Foundation

/// Elementwise kernels. Each op is a type with a static function, so the generic loops below are
/// specialised per op at compile time: no closure call per element.
protocol BinaryFunction { static func apply(_ a: Float, _ b: Float) -> Float }
enum AddFunction: BinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubFunction: BinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum MulFunction: BinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum DivFunction: BinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }

/// out = f(a, b) with NumPy broadcasting; `out` has the broadcast shape.
func binaryKernel<F: BinaryFunction>(_: F.Type, _ a: Tensor, _ b: Tensor, into out: Tensor) {
    let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
    let n = out.count
    if a.count == n && b.count == n {
        parallelChunks(n) { s, e in for i in s..<e { po[i] = F.apply(pa[i], pb[i]) } }
        return
    }
    if b.count == 1 {
        let v = pb[0]
        parallelChunks(n) { s, e in for i in s..<e { po[i] = F.apply(pa[i], v) } }
        return
    }
    if a.count == 1 {
        let v = pa[0]
        parallelChunks(n) { s, e in for i in s..<e { po[i] = F.apply(v, pb[i]) } }
        return
    }
    let collapsed = collapseAxes(shape: out.shape,
                                 strides: [broadcastStrides(a.shape, to: out.shape),
                                           broadcastStrides(b.shape, to: out.shape)])
    let shape = collapsed.shape, sa = collapsed.strides[0], sb = collapsed.strides[1]
    let r = shape.count
    let inner = shape[r - 1], ia = sa[r - 1], ib = sb[r - 1]
    let outer = n / inner
    let outerShape = Array(shape[0..<(r - 1)])
    parallelChunks(outer, grain: max(1, 32_768 / max(inner, 1))) { s, e in
        for row in s..<e {
            // Offsets of this row in a and b from its multi-index.
            let (offA, offB) = rowOffsets(row, outerShape: outerShape, sa, sb)
            let o = po + row * inner, x = pa + offA, y = pb + offB
            if ia == 1 && ib == 1 {
                for j in 0..<inner { o[j] = F.apply(x[j], y[j]) }
            } else if ia == 1 {
                let v = y[0]
                for j in 0..<inner { o[j] = F.apply(x[j], v) }
            } else if ib == 1 {
                let v = x[0]
                for j in 0..<inner { o[j] = F.apply(v, y[j]) }
            } else {
                let v = F.apply(x[0], y[0])
                for j in 0..<inner { o[j] = v }
            }
        }
    }
}

/// Sums `src` (of `srcShape`) down to `dstShape`, where `dstShape` broadcasts to `srcShape`: the
/// gradient of broadcasting.
func sumToShapeKernel(_ src: Tensor, into dst: Tensor) {
    let ps = src.storage.pointer, pd = dst.storage.pointer
    let n = src.count
    if dst.count == n {
        pd.update(from: ps, count: n)
        return
    }
    if dst.count == 1 {
        var acc = 0.0
        for i in 0..<n { acc += Double(ps[i]) }
        pd[0] = Float(acc)
        return
    }
    let collapsed = collapseAxes(shape: src.shape,
                                 strides: [contiguousStrides(src.shape),
                                           broadcastStrides(dst.shape, to: src.shape)])
    let shape = collapsed.shape, sd = collapsed.strides[1]
    let r = shape.count
    let inner = shape[r - 1], id = sd[r - 1]
    let outer = n / inner
    let outerShape = Array(shape[0..<(r - 1)])
    pd.update(repeating: 0, count: dst.count)
    if r == 2 && sd[0] == 0 && id == 1 {
        // Rows summed into one row (a bias gradient): threads take column ranges, and each column is
        // still summed in row order, as the sequential loop below sums it (CKernels' row sum: the same
        // additions at the CPU's widest vectors).
        parallelChunks(inner, grain: max(16, 32_768 / max(outer, 1))) { s, e in
            for row in 0..<outer { ck_row_sum(pd + s, ps + row * inner + s, e - s) }
        }
        return
    }
    // Sequential: different source rows can add into the same destination elements.
    for row in 0..<outer {
        let (_, offD) = rowOffsets(row, outerShape: outerShape, collapsed.strides[0], sd)
        let x = ps + row * inner, d = pd + offD
        if id == 1 {
            for j in 0..<inner { d[j] += x[j] }
        } else {
            var acc: Float = 0
            for j in 0..<inner { acc += x[j] }
            d[0] += acc
        }
    }
}
