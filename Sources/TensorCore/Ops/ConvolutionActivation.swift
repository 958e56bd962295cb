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
        checkArgument(p >= 0 && p < 1, "conv2dBatchNormActivationDropout: dropout probability \(p) not in [0, 1)")
        let inputs = [self, weight, bnWeight, bnBias] + (bias.map { [$0] } ?? [])
        guard Tensor.convolvesPlaneByPlane(g, inputs: inputs, training: training, dropout: p, dropoutTraining: dropoutTraining,
                                           activation: activation, paddingMask: paddingMask) else {
            return conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
                .batchNormActivationDropout(weight: bnWeight, bias: bnBias, runningMean: runningMean, runningVar: runningVar,
                                            training: training, momentum: momentum, eps: eps, activation: activation,
                                            dropout: p, dropoutTraining: dropoutTraining, rng: rng, paddingMask: paddingMask)
        }
        if let mask = paddingMask {
            checkArgument(mask.rank == 2 && mask.shape == [g.n, g.outH],
                          "conv2dBatchNormActivationDropout: mask of shape \(mask.shape) does not fit output frames (\(g.n), \(g.outH))")
        }
        let stats = evaluationBatchNorm("conv2dBatchNormActivationDropout", g, weight: bnWeight, bias: bnBias,
                                        runningMean: runningMean, runningVar: runningVar, momentum: momentum, eps: eps)
        let kernel = activation.affineDropoutKernel!, plane = g.outH * g.outW
        let out = Tensor.empty([g.n, g.o, g.outH, g.outW])
        oneChannelColumnConvForward(self, weight, bias, out, g) { planeOut, scratch, channel in
            let (a, b) = stats.affine(channel)
            kernel(scratch, a, b, nil, 1, planeOut, plane)
        }
        return out
    }

    /// Whether `conv2dBatchNormActivationDropout` takes its evaluation path for these arguments.
    static func convolvesPlaneByPlane(_ g: ConvGeometry, inputs: [Tensor], training: Bool, dropout p: Float, dropoutTraining: Bool,
                                      activation: NormActivation, paddingMask: Tensor?) -> Bool {
        let padded = paddingMask.map { m in (0..<m.count).contains { m.storage.pointer[$0] == 0 } } ?? false
        return !padded && activation.affineDropoutKernel != nil && g.isColumnKernel && g.c == 1
            && evaluatesWithoutGradients(inputs, training: training, dropout: p, dropoutTraining: dropoutTraining)
    }
}

/// What the convolution + batch norm ops' evaluation paths share.
extension Tensor {
    /// Whether a convolution + batch norm op may take its evaluation path: running statistics, no dropout
    /// drawn and no gradient recorded, so nothing but the values is needed.
    static func evaluatesWithoutGradients(_ inputs: [Tensor], training: Bool, dropout p: Float, dropoutTraining: Bool) -> Bool {
        !training && (!dropoutTraining || p == 0) && !recordsGradient(from: inputs)
    }

    /// The running-statistics batch norm of a convolution's output channels, its parameters checked first
    /// (running statistics only: nothing of the tensor it is called on is read).
    func evaluationBatchNorm(_ op: String, _ g: ConvGeometry, weight: Tensor, bias: Tensor, runningMean: Tensor,
                             runningVar: Tensor, momentum: Float, eps: Float) -> BatchNormStatistics {
        for t in [weight, bias, runningMean, runningVar] {
            checkArgument(t.shape == [g.o], "\(op): batch-norm parameter of shape \(t.shape) for \(g.o) output channels")
        }
        return batchNormStatistics(ChannelLayout(outer: g.n, channels: g.o, inner: g.outH * g.outW), weight: weight, bias: bias,
                                   runningMean: runningMean, runningVar: runningVar, training: false, momentum: momentum, eps: eps)
    }
}
