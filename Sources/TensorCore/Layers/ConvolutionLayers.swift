/// `nn.Conv2d`: weight (out, in, kh, kw), bias (out).
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public var isTraining = true

    public init(_ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), bias: Bool = true, rng: RandomSource) {
        let fanIn = inChannels * kernel.0 * kernel.1
        weight = Initializer.parameter(Initializer.fanInUniform([outChannels, inChannels, kernel.0, kernel.1], fanIn: fanIn, rng: rng))
        self.bias = bias ? Initializer.parameter(Initializer.fanInUniform([outChannels], fanIn: fanIn, rng: rng)) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    public var ownParameters: [(String, Tensor)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
    }
}

/// `nn.Conv1d`: weight (out, in, k), bias (out).
public final class Conv1d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int
    public var isTraining = true

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, bias: Bool = true, rng: RandomSource) {
        let fanIn = inChannels * kernel
        weight = Initializer.parameter(Initializer.fanInUniform([outChannels, inChannels, kernel], fanIn: fanIn, rng: rng))
        self.bias = bias ? Initializer.parameter(Initializer.fanInUniform([outChannels], fanIn: fanIn, rng: rng)) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    public var ownParameters: [(String, Tensor)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv1d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
    }
}
