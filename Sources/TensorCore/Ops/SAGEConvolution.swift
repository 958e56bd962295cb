/// GraphSAGE's convolution (PyTorch Geometric's `SAGEConv` with its defaults: mean aggregation, root
/// weight, no normalisation, no projection) over a `TemporalGraph`, as one op.
extension Tensor {
    /// out_j = W_l mean over in-edges (i -> j) of x_i + b_l + W_r x_j, for x (N, C), W_l and W_r (O, C),
    /// b_l (O); N = graph.nodes. Every node of a temporal graph has its self-loop, so no mean is empty.
    ///
    /// The products run before the mean (W_l mean(x_i) = mean(W_l x_i)): one sgemm of the N rows against
    /// the stacked (2O, C) matrix [W_l; W_r], then the band mean over O channels rather than C, which for
    /// the score layers (O = 1) is all of the aggregation's cost.
    public func sageConvMean(graph: TemporalGraph, weightL: Tensor, biasL: Tensor, weightR: Tensor) -> Tensor {
        checkArgument(rank == 2 && shape[0] == graph.nodes,
                      "sageConvMean: input \(shape) must be (nodes, channels) for a graph of \(graph.nodes) nodes")
        let (n, c) = (shape[0], shape[1])
        let o = weightL.shape.first ?? 0
        checkArgument(weightL.shape == [o, c] && weightR.shape == [o, c] && biasL.shape == [o],
                      "sageConvMean: lin_l weight \(weightL.shape), bias \(biasL.shape), lin_r weight \(weightR.shape) for input \(shape) (need (O, \(c)), (O), (O, \(c)))")
        let x = self
        let stacked = Tensor.empty([2 * o, c])
        stacked.storage.pointer.update(from: weightL.storage.pointer, count: o * c)
        (stacked.storage.pointer + o * c).update(from: weightR.storage.pointer, count: o * c)
        let lr = Tensor.empty([n, 2 * o])
        gemmKernel(batch: 1, m: n, n: 2 * o, k: c, a: x.storage.pointer, strideA: 0, transA: false,
                   b: stacked.storage.pointer, strideB: 0, transB: true, c: lr.storage.pointer, strideC: 0, accumulate: false)
        let out = Tensor.empty([n, o])
        sageMeanKernel(graph, l: lr.storage.pointer, r: lr.storage.pointer + o, stride: 2 * o,
                       bias: biasL.storage.pointer, width: o, out: out.storage.pointer)

        return out.recorded(from: [x, weightL, biasL, weightR]) { g in
            // [gl | gr] (N, 2O): the mean's transpose for lin_l, the gradient itself for lin_r.
            let glr = Tensor.empty([n, 2 * o])
            let pg = g.storage.pointer, pglr = glr.storage.pointer
            sageMeanBackwardKernel(graph, g: pg, width: o, gl: pglr, stride: 2 * o)
            for j in 0..<n { (pglr + j * 2 * o + o).update(from: pg + j * o, count: o) }
            var gx: Tensor? = nil
            if x.needsGrad {
                let t = Tensor.empty([n, c])
                gemmKernel(batch: 1, m: n, n: c, k: 2 * o, a: pglr, strideA: 0, transA: false,
                           b: stacked.storage.pointer, strideB: 0, transB: false, c: t.storage.pointer, strideC: 0, accumulate: false)
                gx = t
            }
            var gl: Tensor? = nil, gr: Tensor? = nil
            if weightL.needsGrad || weightR.needsGrad {
                let gs = Tensor.empty([2 * o, c])
                gemmKernel(batch: 1, m: 2 * o, n: c, k: n, a: pglr, strideA: 0, transA: true,
                           b: x.storage.pointer, strideB: 0, transB: false, c: gs.storage.pointer, strideC: 0, accumulate: false)
                if weightL.needsGrad {
                    let t = Tensor.empty([o, c])
                    t.storage.pointer.update(from: gs.storage.pointer, count: o * c)
                    gl = t
                }
                if weightR.needsGrad {
                    let t = Tensor.empty([o, c])
                    t.storage.pointer.update(from: gs.storage.pointer + o * c, count: o * c)
                    gr = t
                }
            }
            let gb = biasL.needsGrad ? Tensor(columnSumKernel(pg, rows: n, width: o, stride: o), shape: [o]) : nil
            return [gx, gl, gb, gr]
        }
    }
}
