/// A tensor as stored in a safetensors file, widened to Float32, independent of the `Tensor` type.
public struct TensorRecord: Sendable, Equatable {
    public var shape: [Int]
    /// Row-major values; `values.count` is the product of `shape` (1 for a scalar, shape `[]`).
    public var values: [Float]
    /// The dtype the values were stored as in the file they were loaded from (`.f32` when made in memory).
    public var sourceDType: SafeTensorsDType

    public init(shape: [Int], values: [Float], sourceDType: SafeTensorsDType = .f32) {
        self.shape = shape
        self.values = values
        self.sourceDType = sourceDType
    }
}
