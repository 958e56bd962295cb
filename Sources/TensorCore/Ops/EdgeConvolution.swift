/// EdgeConv (Wang et al., as PyTorch Geometric's `EdgeConv`) with max aggregation and a two-layer MLP,
/// over a `TemporalGraph`, as one op.
extension Tensor {
    /// h'_j = max over in-edges (i -> j) of W2 relu(W1 [h_j, h_i - h_j] + b1) + b2, for x (N, C) the node
    /// features, W1 (M, 2C), b1 (M), W2 (O, M), b2 (O); N = graph.nodes.
    ///
    /// How, and why it is exact: W1 [h_j, h_i - h_j] = (W1a - W1b) h_j + W1b h_i with W1 = [W1a | W1b],
    /// so the first layer is two per-node products (one sgemm of N rows against the stacked (2M, C)
    /// matrix) combined per edge, instead of an (E, 2C) x (2C, M) product over the edges. The ReLU and
    /// the second layer must run per edge (one sgemm over the E edge rows). b2 is the same on every edge,
    /// so it is added after the max. The gradient of the max goes to the winning edge of each
    /// (node, channel) (the first maximum, as `max(axis:)`).
    public func edgeConvMax(graph: TemporalGraph, weight1: Tensor, bias1: Tensor, weight2: Tensor, bias2: Tensor) -> Tensor {
        checkArgument(rank == 2 && shape[0] == graph.nodes,
                      "edgeConvMax: input \(shape) must be (nodes, channels) for a graph of \(graph.nodes) nodes")
        let (n, c) = (shape[0], shape[1])
        let m = weight1.shape.first ?? 0
        checkArgument(weight1.shape == [m, 2 * c] && bias1.shape == [m],
                      "edgeConvMax: first layer weight \(weight1.shape), bias \(bias1.shape) for input \(shape) (need (M, \(2 * c)), (M))")
        let o = weight2.shape.first ?? 0
        checkArgument(weight2.shape == [o, m] && bias2.shape == [o],
                      "edgeConvMax: second layer weight \(weight2.shape), bias \(bias2.shape) for hidden width \(m) (need (O, \(m)), (O))")
        let edges = graph.edgeCount
        let x = self

        // Stacked first-layer matrix: rows 0..<M act on h_j (W1a - W1b), rows M..<2M on h_i (W1b).
        let stacked = Tensor.empty([2 * m, c])
        let pw = weight1.storage.pointer, ps = stacked.storage.pointer
        for r in 0..<m {
            let a = pw + r * 2 * c, b = a + c
            let target = ps + r * c, source = ps + (m + r) * c
            for k in 0..<c {
                target[k] = a[k] - b[k]
                source[k] = b[k]
            }
        }
        // Per-node products [p | q] (N, 2M), then per-edge hidden rows u (E, M).
        let pq = Tensor.empty([n, 2 * m])
        gemmKernel(batch: 1, m: n, n: 2 * m, k: c, a: x.storage.pointer, strideA: 0, transA: false,
                   b: ps, strideB: 0, transB: true, c: pq.storage.pointer, strideC: 0, accumulate: false)
        let u = Tensor.empty([edges, m])
        edgeMessageReluKernel(graph, p: pq.storage.pointer, q: pq.storage.pointer + m, stride: 2 * m,
                              bias: bias1.storage.pointer, width: m, out: u.storage.pointer)
        // Second layer over the edges, then the max per target.
        let v = Tensor.empty([edges, o])
        gemmKernel(batch: 1, m: edges, n: o, k: m, a: u.storage.pointer, strideA: 0, transA: false,
                   b: weight2.storage.pointer, strideB: 0, transB: true, c: v.storage.pointer, strideC: 0, accumulate: false)
        let out = Tensor.empty([n, o])
        let winner = WinnerIndices(count: n * o)
        edgeMaxKernel(graph, v: v.storage.pointer, bias: bias2.storage.pointer, width: o, out: out.storage.pointer,
                      winner: winner.pointer)

        // Saved for the backward pass: the edge rows u (E, M), the winners (N, O) and the stacked matrix;
        // the per-edge outputs v are dropped here.
        return out.recorded(from: [x, weight1, bias1, weight2, bias2]) { g in
            let gv = Tensor.empty([edges, o])
            edgeMaxBackwardKernel(graph, g: g.storage.pointer, winner: winner.pointer, width: o, gv: gv.storage.pointer)
            var gWeight2: Tensor? = nil
            if weight2.needsGrad {
                let gw = Tensor.empty([o, m])
                gemmKernel(batch: 1, m: o, n: m, k: edges, a: gv.storage.pointer, strideA: 0, transA: true,
                           b: u.storage.pointer, strideB: 0, transB: false, c: gw.storage.pointer, strideC: 0, accumulate: false)
                gWeight2 = gw
            }
            let gBias2 = bias2.needsGrad
                ? Tensor(columnSumKernel(g.storage.pointer, rows: n, width: o, stride: o), shape: [o]) : nil
            guard x.needsGrad || weight1.needsGrad || bias1.needsGrad else {
                return [nil, nil, nil, gWeight2, gBias2]
            }
            let gu = Tensor.empty([edges, m])
            gemmKernel(batch: 1, m: edges, n: m, k: o, a: gv.storage.pointer, strideA: 0, transA: false,
                       b: weight2.storage.pointer, strideB: 0, transB: false, c: gu.storage.pointer, strideC: 0, accumulate: false)
            let gpq = Tensor.empty([n, 2 * m])
            edgeMessageReluBackwardKernel(graph, u: u.storage.pointer, gu: gu.storage.pointer, width: m,
                                          gp: gpq.storage.pointer, gq: gpq.storage.pointer + m, stride: 2 * m)
            let gBias1 = bias1.needsGrad
                ? Tensor(columnSumKernel(gpq.storage.pointer, rows: n, width: m, stride: 2 * m), shape: [m]) : nil
            var gx: Tensor? = nil
            if x.needsGrad {
                let t = Tensor.empty([n, c])
                gemmKernel(batch: 1, m: n, n: c, k: 2 * m, a: gpq.storage.pointer, strideA: 0, transA: false,
                           b: stacked.storage.pointer, strideB: 0, transB: false, c: t.storage.pointer, strideC: 0, accumulate: false)
                gx = t
            }
            var gWeight1: Tensor? = nil
            if weight1.needsGrad {
                // d/d(stacked) = gpqᵀ x, then back to W1 = [W1a | W1b]: W1a feeds only the target rows,
                // W1b the source rows with + and the target rows with -.
                let gs = Tensor.empty([2 * m, c])
                gemmKernel(batch: 1, m: 2 * m, n: c, k: n, a: gpq.storage.pointer, strideA: 0, transA: true,
                           b: x.storage.pointer, strideB: 0, transB: false, c: gs.storage.pointer, strideC: 0, accumulate: false)
                let gw = Tensor.empty([m, 2 * c])
                let pgs = gs.storage.pointer, pgw = gw.storage.pointer
                for r in 0..<m {
                    let target = pgs + r * c, source = pgs + (m + r) * c
                    let a = pgw + r * 2 * c, b = a + c
                    for k in 0..<c {
                        a[k] = target[k]
                        b[k] = source[k] - target[k]
                    }
                }
                gWeight1 = gw
            }
            return [gx, gWeight1, gBias1, gWeight2, gBias2]
        }
    }
}

/// The winning edge rows of a max aggregation, kept for the backward pass (4 bytes per output value).
final class WinnerIndices: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>

    init(count: Int) { pointer = .allocate(capacity: Swift.max(count, 1)) }

    deinit { pointer.deallocate() }
}
