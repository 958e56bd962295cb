/// `nn.BatchNorm1d` / `nn.BatchNorm2d` (the same over axis 1 of (N, C, ...)).
public final class BatchNorm: Module {
    public let weight: Tensor, bias: Tensor
    public let runningMean: Tensor, runningVar: Tensor
    public let momentum: Float, eps: Float
    public var isTraining = true

    public init(_ channels: Int, momentum: Float = 0.1, eps: Float = 1e-5) {
        weight = Initializer.parameter(Tensor(repeating: 1, shape: [channels]))
        bias = Initializer.parameter(Tensor(zeros: [channels]))
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(repeating: 1, shape: [channels])
        self.momentum = momentum
        self.eps = eps
    }

    public var ownParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }
    public var ownBuffers: [(String, Tensor)] { [("running_mean", runningMean), ("running_var", runningVar)] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.batchNorm(weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                    training: isTraining, momentum: momentum, eps: eps)
    }

    /// `dropout(activation(self(x))).mean(axis: -1)` as one op, for x (N, C, ..., L): see
    /// `Tensor.batchNormActivationDropoutMean`. Same values, gradients, running statistics and dropout draws
    /// as the composed layers.
    public func activationDropoutMean(_ x: Tensor, activation: NormActivation, dropout: Dropout) -> Tensor {
        x.batchNormActivationDropoutMean(weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                                         training: isTraining, momentum: momentum, eps: eps, activation: activation,
                                         dropout: dropout.p, dropoutTraining: dropout.isTraining, rng: dropout.rng)
    }
}

extension BatchNorm {
    /// `activationDropoutMean(conv(x), activation:, dropout:)` as one op
    /// (`Tensor.conv2dBatchNormActivationDropoutMean`): the same values, gradients, running statistics and
    /// dropout draws; in evaluation without gradients, a Winograd convolution's output goes block by block
    /// into the means, never written in full.
    public func activationDropoutMean(ofConvolution conv: Conv2d, _ x: Tensor, activation: NormActivation,
                                      dropout: Dropout) -> Tensor {
        x.conv2dBatchNormActivationDropoutMean(weight: conv.weight, bias: conv.bias, stride: conv.stride,
                                               padding: conv.padding, dilation: conv.dilation, bnWeight: weight,
                                               bnBias: bias, runningMean: runningMean, runningVar: runningVar,
                                               training: isTraining, momentum: momentum, eps: eps, activation: activation,
                                               dropout: dropout.p, dropoutTraining: dropout.isTraining, rng: dropout.rng)
    }

    /// `dropout(activation(self(x)))`, then the padded frames of `paddingMask` (B, T) zeroed as
    /// `zeroingPadding(mask:timeAxis: 2)`, as one op for x (B, C, T, ...): see
    /// `Tensor.batchNormActivationDropout`. Same values, gradients, running statistics and dropout draws as
    /// the composed layers.
    public func activationDropout(_ x: Tensor, activation: NormActivation, dropout: Dropout, paddingMask: Tensor? = nil) -> Tensor {
        x.batchNormActivationDropout(weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                                     training: isTraining, momentum: momentum, eps: eps, activation: activation,
                                     dropout: dropout.p, dropoutTraining: dropout.isTraining, rng: dropout.rng,
                                     paddingMask: paddingMask)
    }

    /// `activationDropout(conv(x), activation:, dropout:, paddingMask:)` as one op
    /// (`Tensor.conv2dBatchNormActivationDropout`): the same values, gradients, running statistics and
    /// dropout draws; in evaluation a one-channel (K, 1) convolution's output goes plane by plane through
    /// the activation, never written in full before it.
    public func activationDropout(ofConvolution conv: Conv2d, _ x: Tensor, activation: NormActivation, dropout: Dropout,
                                  paddingMask: Tensor? = nil) -> Tensor {
        x.conv2dBatchNormActivationDropout(weight: conv.weight, bias: conv.bias, stride: conv.stride, padding: conv.padding,
                                           dilation: conv.dilation, bnWeight: weight, bnBias: bias, runningMean: runningMean,
                                           runningVar: runningVar, training: isTraining, momentum: momentum, eps: eps,
                                           activation: activation, dropout: dropout.p, dropoutTraining: dropout.isTraining,
                                           rng: dropout.rng, paddingMask: paddingMask)
    }
}

/// `nn.LayerNorm` over the last axis, with or without the affine parameters.
public final class LayerNorm: Module {
    public let weight: Tensor?, bias: Tensor?
    public let eps: Float
    public var isTraining = true

    public init(_ width: Int, eps: Float = 1e-5, affine: Bool = true) {
        weight = affine ? Initializer.parameter(Tensor(repeating: 1, shape: [width])) : nil
        bias = affine ? Initializer.parameter(Tensor(zeros: [width])) : nil
        self.eps = eps
    }

    public var ownParameters: [(String, Tensor)] {
        guard let weight, let bias else { return [] }
        return [("weight", weight), ("bias", bias)]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight, bias: bias, eps: eps) }
}

/// `nn.Dropout` with a seeded stream.
public final class Dropout: Module {
    public let p: Float
    let rng: RandomSource
    public var isTraining = true

    public init(_ p: Float, rng: RandomSource) {
        self.p = p
        self.rng = rng
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, packed: nil) }

    /// `packed`: x holds the packed rows of these sequences (see `Tensor.dropout`).
    public func callAsFunction(_ x: Tensor, packed: PackedSequences?) -> Tensor {
        x.dropout(p, training: isTraining, rng: rng, packed: packed)
    }

    /// Dropout of `x.relu()`, fused (`Tensor.reluDropout`): the same values and draws.
    public func callAsFunction(reluOf x: Tensor, packed: PackedSequences? = nil) -> Tensor {
        x.reluDropout(p, training: isTraining, rng: rng, packed: packed)
    }

    /// Dropout of `x.gelu()`, fused (`Tensor.geluDropout`): the same values and draws.
    public func callAsFunction(geluOf x: Tensor, packed: PackedSequences? = nil) -> Tensor {
        x.geluDropout(p, training: isTraining, rng: rng, packed: packed)
    }

    /// `residual + self(y)`, fused (`Tensor.adding(dropoutOf:)`): the same values and draws.
    public func callAsFunction(_ y: Tensor, addedTo residual: Tensor, packed: PackedSequences? = nil) -> Tensor {
        residual.adding(dropoutOf: y, p, training: isTraining, rng: rng, packed: packed)
    }
}
