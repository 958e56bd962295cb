/// Loops over the band of a `TemporalGraph` for the graph layers (EdgeConv, SAGEConv). Rows are nodes
/// (frames); per-edge rows follow the graph's edge layout (target-major, sources ascending). Every loop
/// is parallel over disjoint output rows: targets when writing per target, sources when gathering the
/// transpose, so no two threads ever write the same row.

/// Grain for row loops of `width` floats: about 8k elements of work per chunk.
@inline(__always)
func graphRowGrain(_ width: Int) -> Int { Swift.max(1, 8192 / Swift.max(width, 1)) }

/// EdgeConv's first layer, per edge: u[e] = relu(p[j] + bias[j] + q[i]) for edge e = (i -> j), where
/// p and q are the target and source parts of the node products, rows of `stride` floats (the two parts
/// of one (N, 2C) matrix), and `width` = C.
func edgeMessageReluKernel(_ graph: TemporalGraph, p: UnsafePointer<Float>, q: UnsafePointer<Float>, stride: Int,
                           bias: UnsafePointer<Float>, width c: Int, out u: UnsafeMutablePointer<Float>) {
    let first = graph.firstSource, last = graph.lastSource, offsets = graph.edgeOffsets
    first.withUnsafeBufferPointer { first in
        last.withUnsafeBufferPointer { last in
            offsets.withUnsafeBufferPointer { offsets in
                parallelChunks(graph.nodes, grain: graphRowGrain(c * (2 * graph.radius + 1))) { s, e in
                    // The target's row plus the bias, once per target rather than once per edge.
                    let target = UnsafeMutablePointer<Float>.allocate(capacity: c)
                    defer { target.deallocate() }
                    for j in s..<e {
                        let pj = p + j * stride
                        for k in 0..<c { target[k] = pj[k] + bias[k] }
                        var row = offsets[j]
                        for i in Int(first[j])...Int(last[j]) {
                            let qi = q + i * stride, dst = u + row * c
                            for k in 0..<c { dst[k] = Swift.max(target[k] + qi[k], 0) }
                            row += 1
                        }
                    }
                }
            }
        }
    }
}

/// Max over each target's in-edges of the per-edge rows v (E, C): out[j] = max_e v[e] + bias, with the
/// winning edge row per (target, channel) in `winner` (the first maximum; NaN wins, as `max(axis:)`).
func edgeMaxKernel(_ graph: TemporalGraph, v: UnsafePointer<Float>, bias: UnsafePointer<Float>, width c: Int,
                   out: UnsafeMutablePointer<Float>, winner: UnsafeMutablePointer<Int32>) {
    graph.edgeOffsets.withUnsafeBufferPointer { offsets in
        parallelChunks(graph.nodes, grain: graphRowGrain(c * (2 * graph.radius + 1))) { s, e in
            for j in s..<e {
                let begin = offsets[j], end = offsets[j + 1]
                let dst = out + j * c, win = winner + j * c
                dst.update(from: v + begin * c, count: c)
                win.update(repeating: Int32(begin), count: c)
                for row in (begin + 1)..<end {   // every node has its self-loop: end > begin
                    let src = v + row * c
                    for k in 0..<c where src[k] > dst[k] || (src[k] != src[k] && dst[k] == dst[k]) {
                        dst[k] = src[k]
                        win[k] = Int32(row)
                    }
                }
                for k in 0..<c { dst[k] += bias[k] }
            }
        }
    }
}

/// The max's gradient as dense per-edge rows: gv[winner[j, k], k] = g[j, k], zero elsewhere.
func edgeMaxBackwardKernel(_ graph: TemporalGraph, g: UnsafePointer<Float>, winner: UnsafePointer<Int32>, width c: Int,
                           gv: UnsafeMutablePointer<Float>) {
    graph.edgeOffsets.withUnsafeBufferPointer { offsets in
        parallelChunks(graph.nodes, grain: graphRowGrain(c * (2 * graph.radius + 1))) { s, e in
            // Each target owns its own edge rows, so zeroing and scattering per target never overlaps.
            for j in s..<e {
                let begin = offsets[j], end = offsets[j + 1]
                (gv + begin * c).update(repeating: 0, count: (end - begin) * c)
                let gj = g + j * c, win = winner + j * c
                for k in 0..<c { gv[Int(win[k]) * c + k] = gj[k] }
            }
        }
    }
}

