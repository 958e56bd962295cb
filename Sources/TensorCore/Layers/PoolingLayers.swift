/// `nn.MaxPool2d`: no state, but a layer so it can hold its index in a `Sequential` (GoogLeNet's
/// inception branch 4 is `Sequential(MaxPool2d, BasicConv2d)`, keys `branch4.1.*`).
public final class MaxPool2d: Layer {
    public let kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)
    public let ceilMode: Bool
    public var isTraining = true

    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), ceilMode: Bool = false) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.ceilMode = ceilMode
    }

    /// The output height and width for an h x w input (0 or less: too small, which the op refuses).
    public func outputSize(_ h: Int, _ w: Int) -> (Int, Int) {
        (Tensor.pooledLength(h, kernel: kernel.0, stride: stride.0, padding: padding.0, ceilMode: ceilMode),
         Tensor.pooledLength(w, kernel: kernel.1, stride: stride.1, padding: padding.1, ceilMode: ceilMode))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }
}
