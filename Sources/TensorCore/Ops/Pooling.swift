/// Max and average pooling over (N, C, H, W) with PyTorch's window rules, and adaptive average pooling.
/// Loops rather than sgemm: only the `paper` variants pool, on small maps.
extension Tensor {
    /// Output length of a pooling window along one axis, as PyTorch: floor division (a window longer than
    /// the padded input gives 0 or less, which the ops reject); ceil mode adds a last partial window but
    /// drops it when it would start in the right padding.
    public static func pooledLength(_ length: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
        let span = length + 2 * padding - kernel + (ceilMode ? stride - 1 : 0)
        var out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1
        if ceilMode && out > 0 && (out - 1) * stride >= length + padding { out -= 1 }
        return out
    }

    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          ceilMode: Bool = false) -> Tensor {
        pool2d(kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode, average: false)
    }

    /// Average pooling with `count_include_pad = True` (PyTorch's default): the divisor counts padding
    /// inside the padded extent but not the part of a ceil-mode window beyond it.
    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          ceilMode: Bool = false) -> Tensor {
        pool2d(kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode, average: true)
    }

    private func pool2d(kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), ceilMode: Bool, average: Bool) -> Tensor {
        let op = average ? "avgPool2d" : "maxPool2d"
        checkArgument(rank == 4, "\(op): needs (N, C, H, W), got \(shape)")
        checkArgument(kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0 && padding.0 >= 0 && padding.1 >= 0,
                      "\(op): kernel \(kernel), stride \(stride) and padding \(padding) must be positive (padding >= 0)")
        checkArgument(2 * padding.0 <= kernel.0 && 2 * padding.1 <= kernel.1,
                      "\(op): padding \(padding) must be at most half the kernel \(kernel)")
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let oh = Tensor.pooledLength(h, kernel: kernel.0, stride: stride.0, padding: padding.0, ceilMode: ceilMode)
        let ow = Tensor.pooledLength(w, kernel: kernel.1, stride: stride.1, padding: padding.1, ceilMode: ceilMode)
        checkArgument(oh > 0 && ow > 0,
                      "\(op): input \(shape) too small for kernel \(kernel) with stride \(stride), padding \(padding) (output \(oh) x \(ow))")
        let rows = PoolWindows(length: h, outputs: oh, kernel: kernel.0, stride: stride.0, padding: padding.0)
        let cols = PoolWindows(length: w, outputs: ow, kernel: kernel.1, stride: stride.1, padding: padding.1)
        let planes = n * c, out = Tensor.empty([n, c, oh, ow]), inShape = shape
        if average {
            avgPoolKernel(storage.pointer, out.storage.pointer, planes: planes, h: h, w: w, rows: rows, cols: cols, backward: false)
            return out.recorded(from: [self]) { g in
                let gx = Tensor.empty(inShape)
                avgPoolKernel(g.storage.pointer, gx.storage.pointer, planes: planes, h: h, w: w, rows: rows, cols: cols, backward: true)
                return [gx]
            }
        }
        let argmax = PoolIndices(count: out.count)
        maxPoolKernel(storage.pointer, out.storage.pointer, argmax.pointer, planes: planes, h: h, w: w, rows: rows, cols: cols,
                      kernelW: kernel.1, strideW: stride.1, padW: padding.1)
        return out.recorded(from: [self]) { g in
            let gx = Tensor.empty(inShape)
            maxPoolBackwardKernel(g.storage.pointer, argmax.pointer, gx.storage.pointer, planes: planes, inPlane: h * w,
                                  outPlane: oh * ow)
            return [gx]
        }
    }

    /// Adaptive average pooling of (N, C, H, W) to (N, C, outH, outW): output i averages input rows
    /// floor(i H / outH) ..< ceil((i + 1) H / outH), likewise for columns, so the output may be smaller
    /// than the input (overlapping windows) or larger (rows repeat; CSTA's paper variant enlarges the few
    /// rows of its trunk to the video's length). Separable: columns are averaged first, then rows; an axis
    /// whose size does not change is left alone. Cost is linear in the input and output sizes.
    public func adaptiveAvgPool2d(_ outH: Int, _ outW: Int) -> Tensor {
        checkArgument(rank == 4 && outH > 0 && outW > 0 && shape[2] > 0 && shape[3] > 0,
                      "adaptiveAvgPool2d: needs (N, C, H, W) and a positive size, got \(shape) -> (\(outH), \(outW))")
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let byCols = w == outW ? self : windowMean(outer: n * c * h, length: w, inner: 1, outputs: outW)
        let byRows = h == outH ? byCols : byCols.windowMean(outer: n * c, length: h, inner: outW, outputs: outH)
        return byRows.reshaped([n, c, outH, outW])
    }

    /// Adaptive window means along the middle axis of self viewed as (outer, length, inner).
    private func windowMean(outer: Int, length: Int, inner: Int, outputs: Int) -> Tensor {
        let windows = PoolWindows(adaptiveLength: length, outputs: outputs)
        let out = Tensor.empty([outer, outputs, inner]), inShape = shape
        windowMeanKernel(storage.pointer, out.storage.pointer, outer: outer, length: length, inner: inner, windows: windows)
        return out.recorded(from: [self]) { g in
            let gx = Tensor.empty(inShape)
            windowMeanBackwardKernel(g.storage.pointer, gx.storage.pointer, outer: outer, length: length, inner: inner,
                                     windows: windows)
            return [gx]
        }
    }
}
