import CKernels

/// Neighbourhood aggregation over a temporal graph whose edges join frames at most `radius` apart: a band
/// operator applied as out[b, t] = sum over o in -radius...radius of coefficients[b, t, o + radius] * x[b, t + o],
/// never as a dense (T, T) matrix.
extension Tensor {
    /// x (B, T, C), coefficients (B, T, 2 * radius + 1) (constant: no gradient flows into them), and an
    /// optional bias (C) added to every row in the same pass (a graph layer's bias, without an add node).
    public func bandAggregate(coefficients: Tensor, radius: Int, bias: Tensor? = nil) -> Tensor {
        checkArgument(rank == 3 && coefficients.shape == [shape[0], shape[1], 2 * radius + 1],
                     "bandAggregate: input \(shape) and coefficients \(coefficients.shape) do not fit radius \(radius)")
        if let bias { checkArgument(bias.shape == [shape[2]], "bandAggregate: bias \(bias.shape) for input \(shape)") }
        let (b, t, c) = (shape[0], shape[1], shape[2])
        let out = Tensor.empty(shape)
        let px = UnsafePointer(storage.pointer), pk = UnsafePointer(coefficients.storage.pointer), po = out.storage.pointer
        // The row a pass starts from: the bias, or zeros.
        let start = bias ?? Tensor(zeros: [c])
        let pb = UnsafePointer(start.storage.pointer)
        withExtendedLifetime(start) {
            parallelChunks(b * t, grain: bandRowGrain(c)) { s, e in
                bandForwardRows(po, s..<e, x: px, coefficients: pk, frames: t, channels: c, radius: radius, start: pb)
            }
        }
        let x = self
        return out.recorded(from: [x] + (bias.map { [$0] } ?? [])) { g in
            // The transpose of the band: gx[b, s] = sum over o of coefficients[b, s - o, o] * g[b, s - o].
            // Threads take column ranges (multiples of 16 columns, whole cache lines), so the bias gradient,
            // each column summed over the rows in order as `reducedGradient` sums it, is added in the same
            // pass over g. One row, or one column, is reduced as `reducedGradient` does (a copy, a double sum).
            let gx = Tensor.empty([b, t, c])
            // The coefficients are read through the tensor, which the closure keeps alive (not the forward's pointer).
            let pk = UnsafePointer(coefficients.storage.pointer), pg = UnsafePointer(g.storage.pointer), pgx = gx.storage.pointer
            let zeros = Tensor(zeros: [c])
            let pz = UnsafePointer(zeros.storage.pointer)
            let fusedBias = bias.map { $0.needsGrad } == true && b * t > 1 && c > 1
            let gb = fusedBias ? Tensor(zeros: [c]) : nil
            let pgb = gb?.storage.pointer
            let rows = b * t
            withExtendedLifetime(zeros) {
                parallelColumnBlocks(c, rows: rows) { columns in
                    bandTransposeColumns(pgx, columns, rows: rows, g: pg, coefficients: pk, frames: t, channels: c, radius: radius,
                                         zeros: pz, biasSum: pgb)
                }
            }
            var grads: [Tensor?] = [gx]
            if let bias { grads.append(bias.needsGrad ? (gb ?? bias.reducedGradient(g)) : nil) }
            return grads
        }
    }
}

/// Rows per thread chunk of a band's forward pass over rows of `c` channels.
func bandRowGrain(_ c: Int) -> Int { Swift.max(1, 8192 / Swift.max(c, 1)) }

