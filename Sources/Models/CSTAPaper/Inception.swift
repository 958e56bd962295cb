import TensorCore

/// GoogLeNet's inception block as torchvision builds it: four branches concatenated along channels.
/// Branch 3 is torchvision's "5x5" branch, which is a 3x3 convolution (a known quirk kept by the
/// official CSTA code, whose ImageNet weights have that shape); branch 4 max-pools 3/1 with padding 1
/// in ceil mode before its 1x1 convolution, so the pool holds index 0 of its Sequential.
final class Inception: Layer {
    let branch1: BasicConv2d
    let branch2: Sequential, branch3: Sequential, branch4: Sequential
    let reduce3: BasicConv2d, conv3: BasicConv2d, reduce5: BasicConv2d, conv5: BasicConv2d, poolProjection: BasicConv2d
    var isTraining = true

    /// Widths as torchvision lists them: ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj.
    init(_ inChannels: Int, _ widths: [Int], rng: RandomSource) {
        checkArgument(widths.count == 6, "inception: needs six widths, got \(widths)")
        branch1 = BasicConv2d(inChannels, widths[0], kernel: 1, rng: rng)
        reduce3 = BasicConv2d(inChannels, widths[1], kernel: 1, rng: rng)
        conv3 = BasicConv2d(widths[1], widths[2], kernel: 3, padding: 1, rng: rng)
        reduce5 = BasicConv2d(inChannels, widths[3], kernel: 1, rng: rng)
        conv5 = BasicConv2d(widths[3], widths[4], kernel: 3, padding: 1, rng: rng)
        poolProjection = BasicConv2d(inChannels, widths[5], kernel: 1, rng: rng)
        branch2 = Sequential(reduce3, conv3)
        branch3 = Sequential(reduce5, conv5)
        branch4 = Sequential(MaxPool2d(kernel: (3, 3), stride: (1, 1), padding: (1, 1), ceilMode: true), poolProjection)
    }

    var children: [(String, any Module)] {
        [("branch1", branch1), ("branch2", branch2), ("branch3", branch3), ("branch4", branch4)]
    }

    var outChannels: Int { branch1.outChannels + conv3.outChannels + conv5.outChannels + poolProjection.outChannels }

    func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.concat([branch1(x), branch2(x), branch3(x), branch4(x)], axis: 1)
    }

    /// FLOPs of the six convolutions on an h x w input (every branch keeps the size).
    func flops(_ h: Int, _ w: Int) -> Double {
        [branch1, reduce3, conv3, reduce5, conv5, poolProjection].reduce(0) { $0 + $1.flops(h, w) }
    }
}
