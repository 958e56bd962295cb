/// Sum, mean and max over axes.
extension Tensor {
    /// Sum of every element (a scalar of shape []).
    public func sum() -> Tensor {
        reshaped([count]).sum(axis: 0)
    }

    public func mean() -> Tensor {
        sum() * (1 / Float(Swift.max(count, 1)))
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxis(axis, rank: rank, op: "sum")
        let (outer, length, inner) = axisGeometry(shape, ax)
        var outShape = shape
        if keepDims { outShape[ax] = 1 } else { outShape.remove(at: ax) }
        let out = Tensor.empty(outShape)
        sumAxisKernel(storage.pointer, out.storage.pointer, outer: outer, length: length, inner: inner)
        let inShape = shape
        var keptShape = shape
        keptShape[ax] = 1
        return out.recorded(from: [self]) { g in
            // Broadcast the gradient back along the reduced axis.
            let expanded = Tensor(zeros: inShape)
            binaryKernel(AddFunction.self, expanded, g.reshaped(keptShape), into: expanded)
            return [expanded]
        }
    }

    /// Sum over several axes.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let sorted = Set(axes.map { normalizedAxis($0, rank: rank, op: "sum") }).sorted(by: >)
        var t = self
        for ax in sorted { t = t.sum(axis: ax, keepDims: keepDims) }
        return t
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxis(axis, rank: rank, op: "mean")
        return sum(axis: ax, keepDims: keepDims) * (1 / Float(Swift.max(shape[ax], 1)))
    }

    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = Set(axes.map { normalizedAxis($0, rank: rank, op: "mean") }).reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Maximum over one axis; the gradient flows to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxis(axis, rank: rank, op: "max")
        checkArgument(shape[ax] > 0, "max: empty axis \(ax) of \(shape)")
        let (outer, length, inner) = axisGeometry(shape, ax)
        var outShape = shape
        if keepDims { outShape[ax] = 1 } else { outShape.remove(at: ax) }
        let out = Tensor.empty(outShape)
        var index = [Int32](repeating: 0, count: outer * inner)
        index.withUnsafeMutableBufferPointer {
            maxAxisKernel(storage.pointer, out.storage.pointer, $0.baseAddress!, outer: outer, length: length, inner: inner)
        }
        let inShape = shape
        return out.recorded(from: [self]) { g in
            let gx = Tensor(zeros: inShape)
            let pg = g.storage.pointer, px = gx.storage.pointer
            for o in 0..<outer {
                for i in 0..<inner {
                    px[(o * length + Int(index[o * inner + i])) * inner + i] = pg[o * inner + i]
                }
            }
            return [gx]
        }
    }
}
