/// A convolution followed by `batchNormActivationDropoutMean`, as one op with an evaluation fast path.
extension Tensor {
    /// `conv2d(weight:bias:stride:padding:dilation:)` then `batchNormActivationDropoutMean` (parameters as
    /// there; `bnWeight`, `bnBias` the batch norm's), for x (N, C, H, W): returns (N, O, OH). The same values,
    /// gradients, running statistics and dropout draws as the two ops, which is what it runs whenever it
    /// must record a gradient, use batch statistics or draw dropout. Otherwise (evaluation) a convolution
    /// that runs as Winograd goes block by block straight into the means (`winogradConvolutionRowMeans`):
    /// the same bits, without writing and reading back the (N, O, OH, OW) convolution output.
    public func conv2dBatchNormActivationDropoutMean(weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1),
                                                     padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                                                     bnWeight: Tensor, bnBias: Tensor, runningMean: Tensor, runningVar: Tensor,
                                                     training: Bool, momentum: Float = 0.1, eps: Float = 1e-5,
                                                     activation: NormActivation, dropout p: Float, dropoutTraining: Bool,
                                                     rng: RandomSource) -> Tensor {
        let g = conv2dGeometry(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
        checkArgument(p >= 0 && p < 1, "conv2dBatchNormActivationDropoutMean: dropout probability \(p) not in [0, 1)")
        let inputs = [self, weight, bnWeight, bnBias] + (bias.map { [$0] } ?? [])
        guard Tensor.evaluatesWithoutGradients(inputs, training: training, dropout: p, dropoutTraining: dropoutTraining),
              let winograd = WinogradGeometry.forward(g) else {
            return conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
                .batchNormActivationDropoutMean(weight: bnWeight, bias: bnBias, runningMean: runningMean, runningVar: runningVar,
                                                training: training, momentum: momentum, eps: eps, activation: activation,
                                                dropout: p, dropoutTraining: dropoutTraining, rng: rng)
        }
        let stats = evaluationBatchNorm("conv2dBatchNormActivationDropoutMean", g, weight: bnWeight, bias: bnBias,
                                        runningMean: runningMean, runningVar: runningVar, momentum: momentum, eps: eps)
        let affine = (0..<g.o).map(stats.affine)
        let (scale, shift) = (affine.map(\.a), affine.map(\.b))
        let out = Tensor.empty([g.n, g.o, g.outH])
        let x = self
        func run<F: UnaryFunction>(_ f: F.Type) {
            forEachWinogradImage(weight, g, winograd) { n, u, v, m in
                winogradConvolutionRowMeans(f, x.storage.pointer + n * g.c * g.h * g.w, u, bias: bias?.storage.pointer,
                                            scale: scale, shift: shift, out.storage.pointer + n * g.o * g.outH, winograd,
                                            v: v, m: m)
            }
        }
        switch activation {
        case .identity: run(IdentityFunction.self)
        case .relu: run(ReluFunction.self)
        case .gelu: run(GeluFunction.self)
        }
        return out
    }
}
