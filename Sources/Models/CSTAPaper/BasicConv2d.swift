import TensorCore

/// torchvision's `BasicConv2d`: Conv2d without bias, BatchNorm2d with eps 1e-3, ReLU.
final class BasicConv2d: Layer {
    let conv: Conv2d
    let bn: BatchNorm
    var isTraining = true

    init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, rng: RandomSource) {
        conv = Conv2d(inChannels, outChannels, kernel: (kernel, kernel), stride: (stride, stride),
                      padding: (padding, padding), bias: false, rng: rng)
        bn = BatchNorm(outChannels, eps: 1e-3)
    }

    var children: [(String, any Module)] { [("conv", conv), ("bn", bn)] }

    func callAsFunction(_ x: Tensor) -> Tensor { bn(conv(x)).relu() }

    var outChannels: Int { conv.weight.shape[0] }

    /// Output height and width for an input of h x w.
    func outputSize(_ h: Int, _ w: Int) -> (Int, Int) {
        let k = conv.weight.shape[2], s = conv.stride.0, p = conv.padding.0
        return ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
    }

    /// Multiply-add FLOPs (2 each) of the convolution on an h x w input, as the direct convolution does them.
    func flops(_ h: Int, _ w: Int) -> Double {
        let (oh, ow) = outputSize(h, w)
        return 2 * Double(conv.weight.count) * Double(oh * ow)
    }
}
