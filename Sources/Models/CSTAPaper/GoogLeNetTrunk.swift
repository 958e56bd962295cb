import Foundation
import TensorCore

/// torchvision's GoogLeNet without its auxiliary heads, as the official CSTA code uses it
/// (`GoogleNet_Att`): conv1 7x7/2, max pool 3/2, conv2 1x1, conv3 3x3, max pool 3/2, inception 3a-3b,
/// max pool 3/2, 4a-4e, max pool 2/2, 5a-5b, every pool in ceil mode. Maps the key image (1, 3, H, W)
/// to (1, C, h, w) with h about H / 32; the adaptive pool that follows lives in the model. `fc`
/// (C -> 1000) is part of the state (ImageNet checkpoints carry it) but never used.
final class GoogLeNetTrunk: Module {
    /// torchvision's inception widths (ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj), by block.
    static let inceptionWidths: [(String, [Int])] = [
        ("inception3a", [64, 96, 128, 16, 32, 32]),
        ("inception3b", [128, 128, 192, 32, 96, 64]),
        ("inception4a", [192, 96, 208, 16, 48, 64]),
        ("inception4b", [160, 112, 224, 24, 64, 64]),
        ("inception4c", [128, 128, 256, 24, 64, 64]),
        ("inception4d", [112, 144, 288, 32, 64, 64]),
        ("inception4e", [256, 160, 320, 32, 128, 128]),
        ("inception5a", [256, 160, 320, 32, 128, 128]),
        ("inception5b", [384, 192, 384, 48, 128, 128]),
    ]

    let conv1: BasicConv2d, conv2: BasicConv2d, conv3: BasicConv2d
    let inceptions: [(String, Inception)]
    let fc: Linear
    var isTraining = true
    let pool3x3 = MaxPool2d(kernel: (3, 3), stride: (2, 2), ceilMode: true)
    let pool2x2 = MaxPool2d(kernel: (2, 2), stride: (2, 2), ceilMode: true)

    init(config: CSTAPaper.Config, rng: RandomSource) {
        let s = config.scaled
        conv1 = BasicConv2d(3, s(64), kernel: 7, stride: 2, padding: 3, rng: rng)
        conv2 = BasicConv2d(s(64), s(64), kernel: 1, rng: rng)
        conv3 = BasicConv2d(s(64), s(192), kernel: 3, padding: 1, rng: rng)
        var channels = s(192)
        var blocks: [(String, Inception)] = []
        for (name, widths) in Self.inceptionWidths {
            let block = Inception(channels, widths.map(s), rng: rng)
            blocks.append((name, block))
            channels = block.outChannels
        }
        inceptions = blocks
        fc = Linear(channels, 1000, rng: rng)
    }

    /// Channels of the trunk's output (inception5b's), 1024 at published width.
    var outChannels: Int { inceptions[inceptions.count - 1].1.outChannels }

    var children: [(String, any Module)] {
        [("conv1", conv1), ("conv2", conv2), ("conv3", conv3)] + inceptions.map { ($0.0, $0.1 as any Module) } + [("fc", fc)]
    }

    /// (1, 3, H, W) -> (1, C, h, w).
    func callAsFunction(_ x: Tensor) -> Tensor {
        var y = pool3x3(conv1(x))
        y = pool3x3(conv3(conv2(y)))
        for (index, (_, block)) in inceptions.enumerated() {
            y = block(y)
            if index == 1 { y = pool3x3(y) }        // after 3b
            if index == 6 { y = pool2x2(y) }        // after 4e
        }
        return y
    }

    /// The output height and width, and the FLOPs of every convolution, for an H x W input: the same
    /// walk as the forward pass, on sizes only.
    func walk(height: Int, width: Int) -> (h: Int, w: Int, flops: Double) {
        func pool(_ size: (Int, Int), _ p: MaxPool2d) -> (Int, Int) { p.outputSize(size.0, size.1) }
        var size = (height, width), flops = 0.0
        for conv in [conv1, conv2, conv3] {
            flops += conv.flops(size.0, size.1)
            size = conv.outputSize(size.0, size.1)
            if conv === conv1 || conv === conv3 { size = pool(size, pool3x3) }
        }
        for (index, (_, block)) in inceptions.enumerated() {
            flops += block.flops(size.0, size.1)
            if index == 1 { size = pool(size, pool3x3) }
            if index == 6 { size = pool(size, pool2x2) }
        }
        return (size.0, size.1, flops)
    }

    /// Loads torchvision-named GoogLeNet weights (`conv1.conv.weight`, ..., `fc.bias`, as
    /// `torchvision.models.googlenet(...).state_dict()` names them) from a safetensors file. The
    /// auxiliary classifiers' `aux1.*` / `aux2.*` entries are dropped, as the official code drops them;
    /// every other trunk key must be present with its shape.
    func loadTorchvisionWeights(from url: URL) throws {
        let entries: [String: (shape: [Int], values: [Float])]
        do {
            let (tensors, _) = try SafeTensors.load(from: url)
            entries = tensors.filter { !$0.key.hasPrefix("aux1.") && !$0.key.hasPrefix("aux2.") }
                .mapValues { (shape: $0.shape, values: $0.values) }
        } catch {
            throw CSTAPaperError.trunkWeights(path: url.path, reason: "\(error)")
        }
        do {
            try loadState(entries)
        } catch {
            throw CSTAPaperError.trunkWeights(path: url.path, reason: "\(error)")
        }
    }
}
