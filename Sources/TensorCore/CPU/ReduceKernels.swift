/// Reductions over one axis of a tensor viewed as (outer, axis, inner).
func axisGeometry(_ shape: [Int], _ axis: Int) -> (outer: Int, length: Int, inner: Int) {
    (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
}

func sumAxisKernel(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, outer: Int, length: Int, inner: Int) {
    parallelChunks(outer, grain: max(1, 32_768 / max(length * inner, 1))) { s, e in
        for o in s..<e {
            let dst = out + o * inner
            let src = x + o * length * inner
            if inner == 1 {
                var acc: Float = 0
                for j in 0..<length { acc += src[j] }
                dst[0] = acc
            } else {
                dst.update(from: src, count: inner)
                for j in 1..<max(length, 1) where j < length {
                    let row = src + j * inner
                    for i in 0..<inner { dst[i] += row[i] }
                }
                if length == 0 { dst.update(repeating: 0, count: inner) }
            }
        }
    }
}

/// Max over the axis, with the index of the first maximum (for the backward pass).
func maxAxisKernel(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ index: UnsafeMutablePointer<Int32>,
                   outer: Int, length: Int, inner: Int) {
    for o in 0..<outer {
        for i in 0..<inner {
            let base = x + o * length * inner + i
            var best = base[0], bestIndex: Int32 = 0
            for j in 1..<max(length, 1) where j < length {
                let v = base[j * inner]
                if v > best || (v != v && best == best) { best = v; bestIndex = Int32(j) }
            }
            out[o * inner + i] = best
            index[o * inner + i] = bestIndex
        }
    }
}
