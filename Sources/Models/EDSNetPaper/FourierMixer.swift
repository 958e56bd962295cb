import TensorCore

/// The official `FNet_layer` with orientation 'paper' (`modules/frequency_inspired/fourier_attention.py`):
/// y = LN_a(Re(fft_time(fft_feat(x))) + x), out = LN_b(Dropout(ReLU(Linear(y))) + y).
/// Keys: `layernorm` (LN_b), `fc.0` (the Linear), `fft_skip.layernorm` (LN_a), in the official order.
final class FourierMixer: Module {
    let outputNorm: LayerNorm
    let linear: Linear
    let skipNorm: LayerNorm
    let dropout: Dropout
    var isTraining = true

    init(width: Int, dropout p: Float, rng: RandomSource, dropoutRNG: RandomSource) {
        outputNorm = LayerNorm(width)
        linear = paperLinear(width, width, rng: rng)
        skipNorm = LayerNorm(width)
        dropout = Dropout(p, rng: dropoutRNG)
    }

    var children: [(String, any Module)] {
        [("layernorm", outputNorm), ("fc.0", linear), ("fft_skip.layernorm", skipNorm), ("dropout", dropout)]
    }

    /// x (T, F) -> (T, F). The 2-d transform runs over features then time, as the official code does;
    /// its real part does not depend on the order.
    func callAsFunction(_ x: Tensor) -> Tensor {
        let y = skipNorm(x.realPartOfDFT(axes: [1, 0]) + x)
        return outputNorm(dropout(reluOf: linear(y)) + y)
    }

    func flopsPerFrame(width: Int) -> Double { 2 * Double(width) * Double(width) }
}

/// A Linear with the official initialisation (`xavier_init` in `anchor_based/train.py`): weight
/// xavier-uniform with gain sqrt(2), bias 0.1.
func paperLinear(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: RandomSource) -> Linear {
    let layer = Linear(inFeatures, outFeatures, bias: bias, rng: rng)
    paperInitialise(layer.weight, bias: layer.bias, rng: rng)
    return layer
}

func paperInitialise(_ weight: Tensor, bias: Tensor?, rng: RandomSource) {
    weight.assign(from: Initializer.xavierUniform(weight.shape, gain: Float(2).squareRoot(), rng: rng))
    bias?.assign([Float](repeating: 0.1, count: bias!.count))
}
