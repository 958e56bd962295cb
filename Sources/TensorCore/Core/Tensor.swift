import Synchronization

/// A float32 n-dimensional array in row-major order, optionally tracked by reverse-mode autodiff.
///
/// Tensors are immutable values as far as autodiff is concerned: every op returns a new tensor. The only
/// in-place writers are optimizers and state loading, which work on parameters outside any recorded graph.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let storage: Storage
    /// Set on parameters; ops on tensors that require gradients are recorded when gradients are enabled.
    public var requiresGrad: Bool
    /// The accumulated gradient after `backward()`, for tensors that require gradients and have no producer.
    public var grad: Tensor?
    /// The op that produced this tensor, while the graph is alive.
    var node: Node?

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        checkArgument(shape.reduce(1, *) == storage.count,
                     "Tensor: shape \(shape) does not match \(storage.count) elements")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
        storage.viewers.add(1, ordering: .relaxed)
    }

    deinit {
        storage.viewers.subtract(1, ordering: .relaxed)
    }

    /// True when this tensor is the only one viewing its buffer.
    var isOnlyViewOfStorage: Bool { storage.viewers.load(ordering: .relaxed) == 1 }

    /// Uninitialised tensor for kernels that overwrite every element.
    static func empty(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: Storage(count: shapeCount(shape)))
    }

    public convenience init(zeros shape: [Int]) {
        self.init(shape: shape, storage: Storage(repeating: 0, count: shapeCount(shape)))
    }

    public convenience init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, storage: Storage(repeating: value, count: shapeCount(shape)))
    }

    public convenience init(_ values: [Float], shape: [Int]) {
        let n = shapeCount(shape)
        checkArgument(values.count == n,
                     "Tensor(values:shape:): \(values.count) values for shape \(shape) (\(n) elements)")
        let storage = Storage(count: n)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: n) }
        self.init(shape: shape, storage: storage)
    }

    /// Sequences of rows stacked into (count, longest, width), zero after each sequence's end: the
    /// padded batch. Written in one pass into a pooled buffer (only the padding is cleared), so a batch
    /// costs one copy of its frames and no fresh pages.
    public static func padded(_ sequences: [[Float]], width: Int) -> Tensor {
        checkRows(sequences, width: width, op: "Tensor.padded")
        let longest = sequences.map { $0.count / width }.max()!
        let t = Tensor.empty([sequences.count, longest, width])
        let rowValues = longest * width, base = t.storage.pointer
        let streaming = t.count * MemoryLayout<Float>.stride >= streamingCopyBytes
        // Sequences copied in parallel: a batch of 128 small-width videos is 67 MB.
        parallelChunks(sequences.count, grain: Swift.max(1, 262_144 / Swift.max(rowValues, 1))) { first, last in
            for b in first..<last {
                let start = base + b * rowValues, s = sequences[b]
                s.withUnsafeBufferPointer {
                    if let from = $0.baseAddress { copyValues(start, from: from, count: s.count, streaming: streaming) }
                }
                (start + s.count).update(repeating: 0, count: rowValues - s.count)
            }
        }
        return t
    }

    /// Sequences of rows end to end as (1, total rows, width): the packed batch, one copy into a pooled
    /// buffer.
    public static func packed(_ sequences: [[Float]], width: Int) -> Tensor {
        checkRows(sequences, width: width, op: "Tensor.packed")
        var offsets = [0]
        for s in sequences { offsets.append(offsets[offsets.count - 1] + s.count) }
        let t = Tensor.empty([1, offsets[sequences.count] / width, width])
        let base = t.storage.pointer
        let streaming = t.count * MemoryLayout<Float>.stride >= streamingCopyBytes
        // Sequences copied in parallel, each to its own place.
        parallelChunks(sequences.count, grain: Swift.max(1, 262_144 * sequences.count / Swift.max(offsets[sequences.count], 1))) { first, last in
            for i in first..<last {
                sequences[i].withUnsafeBufferPointer {
                    if let from = $0.baseAddress { copyValues(base + offsets[i], from: from, count: $0.count, streaming: streaming) }
                }
            }
        }
        return t
    }

    /// At least one sequence, each whole rows of `width` values.
    private static func checkRows(_ sequences: [[Float]], width: Int, op: String) {
        checkArgument(!sequences.isEmpty && width > 0, "\(op): \(sequences.count) sequences of width \(width)")
        for (i, s) in sequences.enumerated() {
            checkArgument(s.count % width == 0, "\(op): sequence \(i) holds \(s.count) values, not rows of \(width)")
        }
    }

    public convenience init(scalar: Float) {
        self.init([scalar], shape: [])
    }

    /// Uniform in [low, high).
    public static func uniform(_ shape: [Int], low: Float, high: Float, rng: inout SeededGenerator) -> Tensor {
        let t = Tensor.empty(shape)
        let p = t.storage.pointer
        for i in 0..<t.count { p[i] = rng.uniform(low, high) }
        return t
    }

    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout SeededGenerator) -> Tensor {
        let t = Tensor.empty(shape)
        let p = t.storage.pointer
        for i in 0..<t.count { p[i] = mean + std * Float(rng.normal()) }
        return t
    }

    /// A copy of the elements, in row-major order.
    public var values: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a one-element tensor.
    public var item: Float {
        checkArgument(count == 1, "Tensor.item: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// Overwrites the elements in place (parameters, loading), leaving the graph untouched.
    public func assign(_ values: [Float]) {
        checkArgument(values.count == count, "Tensor.assign: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: count) }
    }

    public func assign(from other: Tensor) {
        checkArgument(other.shape == shape, "Tensor.assign(from:): shape \(other.shape) into \(shape)")
        storage.pointer.update(from: other.storage.pointer, count: count)
    }

    /// A tensor with the same values that is not part of any graph.
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// A deep copy, not part of any graph.
    public func copy() -> Tensor {
        let t = Tensor.empty(shape)
        t.storage.pointer.update(from: storage.pointer, count: count)
        return t
    }

    public var description: String {
        let shown = values.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), values: [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}

@inline(__always)
func shapeCount(_ shape: [Int]) -> Int {
    var n = 1
    for d in shape {
        checkArgument(d >= 0, "negative dimension in shape \(shape)")
        n *= d
    }
    return n
}

extension Tensor {
    /// Direct access to the elements on the CPU, for interop and benchmarks against raw BLAS. Models and
    /// layers never use this: they go through ops.
    public func withUnsafeBuffer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    public func withUnsafeMutableBuffer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }
}