/// EdgeConv's first layer backward: gu (E, C) is masked by relu (u > 0) in place, then summed per target
/// into gp and per source into gq (rows of `stride` floats: the two parts of one (N, 2C) matrix).
func edgeMessageReluBackwardKernel(_ graph: TemporalGraph, u: UnsafePointer<Float>, gu: UnsafeMutablePointer<Float>,
                                   width c: Int, gp: UnsafeMutablePointer<Float>, gq: UnsafeMutablePointer<Float>,
                                   stride: Int) {
    let grain = graphRowGrain(c * (2 * graph.radius + 1))
    graph.edgeOffsets.withUnsafeBufferPointer { offsets in
        parallelChunks(graph.nodes, grain: grain) { s, e in
            for j in s..<e {
                let begin = offsets[j], end = offsets[j + 1]
                let dst = gp + j * stride
                dst.update(repeating: 0, count: c)
                for row in begin..<end {
                    let g = gu + row * c, a = u + row * c
                    for k in 0..<c {
                        let masked = a[k] > 0 ? g[k] : 0
                        g[k] = masked
                        dst[k] += masked
                    }
                }
            }
        }
        // Sources second, once every edge row is masked: source i's edges sit in its targets' blocks.
        parallelChunks(graph.nodes, grain: grain) { s, e in
            for i in s..<e {
                let dst = gq + i * stride
                dst.update(repeating: 0, count: c)
                for j in graph.targets(of: i) {
                    let g = gu + (offsets[j] + i - Int(graph.firstSource[j])) * c
                    for k in 0..<c { dst[k] += g[k] }
                }
            }
        }
    }
}

/// SAGEConv's aggregation after the products: out[j] = bias + r[j] + mean over sources i of l[i], with l
/// and r the two parts (of `width` floats) of rows of `stride` floats.
func sageMeanKernel(_ graph: TemporalGraph, l: UnsafePointer<Float>, r: UnsafePointer<Float>, stride: Int,
                    bias: UnsafePointer<Float>, width c: Int, out: UnsafeMutablePointer<Float>) {
    parallelChunks(graph.nodes, grain: graphRowGrain(c * (2 * graph.radius + 1))) { s, e in
        for j in s..<e {
            let dst = out + j * c
            dst.update(repeating: 0, count: c)
            let sources = graph.sources(of: j)
            for i in sources {
                let src = l + i * stride
                for k in 0..<c { dst[k] += src[k] }
            }
            let w = 1 / Float(sources.count), rj = r + j * stride
            for k in 0..<c { dst[k] = dst[k] * w + rj[k] + bias[k] }
        }
    }
}

/// The transpose of the mean: gl[i] = sum over the targets j of i of g[j] / indegree(j), into rows of
/// `stride` floats.
func sageMeanBackwardKernel(_ graph: TemporalGraph, g: UnsafePointer<Float>, width c: Int,
                            gl: UnsafeMutablePointer<Float>, stride: Int) {
    parallelChunks(graph.nodes, grain: graphRowGrain(c * (2 * graph.radius + 1))) { s, e in
        for i in s..<e {
            let dst = gl + i * stride
            dst.update(repeating: 0, count: c)
            for j in graph.targets(of: i) {
                let w = 1 / Float(graph.inDegree(j)), src = g + j * c
                for k in 0..<c { dst[k] += w * src[k] }
            }
        }
    }
}

/// Column sums of a (rows, c) matrix in double precision (a bias gradient).
func columnSumKernel(_ x: UnsafePointer<Float>, rows: Int, width c: Int, stride: Int) -> [Float] {
    var acc = [Double](repeating: 0, count: c)
    for r in 0..<rows {
        let row = x + r * stride
        for k in 0..<c { acc[k] += Double(row[k]) }
    }
    return acc.map { Float($0) }
}