/// Rows `rows` of the band's forward pass over the (B x T) rows of x with `c` channels (coefficients
/// (B x T, 2 radius + 1), sequences of `t` rows): y row r = start + the taps of its frame that lie inside
/// its sequence; with `keep`, then ReLU and dropout, y = relu(row) * (keep * scale) (reluDropout's
/// products), the band row itself kept only in a scratch row. Radius 1 runs in CKernels, whole ranges
/// per call; wider bands row by row here. The same additions either way.
func bandForwardRows(_ y: UnsafeMutablePointer<Float>, _ rows: Range<Int>, x px: UnsafePointer<Float>,
                     coefficients pk: UnsafePointer<Float>, frames t: Int, channels c: Int, radius: Int,
                     start: UnsafePointer<Float>, keep: UnsafePointer<UInt8>? = nil, scale: Float = 1) {
    if radius == 1 {
        return ck_band_forward_rows(px, pk, start, t, c, rows.lowerBound, rows.upperBound, keep, scale, y)
    }
    let width = 2 * radius + 1
    withUnsafeTemporaryAllocation(of: Float.self, capacity: keep == nil ? 0 : c) { scratch in
        for row in rows {
            let ti = row % t
            let dst = keep == nil ? y + row * c : scratch.baseAddress!
            bandRow(dst, from: start, 0..<c, radius: radius) { o in
                ti + o >= 0 && ti + o < t ? (pk[row * width + o + radius], px + (row + o) * c) : nil
            }
            if let keep { ck_relu_dropout_forward(dst, keep + row * c, scale, y + row * c, c) }
        }
    }
}

/// A band's backward pass split across threads by column ranges (multiples of 16 columns, whole cache
/// lines): `body` gets each thread's columns, and runs over every row for them.
func parallelColumnBlocks(_ c: Int, rows: Int, _ body: (Range<Int>) -> Void) {
    parallelChunks((c + 15) / 16, grain: Swift.max(1, 4096 / Swift.max(rows, 1))) { sb, eb in
        body((sb * 16)..<Swift.min(c, eb * 16))
    }
}

/// The transpose of that band over `columns` of all `rows`: gx row s = 0 + sum over o of k[s - o, o]
/// gu[s - o] (sources inside the sequence), and with `biasSum` each gu row added into it over `columns`,
/// rows in order. gu = g, or with `keep` (`y` the forward's output) ReLU-dropout's gradient (g (keep
/// scale)) relu'(y): y > 0 exactly where the ReLU's input was and the frame kept, and where it was
/// dropped both factors give the same signed zero (or NaN), so these are reluDropout's gradients; each
/// gu row is computed once, into a ring of 2 radius + 1 rows, just before the transpose first reads it.
func bandTransposeColumns(_ gx: UnsafeMutablePointer<Float>, _ columns: Range<Int>, rows: Int, g pg: UnsafePointer<Float>,
                          coefficients pk: UnsafePointer<Float>, frames t: Int, channels c: Int, radius: Int,
                          zeros pz: UnsafePointer<Float>, biasSum pgb: UnsafeMutablePointer<Float>?,
                          y py: UnsafePointer<Float>? = nil, keep: UnsafePointer<UInt8>? = nil, scale: Float = 1) {
    let span = 2 * radius + 1, (j, n) = (columns.lowerBound, columns.count)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: keep == nil ? 0 : span * c) { ring in
        let ring = ring.baseAddress
        if radius == 1 {
            return ck_band_transpose_columns(pg, pk, pz, t, c, rows, j, columns.upperBound, py, keep, scale, ring, gx, pgb)
        }
        var computed = 0
        func gradientRow(_ q: Int) -> UnsafePointer<Float> { keep == nil ? pg + q * c : UnsafePointer(ring! + (q % span) * c) }
        for row in 0..<rows {
            if let keep, let py {
                while computed <= Swift.min(rows - 1, row + radius) {
                    let q = computed * c + j
                    ck_relu_dropout_backward(py + q, keep + q, scale, pg + q, ring! + (computed % span) * c + j, n)
                    computed += 1
                }
            }
            let si = row % t
            bandRow(gx + row * c, from: pz, columns, radius: radius) { o in
                si - o >= 0 && si - o < t ? (pk[(row - o) * span + o + radius], gradientRow(row - o)) : nil
            }
            if let pgb { ck_row_sum(pgb + j, gradientRow(row) + j, n) }
        }
    }
}

