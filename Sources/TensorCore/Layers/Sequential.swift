/// A module that maps one tensor to one tensor, so it can take a place in a `Sequential`.
public protocol Layer: Module {
    func callAsFunction(_ x: Tensor) -> Tensor
}

extension Linear: Layer {}
extension Conv1d: Layer {}
extension Conv2d: Layer {}
extension BatchNorm: Layer {}
extension LayerNorm: Layer {}
extension Dropout: Layer {}

/// A parameter-free elementwise function as a layer (`nn.ReLU`, `nn.GELU`, `nn.Sigmoid`, `nn.Tanh`).
/// It holds no state but occupies an index in a `Sequential`, which is what keeps the numbering of the
/// following layers equal to PyTorch's (`score_net.0`, `score_net.3`, ...).
public final class Activation: Layer {
    public enum Kind: String, Sendable, CaseIterable {
        case relu, gelu, sigmoid, tanh
    }

    public let kind: Kind
    public var isTraining = true

    public init(_ kind: Kind) { self.kind = kind }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch kind {
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        case .sigmoid: return x.sigmoid()
        case .tanh: return x.tanh()
        }
    }
}

/// `nn.Sequential`: layers applied in order, registered as children "0", "1", ... so their parameters get
/// PyTorch's keys (`<name>.<index>.<parameter>`), stateless layers included in the count.
public final class Sequential: Layer {
    public let layers: [any Layer]
    public var isTraining = true

    public init(_ layers: [any Layer]) {
        checkArgument(!layers.isEmpty, "Sequential: needs at least one layer")
        self.layers = layers
    }

    public convenience init(_ layers: any Layer...) { self.init(layers) }

    public var children: [(String, any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public subscript(index: Int) -> any Layer { layers[index] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }
}
