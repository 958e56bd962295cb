/// y = x Wᵀ + b over the last axis, W of shape (out, in) as PyTorch's `nn.Linear`.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public var isTraining = true

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: RandomSource) {
        weight = Initializer.parameter(Initializer.fanInUniform([outFeatures, inFeatures], fanIn: inFeatures, rng: rng))
        self.bias = bias ? Initializer.parameter(Initializer.fanInUniform([outFeatures], fanIn: inFeatures, rng: rng)) : nil
    }

    public var ownParameters: [(String, Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight: weight, bias: bias) }
}

extension Tensor {
    /// x (..., in) x weight (out, in)ᵀ + bias (out).
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        checkArgument(weight.rank == 2 && shape.last == weight.shape[1],
                     "linear: input \(shape) does not fit weight \(weight.shape)")
        let y = rank == 2 ? matmul(weight, transposeOther: true)
                          : reshaped([-1, weight.shape[1]]).matmul(weight, transposeOther: true)
                              .reshaped(Array(shape.dropLast()) + [weight.shape[0]])
        return bias.map { y + $0 } ?? y
    }
}
