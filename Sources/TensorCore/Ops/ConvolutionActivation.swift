import CKernels

/// A convolution followed by `batchNormActivationDropout`, as one op with an evaluation fast path.
extension Tensor {
    /// `conv2d(weight:bias:stride:padding:dilation:)` then `batchNormActivationDropout` (parameters as there;
    /// `bnWeight`, `bnBias` the batch norm's), for x (N, C, H, W) -> (N, O, OH, OW). The same values,
    /// gradients, running statistics and dropout draws as the two ops, which is what it runs whenever it must
    /// record a gradient, use batch statistics, draw dropout or zero padded frames, and for every convolution
    /// but a one-channel (K, 1) one. For that one in evaluation (LoGoNet's conv1 -> bn1 -> GELU, its largest
    /// tensor) each output channel's plane is convolved into a scratch plane that stays in cache and goes
    /// straight through the batch norm's affine and the activation: the same C kernels on the same values
    /// (the same bits), without writing and reading back the full convolution output.
    public func conv2dBatchNormActivationDropout(weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1),
                                                 padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                                                 bnWeight: Tensor, bnBias: Tensor, runningMean: Tensor, runningVar: Tensor,
                                                 training: Bool, momentum: Float = 0.1, eps: Float = 1e-5,
                                                 activation: NormActivation, dropout p: Float, dropoutTraining: Bool,
                                                 rng: RandomSource, paddingMask: Tensor? = nil) -> Tensor {
        let g = conv2dGeometry(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
        let inputs = [self, weight, bnWeight, bnBias] + (bias.map { [$0] } ?? [])
        guard Tensor.convolvesPlaneByPlane(g, inputs: inputs, training: training, dropout: p, dropoutTraining: dropoutTraining,
                                           activation: activation, paddingMask: paddingMask) else {
            return conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
                .batchNormActivationDropout(weight: bnWeight, bias: bnBias, runningMean: runningMean, runningVar: runningVar,
                                            training: training, momentum: momentum, eps: eps, activation: activation,
                                            dropout: p, dropoutTraining: dropoutTraining, rng: rng, paddingMask: paddingMask)
        }
        checkArgument(p >= 0 && p < 1, "conv2dBatchNormActivationDropout: dropout probability \(p) not in [0, 1)")
        for t in [bnWeight, bnBias, runningMean, runningVar] {
            checkArgument(t.shape == [g.o], "conv2dBatchNormActivationDropout: batch-norm parameter of shape \(t.shape) for \(g.o) output channels")
        }
        if let mask = paddingMask {
            checkArgument(mask.rank == 2 && mask.shape == [g.n, g.outH],
                          "conv2dBatchNormActivationDropout: mask of shape \(mask.shape) does not fit output frames (\(g.n), \(g.outH))")
        }
        let plane = g.outH * g.outW
        let stats = batchNormStatistics(ChannelLayout(outer: g.n, channels: g.o, inner: plane), weight: bnWeight, bias: bnBias,
                                        runningMean: runningMean, runningVar: runningVar, training: false, momentum: momentum, eps: eps)
        let out = Tensor.empty([g.n, g.o, g.outH, g.outW])
        oneChannelColumnConvForward(self, weight, bias, out, g) { planeOut, scratch, channel in
            let (a, b) = stats.affine(channel)
            switch activation {
            case .gelu: ck_affine_gelu_forward(scratch, a, b, nil, 1, planeOut, plane)
            case .relu: ck_affine_relu_dropout_forward(scratch, a, b, nil, 1, planeOut, plane)
            case .identity: preconditionFailure("identity takes the two ops")
            }
        }
        return out
    }

    /// Whether `conv2dBatchNormActivationDropout` takes its evaluation path for these arguments.
    static func convolvesPlaneByPlane(_ g: ConvGeometry, inputs: [Tensor], training: Bool, dropout p: Float, dropoutTraining: Bool,
                                      activation: NormActivation, paddingMask: Tensor?) -> Bool {
        let padded = paddingMask.map { m in (0..<m.count).contains { m.storage.pointer[$0] == 0 } } ?? false
        return !training && (!dropoutTraining || p == 0) && !padded && activation != .identity && g.isColumnKernel && g.c == 1
            && !Tensor.recordsGradient(from: inputs)
    }
}
