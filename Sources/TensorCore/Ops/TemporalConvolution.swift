import CKernels

/// 1-D convolution along time on channels-last sequences (N, T, C), the layout sequence models keep their
/// features in. Equal to `permuted([0, 2, 1]).conv1d(...).permuted([0, 2, 1])` (unit stride and
/// dilation), without the two transposing copies, and as one large matrix product over all N x T rows
/// instead of one small product per image and tap. The FLOP count is the convolution's own (taps that
/// land inside the sequence, as the column-kernel conv2d counts), not the products with padding zeros.
extension Tensor {
    /// x (N, T, C), weight (O, C, K) as `Conv1d` stores it, bias (O) -> (N, T + 2 padding - K + 1, O).
    public func conv1dChannelsLast(weight: Tensor, bias: Tensor?, padding: Int) -> Tensor {
        checkArgument(rank == 3 && weight.rank == 3 && weight.shape[1] == shape[2],
                     "conv1dChannelsLast: input \(shape) and weight \(weight.shape) do not fit (need (N,T,C) and (O,C,K))")
        let g = TemporalGeometry(n: shape[0], t: shape[1], c: shape[2], o: weight.shape[0], k: weight.shape[2], pad: padding)
        checkArgument(padding >= 0 && g.fitsEverySequence,
                     "conv1dChannelsLast: input \(shape) too short for kernel \(weight.shape) with padding \(padding)")
        return temporalConvolution(g, weight: weight, bias: bias, outputShape: [shape[0], shape[1] + 2 * padding - g.k + 1, g.o])
    }

    /// The same convolution over packed sequences (`PackedSequences`): x (R, C) holds the sequences' rows
    /// end to end, and each sequence is convolved alone, with zeros beyond its own ends -> (R', O), R' the
    /// output rows of every sequence end to end (R' = R for K = 2 padding + 1).
    public func conv1dChannelsLast(weight: Tensor, bias: Tensor?, padding: Int, sequences: PackedSequences) -> Tensor {
        checkArgument(rank == 2 && weight.rank == 3 && weight.shape[1] == shape[1] && shape[0] == sequences.rows,
                     "conv1dChannelsLast: packed input \(shape) and weight \(weight.shape) do not fit (need (\(sequences.rows), C) and (O,C,K))")
        let g = TemporalGeometry(lengths: sequences.lengths, c: shape[1], o: weight.shape[0], k: weight.shape[2], pad: padding)
        checkArgument(padding >= 0 && g.fitsEverySequence,
                     "conv1dChannelsLast: sequences of lengths \(sequences.lengths) too short for kernel \(weight.shape) with padding \(padding)")
        return temporalConvolution(g, weight: weight, bias: bias, outputShape: [g.outputRows, g.o])
    }

    /// The convolution of `g` on self's rows, as one matrix product over all output rows.
    private func temporalConvolution(_ g: TemporalGeometry, weight: Tensor, bias: Tensor?, outputShape: [Int]) -> Tensor {
        if let bias { checkArgument(bias.shape == [g.o], "conv1dChannelsLast: bias \(bias.shape) for weight \(weight.shape)") }
        let x = self
        let rows = g.outputRows, kc = g.k * g.c
        // Weight as (O, K*C) with tap-major columns, matching the unfolded rows.
        let tapMajor = Tensor.empty([g.o, g.k, g.c])
        regroupTaps(weight.storage.pointer, tapMajor.storage.pointer, g, toRows: true)
        let out = Tensor.empty(outputShape)
        let col = Tensor.empty([rows, kc])
        temporalUnfold(x.storage.pointer, col.storage.pointer, g)
        if let bias {
            for r in 0..<rows { (out.storage.pointer + r * g.o).update(from: bias.storage.pointer, count: g.o) }
        }
        WeightPanels.product(m: rows, n: g.o, k: kc, a: col.storage.pointer, lda: kc, weight: weight, form: .tapMajor,
                             b: tapMajor.storage.pointer, ldb: kc, transB: true, c: out.storage.pointer, ldc: g.o,
                             accumulate: bias != nil, flops: g.flops)
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        return out.recorded(from: inputs) { gout in
            var grads: [Tensor?] = [nil, nil]
            if weight.needsGrad {
                // `col` still holds the forward's unfolded input: the graph runs each backward once, and
                // the input gradient below overwrites it only afterwards.
                let gTapMajor = Tensor.empty([g.o, g.k, g.c])
                gemmUncounted(true, false, m: g.o, n: kc, k: rows, gout.storage.pointer, lda: g.o, col.storage.pointer, ldb: kc,
                              beta: 0, gTapMajor.storage.pointer, ldc: kc)
                Accounting.addFlops(g.flops)
                let gw = Tensor.empty(weight.shape)
                regroupTaps(gTapMajor.storage.pointer, gw.storage.pointer, g, toRows: false)
                grads[1] = gw
            }
            if x.needsGrad {
                gemmUncounted(false, false, m: rows, n: kc, k: g.o, gout.storage.pointer, lda: g.o, tapMajor.storage.pointer,
                              ldb: kc, beta: 0, col.storage.pointer, ldc: kc)
                Accounting.addFlops(g.flops)
                let gx = Tensor(zeros: x.shape)
                temporalFold(col.storage.pointer, gx.storage.pointer, g)
                grads[0] = gx
            }
            if let bias { grads.append(bias.needsGrad ? gout.reshaped([rows, g.o]).sum(axis: 0) : nil) }
            return grads
        }
    }
}

/// A weight (O, C, K) as (O, K, C) (`toRows`) or back: the permutation [0, 2, 1] in a kernel that
/// vectorises for K = 3 (the generic strided copy took 3.6 % of EDSNet's published-width step).
private func regroupTaps(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, _ g: TemporalGeometry,
                         toRows: Bool) {
    let rowValues = g.c * g.k
    parallelChunks(g.o, grain: Swift.max(1, 32_768 / Swift.max(rowValues, 1))) { s, e in
        if toRows {
            ck_taps_to_rows(source + s * rowValues, target + s * rowValues, e - s, g.c, g.k)
        } else {
            ck_rows_to_taps(source + s * rowValues, target + s * rowValues, e - s, g.c, g.k)
        }
    }
}
