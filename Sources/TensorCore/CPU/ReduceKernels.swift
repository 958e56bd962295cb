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

/// out[c] = Σ x[i, c, j] over i < outer and j < inner for x (outer, channels, inner): a convolution's bias
/// gradient. Each channel is one sequential float sum in (i, j) order, so the result is bit for bit that of
/// `sumAxisKernel` on the (channels, outer · inner) transpose, without making the transpose. Eight
/// channels are summed side by side so that their additions do not wait on one another.
func channelSumKernel(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, outer: Int, channels: Int, inner: Int) {
    let groups = (channels + 7) / 8
    parallelChunks(groups, grain: max(1, 32_768 / max(8 * outer * inner, 1))) { s, e in
        for group in s..<e {
            let first = 8 * group, width = min(8, channels - first)
            if width < 8 {
                for c in first..<first + width {
                    var acc: Float = 0
                    for i in 0..<outer {
                        let src = x + (i * channels + c) * inner
                        for j in 0..<inner { acc += src[j] }
                    }
                    out[c] = acc
                }
                continue
            }
            var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0
            var a4: Float = 0, a5: Float = 0, a6: Float = 0, a7: Float = 0
            for i in 0..<outer {
                let p = x + (i * channels + first) * inner
                for j in 0..<inner {
                    a0 += p[j]; a1 += p[inner + j]; a2 += p[2 * inner + j]; a3 += p[3 * inner + j]
                    a4 += p[4 * inner + j]; a5 += p[5 * inner + j]; a6 += p[6 * inner + j]; a7 += p[7 * inner + j]
                }
            }
            (out[first], out[first + 1], out[first + 2], out[first + 3]) = (a0, a1, a2, a3)
            (out[first + 4], out[first + 5], out[first + 6], out[first + 7]) = (a4, a5, a6, a7)
        }
    }
}
