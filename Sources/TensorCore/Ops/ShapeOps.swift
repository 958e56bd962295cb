/// Reshape (a view), permute, slice, concat and split.
extension Tensor {
    /// The same elements under a new shape (one axis may be -1). Shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var dims = newShape
        if let inferred = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            checkArgument(known > 0 && count % known == 0, "reshape: cannot reshape \(shape) into \(newShape)")
            dims[inferred] = count / known
        }
        checkArgument(dims.reduce(1, *) == count, "reshape: cannot reshape \(shape) (\(count) elements) into \(newShape)")
        let oldShape = shape
        return Tensor(shape: dims, storage: storage).recorded(from: [self]) { g in [g.reshaped(oldShape)] }
    }

    /// Axes reordered: output axis i is input axis `order[i]`. Copies.
    public func permuted(_ order: [Int]) -> Tensor {
        checkArgument(order.count == rank && Set(order) == Set(0..<rank),
                     "permute: \(order) is not a permutation of the axes of \(shape)")
        let outShape = order.map { shape[$0] }
        let inStrides = contiguousStrides(shape)
        let out = Tensor.empty(outShape)
        stridedCopyKernel(shape: outShape, src: storage.pointer, srcStrides: order.map { inStrides[$0] },
                          dst: out.storage.pointer, dstStrides: contiguousStrides(outShape))
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return out.recorded(from: [self]) { g in [g.permuted(inverse)] }
    }

    /// Swaps two axes (a copy).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizedAxis(a, rank: rank, op: "transpose"), normalizedAxis(b, rank: rank, op: "transpose"))
        return permuted(order)
    }

    /// Elements `start ..< start + length` along `axis` (a copy).
    public func slice(axis: Int, start: Int, length: Int) -> Tensor {
        let ax = normalizedAxis(axis, rank: rank, op: "slice")
        checkArgument(start >= 0 && length >= 0 && start + length <= shape[ax],
                     "slice: range \(start)..<\(start + length) out of bounds for axis \(ax) of \(shape)")
        var outShape = shape
        outShape[ax] = length
        let strides = contiguousStrides(shape)
        let out = Tensor.empty(outShape)
        stridedCopyKernel(shape: outShape, src: storage.pointer + start * strides[ax], srcStrides: strides,
                          dst: out.storage.pointer, dstStrides: contiguousStrides(outShape))
        let inShape = shape
        return out.recorded(from: [self]) { g in
            let gx = Tensor(zeros: inShape)
            stridedCopyKernel(shape: outShape, src: g.storage.pointer, srcStrides: contiguousStrides(outShape),
                              dst: gx.storage.pointer + start * strides[ax], dstStrides: strides)
            return [gx]
        }
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(axis: Int, sizes: [Int]) -> [Tensor] {
        let ax = normalizedAxis(axis, rank: rank, op: "split")
        checkArgument(sizes.reduce(0, +) == shape[ax], "split: sizes \(sizes) do not add up to axis \(ax) of \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(axis: ax, start: start, length: size)
        }
    }

    /// Joins tensors along `axis`; all other axes must match.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        checkArgument(!tensors.isEmpty, "concat: no tensors")
        let first = tensors[0]
        let ax = normalizedAxis(axis, rank: first.rank, op: "concat")
        for t in tensors {
            checkArgument(t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == ax || t.shape[$0] == first.shape[$0] },
                         "concat: shapes \(tensors.map(\.shape)) differ outside axis \(ax)")
        }
        var outShape = first.shape
        outShape[ax] = tensors.reduce(0) { $0 + $1.shape[ax] }
        let out = Tensor.empty(outShape)
        let outStrides = contiguousStrides(outShape)
        var offset = 0
        for t in tensors {
            stridedCopyKernel(shape: t.shape, src: t.storage.pointer, srcStrides: contiguousStrides(t.shape),
                              dst: out.storage.pointer + offset * outStrides[ax], dstStrides: outStrides)
            offset += t.shape[ax]
        }
        let sizes = tensors.map { $0.shape[ax] }
        return out.recorded(from: tensors) { g in
            var start = 0
            return sizes.enumerated().map { i, size in
                defer { start += size }
                return tensors[i].needsGrad ? g.slice(axis: ax, start: start, length: size) : nil
            }
        }
    }
}
