/// PyTorch's initialisers, drawn from a seeded stream.
public enum Initializer {
    /// U(-1/sqrt(fanIn), 1/sqrt(fanIn)): PyTorch's default for Linear and Conv weights and biases.
    public static func fanInUniform(_ shape: [Int], fanIn: Int, rng: RandomSource) -> Tensor {
        let bound = 1 / Float(fanIn).squareRoot()
        return rng.withGenerator { Tensor.uniform(shape, low: -bound, high: bound, rng: &$0) }
    }

    /// Xavier (Glorot) uniform with PyTorch's fan rule: fan_in = shape[1] x receptive field,
    /// fan_out = shape[0] x receptive field.
    public static func xavierUniform(_ shape: [Int], gain: Float = 1, rng: RandomSource) -> Tensor {
        checkArgument(shape.count >= 2, "xavierUniform: needs rank >= 2, got \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        let fanIn = shape[1] * receptive, fanOut = shape[0] * receptive
        let bound = gain * (6 / Float(fanIn + fanOut)).squareRoot()
        return rng.withGenerator { Tensor.uniform(shape, low: -bound, high: bound, rng: &$0) }
    }

    public static func parameter(_ t: Tensor) -> Tensor {
        t.requiresGrad = true
        return t
    }
}
