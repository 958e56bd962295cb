import CKernels

extension Tensor {
    /// A temporal graph convolution layer as one op: `matmul(weight).bandAggregate(coefficients:radius:
    /// bias:)`, then with `reluDropout` that module's `callAsFunction(reluOf:packed:)` (ReLU then dropout).
    /// x (B, T, in), weight (in, out), coefficients (B, T, 2 radius + 1), bias (out); `packed`: the rows
    /// are the (B x T) packed rows of these sequences, for the dropout's draws. The same products, band
    /// additions, draws and activation as those ops, so the same values and gradients; but neither x W
    /// nor the band's output is kept until the backward pass (two activations of the output's size per
    /// layer), the band's output is never written out when the activation follows (each row goes through
    /// ReLU and dropout while in cache), and the backward pass computes the activation's gradient row by
    /// row as the band's transpose reads it, instead of writing and reading it as a whole tensor.
    public func graphConvolution(weight: Tensor, coefficients: Tensor, radius: Int, bias: Tensor?,
                                 reluDropout dropout: Dropout? = nil, packed: PackedSequences? = nil) -> Tensor {
        checkArgument(rank == 3 && weight.rank == 2 && weight.shape[0] == shape[2],
                      "graphConvolution: input \(shape) does not fit weight \(weight.shape)")
        let (b, t, c) = (shape[0], shape[1], weight.shape[1])
        checkArgument(coefficients.shape == [b, t, 2 * radius + 1],
                      "graphConvolution: input \(shape) and coefficients \(coefficients.shape) do not fit radius \(radius)")
        if let bias { checkArgument(bias.shape == [c], "graphConvolution: bias \(bias.shape) for weight \(weight.shape)") }
        // Without dropout to fuse (none, or not training, or p == 0) the band's output is the result, or
        // plain ReLU's input.
        let fused = dropout.map { $0.isTraining && $0.p > 0 } == true
        if let dropout, !fused { return dropout(reluOf: graphConvolution(weight: weight, coefficients: coefficients, radius: radius, bias: bias), packed: packed) }
        let p = dropout?.p ?? 0
        checkArgument(p < 1, "graphConvolution: dropout probability \(p) not in [0, 1)")
        let product = GradMode.withNoGrad { matmul(weight) }   // the sgemm `matmul` runs, never recorded
        let out = Tensor.empty([b, t, c])
        // Drawn where the separate reluDropout op draws them, after the product and the band (which draw nothing).
        let mask = dropout.map { DropoutKeepFlags(for: packed == nil ? out : out.reshaped([b * t, c]), p: p, rng: $0.rng,
                                                  packed: packed, op: "graphConvolution") }
        let scale = 1 / (1 - p)
        let start = bias ?? Tensor(zeros: [c])
        let px = UnsafePointer(product.storage.pointer), pk = UnsafePointer(coefficients.storage.pointer)
        let pb = UnsafePointer(start.storage.pointer), po = out.storage.pointer, keep = mask.map { UnsafePointer($0.flags) }
        withExtendedLifetime((product, start)) {
            parallelChunks(b * t, grain: bandRowGrain(c)) { s, e in
                bandForwardRows(po, s..<e, x: px, coefficients: pk, frames: t, channels: c, radius: radius, start: pb,
                                keep: keep, scale: scale)
            }
        }
        let x = self
        return out.recorded(from: [x, weight] + (bias.map { [$0] } ?? [])) { [unowned out] g in
            // With the activation, the band's transpose computes its gradient from the output, row by row.
            let gt = Tensor.empty([b, t, c])
            let pk = UnsafePointer(coefficients.storage.pointer), pg = UnsafePointer(g.storage.pointer)
            let py = UnsafePointer(out.storage.pointer), keep = mask.map { UnsafePointer($0.flags) }, pgt = gt.storage.pointer
            let rows = b * t
            let zeros = Tensor(zeros: [c])
            let pz = UnsafePointer(zeros.storage.pointer)
            // The bias gradient is summed in the transpose's pass, as bandAggregate sums it, unless
            // reducedGradient takes another path (one row copied, one column summed in double precision):
            // then it reduces a whole gu.
            let biasNeedsGrad = bias.map { $0.needsGrad } == true
            let fusedBias = biasNeedsGrad && rows > 1 && c > 1
            let gb = fusedBias ? Tensor(zeros: [c]) : nil
            let pgb = gb?.storage.pointer
            var wholeGu: Tensor? = nil
            withExtendedLifetime((zeros, mask)) {
                parallelColumnBlocks(c, rows: rows) { columns in
                    bandTransposeColumns(pgt, columns, rows: rows, g: pg, coefficients: pk, frames: t, channels: c, radius: radius,
                                         zeros: pz, biasSum: pgb, y: py, keep: keep, scale: scale)
                }
                if biasNeedsGrad && !fusedBias, let keep {
                    let gu = Tensor.empty([b, t, c])
                    ck_relu_dropout_backward(py, keep, scale, pg, gu.storage.pointer, rows * c)
                    wholeGu = gu
                }
            }
            // The products' gradients as `matmul`'s backward computes them for a batch against a shared matrix.
            let gx = x.needsGrad ? gt.matmul(weight, transposeOther: true) : nil
            let gw = weight.needsGrad ? x.reshaped([rows, x.shape[2]]).matmul(gt.reshaped([rows, c]), transposeSelf: true) : nil
            let gbias = biasNeedsGrad ? (gb ?? bias!.reducedGradient(wholeGu ?? g)) : nil
            return [gx, gw] + (bias == nil ? [] : [gbias])
        }
    }
}