/// One band row over `columns`: dst = start + k(o) src(o) for each offset o in -radius...radius with a
/// tap (`tap(o)`: its coefficient and source row, nil outside the sequence; zero coefficients skipped),
/// added left to right in offset order. A radius-1 band (at most three taps) is summed in one pass over
/// the row by CKernels' wide vectors, a wider one in a pass per tap; the additions are the same either
/// way, each product rounded before it is added, so are the bits.
@inline(__always)
func bandRow(_ dst: UnsafeMutablePointer<Float>, from start: UnsafePointer<Float>, _ columns: Range<Int>, radius: Int,
             tap: (Int) -> (k: Float, source: UnsafePointer<Float>)?) {
    guard radius == 1 else {
        for j in columns { dst[j] = start[j] }
        for o in -radius...radius {
            guard let (k, s) = tap(o), k != 0 else { continue }
            for j in columns { dst[j] += k * s[j] }
        }
        return
    }
    var count: Int32 = 0
    var k0: Float = 0, k1: Float = 0, k2: Float = 0
    var s0 = start, s1 = start, s2 = start
    for o in -1...1 {
        guard let (k, s) = tap(o), k != 0 else { continue }
        switch count {
        case 0: (k0, s0) = (k, s)
        case 1: (k1, s1) = (k, s)
        default: (k2, s2) = (k, s)
        }
        count += 1
    }
    let j = columns.lowerBound
    ck_band_row(dst + j, start + j, count, k0, s0 + j, k1, s1 + j, k2, s2 + j, columns.count)
}

/// How an edge-list aggregation combines the messages arriving at a node.
public enum NeighbourReduction: Sendable {
    case mean, max
}

extension Tensor {
    /// Aggregation over an edge list (the graph models' message passing): for x (N, C) and edges
    /// (source[e] -> target[e]), out[i] = mean or max of x[source[e]] over the edges with target[e] == i.
    /// A node with no incoming edge gets zeros (as PyTorch Geometric's scatter). The gradient of max goes
    /// to the first source that attains the maximum, per channel.
    public func aggregateNeighbours(sources: [Int], targets: [Int], nodes: Int, reduction: NeighbourReduction) -> Tensor {
        checkArgument(rank == 2 && sources.count == targets.count,
                      "aggregateNeighbours: needs x (N, C) and one target per source, got \(shape), \(sources.count) sources, \(targets.count) targets")
        let (n, c) = (shape[0], shape[1])
        for (s, t) in zip(sources, targets) {
            checkArgument(s >= 0 && s < n && t >= 0 && t < nodes,
                          "aggregateNeighbours: edge \(s) -> \(t) outside \(n) source nodes / \(nodes) target nodes")
        }
        var degree = [Int](repeating: 0, count: nodes)
        for t in targets { degree[t] += 1 }
        let out = Tensor(zeros: [nodes, c])
        let px = storage.pointer, po = out.storage.pointer
        // For max: the source node that won each (target, channel), -1 where there is no edge.
        var winner = [Int32](repeating: -1, count: reduction == .max ? nodes * c : 0)
        for (s, t) in zip(sources, targets) {
            let src = px + s * c, dst = po + t * c
            switch reduction {
            case .mean:
                let w = 1 / Float(degree[t])
                for j in 0..<c { dst[j] += w * src[j] }
            case .max:
                for j in 0..<c where winner[t * c + j] < 0 || src[j] > dst[j] {
                    dst[j] = src[j]
                    winner[t * c + j] = Int32(s)
                }
            }
        }
        return out.recorded(from: [self]) { g in
            let gx = Tensor(zeros: [n, c])
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            switch reduction {
            case .mean:
                for (s, t) in zip(sources, targets) {
                    let w = 1 / Float(degree[t])
                    for j in 0..<c { pgx[s * c + j] += w * pg[t * c + j] }
                }
            case .max:
                for i in 0..<(nodes * c) where winner[i] >= 0 {
                    pgx[Int(winner[i]) * c + i % c] += pg[i]
                }
            }
            return [gx]
        }
    }
}
