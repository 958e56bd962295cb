import CKernels

/// 1-D and 2-D convolution (cross-correlation, as PyTorch) with stride, padding and dilation.
extension Tensor {
    /// x (N, C, H, W), weight (O, C, KH, KW), bias (O) -> (N, O, OH, OW).
    public func conv2d(weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                       dilation: (Int, Int) = (1, 1)) -> Tensor {
        let g = conv2dGeometry(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
        let out = Tensor.empty([g.n, g.o, g.outH, g.outW])
        let x = self
        let winograd = WinogradGeometry.forward(g)
        if g.isColumnKernel {
            columnConvForward(x, weight, bias, out, g)
        } else if let winograd {
            winogradConvForward(x, weight, bias, out, g, winograd)
        } else {
            im2colConvForward(x, weight, bias, out, g)
        }
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        return out.recorded(from: inputs) { gout in
            let gx = x.needsGrad ? Tensor(zeros: x.shape) : nil
            let gw = weight.needsGrad ? Tensor(zeros: weight.shape) : nil
            if g.isColumnKernel {
                columnConvBackward(x, weight, gout, gx, gw, g)
            } else if let winograd {
                if let gw { winogradConvWeightGradient(x, gout, gw, g, winograd.forWeightGradient) }
                if let gx { winogradConvInputGradient(weight, gout, gx, g) }
            } else {
                im2colConvBackward(x, weight, gout, gx, gw, g)
            }
            var grads: [Tensor?] = [gx, gw]
            if let bias {
                grads.append(bias.needsGrad ? convBiasGradient(gout, g) : nil)
            }
            return grads
        }
    }

    /// The geometry of `conv2d` on self, its arguments checked.
    func conv2dGeometry(weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
                        dilation: (Int, Int)) -> ConvGeometry {
        checkArgument(rank == 4 && weight.rank == 4 && weight.shape[1] == shape[1],
                     "conv2d: input \(shape) and weight \(weight.shape) do not fit (need (N,C,H,W) and (O,C,KH,KW))")
        if let bias { checkArgument(bias.shape == [weight.shape[0]], "conv2d: bias \(bias.shape) for weight \(weight.shape)") }
        let g = ConvGeometry(n: shape[0], c: shape[1], h: shape[2], w: shape[3],
                             o: weight.shape[0], kh: weight.shape[2], kw: weight.shape[3],
                             strideH: stride.0, strideW: stride.1, padH: padding.0, padW: padding.1,
                             dilH: dilation.0, dilW: dilation.1)
        checkArgument(g.outH > 0 && g.outW > 0, "conv2d: input \(shape) too small for kernel \(weight.shape) with padding \(padding)")
        return g
    }

    /// x (N, C, L), weight (O, C, K), bias (O) -> (N, O, OL); computed as a (K, 1) 2-D convolution.
    public func conv1d(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, dilation: Int = 1) -> Tensor {
        checkArgument(rank == 3 && weight.rank == 3,
                     "conv1d: input \(shape) and weight \(weight.shape) do not fit (need (N,C,L) and (O,C,K))")
        let y = reshaped(shape + [1]).conv2d(weight: weight.reshaped(weight.shape + [1]), bias: bias,
                                             stride: (stride, 1), padding: (padding, 0), dilation: (dilation, 1))
        return y.reshaped(Array(y.shape.dropLast()))
    }
}

/// Σ gout over images and positions, per output channel: the same float sums as
/// `gout.permuted([1, 0, 2, 3]).reshaped([o, -1]).sum(axis: 1)`, without the transposed copy.
private func convBiasGradient(_ gout: Tensor, _ g: ConvGeometry) -> Tensor {
    let out = Tensor.empty([g.o])
    channelSumKernel(gout.storage.pointer, out.storage.pointer, outer: g.n, channels: g.o, inner: g.outH * g.outW)
    return out
}

private func fillBias(_ out: Tensor, _ bias: Tensor?, _ g: ConvGeometry) {
    let po = out.storage.pointer
    let plane = g.outH * g.outW
    for n in 0..<g.n {
        for o in 0..<g.o {
            (po + (n * g.o + o) * plane).update(repeating: bias?.storage.pointer[o] ?? 0, count: plane)
        }
    }
}

private func im2colConvForward(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, _ out: Tensor, _ g: ConvGeometry) {
    fillBias(out, bias, g)
    let ck = g.c * g.kh * g.kw, plane = g.outH * g.outW
    let col = Tensor.empty([ck, plane])
    for n in 0..<g.n {
        im2colKernel(x.storage.pointer + n * g.c * g.h * g.w, col.storage.pointer, g)
        sgemm(false, false, m: g.o, n: plane, k: ck, w.storage.pointer, lda: ck, col.storage.pointer, ldb: plane,
              beta: 1, out.storage.pointer + n * g.o * plane, ldc: plane)
    }
}

private func im2colConvBackward(_ x: Tensor, _ w: Tensor, _ gout: Tensor, _ gx: Tensor?, _ gw: Tensor?, _ g: ConvGeometry) {
    let ck = g.c * g.kh * g.kw, plane = g.outH * g.outW
    let col = Tensor.empty([ck, plane])
    for n in 0..<g.n {
        let gn = gout.storage.pointer + n * g.o * plane
        if let gw {
            im2colKernel(x.storage.pointer + n * g.c * g.h * g.w, col.storage.pointer, g)
            sgemm(false, true, m: g.o, n: ck, k: plane, gn, lda: plane, col.storage.pointer, ldb: plane,
                  beta: 1, gw.storage.pointer, ldc: ck)
        }
        if let gx {
            sgemm(true, false, m: ck, n: plane, k: g.o, w.storage.pointer, lda: ck, gn, ldb: plane,
                  beta: 0, col.storage.pointer, ldc: plane)
            col2imKernel(col.storage.pointer, gx.storage.pointer + n * g.c * g.h * g.w, g)
        }
    }
}

/// Forward F(2x2, 3x3) Winograd convolution, image by image (see WinogradKernels.swift). FLOPs are
/// counted as executed: the 16 transformed products, 2.25x fewer than the direct convolution's.
private func winogradConvForward(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, _ out: Tensor, _ g: ConvGeometry,
                                 _ wg: WinogradGeometry) {
    forEachWinogradImage(w, g, wg) { n, u, v, m in
        winogradConvolution(x.storage.pointer + n * g.c * g.h * g.w, u, bias: bias?.storage.pointer,
                            out.storage.pointer + n * g.o * g.outH * g.outW, wg, v: v, m: m)
    }
}

/// Runs `body(n, u, v, m)` for each image n of a Winograd convolution `wg` of the kernel `w` (of `g`): u
/// the kernel transformed once (for the input gradient when `flipped`), v and m scratch for one image.
func forEachWinogradImage(_ w: Tensor, _ g: ConvGeometry, _ wg: WinogradGeometry, flipped: Bool = false,
                          _ body: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
    let u = winogradKernelTransform(w.storage.pointer, o: g.o, c: g.c, flipped: flipped)
    let sizes = winogradScratch(wg)
    let v = Tensor.empty([sizes.v]), m = Tensor.empty([sizes.m])
    for n in 0..<g.n {
        body(n, u.storage.pointer, v.storage.pointer, m.storage.pointer)
    }
}

/// The input gradient of a convolution that ran as Winograd: the output gradient correlated with the
/// flipped, transposed kernel, itself an F(2x2, 3x3) convolution. Overwrites gx.
private func winogradConvInputGradient(_ w: Tensor, _ gout: Tensor, _ gx: Tensor, _ g: ConvGeometry) {
    let wg = WinogradGeometry.inputGradient(g)
    forEachWinogradImage(w, g, wg, flipped: true) { n, u, v, m in
        winogradConvolution(gout.storage.pointer + n * g.o * g.outH * g.outW, u, bias: nil,
                            gx.storage.pointer + n * g.c * g.h * g.w, wg, v: v, m: m)
    }
}

/// The weight gradient of a convolution that ran as Winograd, from the same transformed tiles: 16
/// products over the tiles instead of the im2col product. Adds into gw.
private func winogradConvWeightGradient(_ x: Tensor, _ gout: Tensor, _ gw: Tensor, _ g: ConvGeometry,
                                        _ wg: WinogradGeometry) {
    let sizes = winogradScratch(wg)
    let v = Tensor.empty([sizes.v]), m = Tensor.empty([sizes.m]), du = Tensor(zeros: [16, g.o, g.c])
    for n in 0..<g.n {
        winogradWeightGradient(x.storage.pointer + n * g.c * g.h * g.w, gout.storage.pointer + n * g.o * g.outH * g.outW,
                               du.storage.pointer, wg, v: v.storage.pointer, m: m.storage.pointer)
    }
    winogradKernelGradient(du.storage.pointer, gw.storage.pointer, o: g.o, c: g.c)
}

/// The weight (O, C, K, 1) regrouped by tap as K matrices (O, C), so each tap is one sgemm.
private func weightByTap(_ w: Tensor, _ g: ConvGeometry) -> Tensor {
    w.reshaped([g.o, g.c, g.kh]).permuted([2, 0, 1])
}

private func columnConvForward(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, _ out: Tensor, _ g: ConvGeometry) {
    if g.c == 1 { return oneChannelColumnConvForward(x, w, bias, out, g) }
    fillBias(out, bias, g)
    let taps = GradMode.withNoGrad { weightByTap(w, g) }
    let inPlane = g.h * g.w, outPlane = g.outH * g.w
    for n in 0..<g.n {
        let xn = x.storage.pointer + n * g.c * inPlane, on = out.storage.pointer + n * g.o * outPlane
        for i in 0..<g.kh {
            let (shift, lo, hi) = columnKernelRange(g, tap: i)
            if hi <= lo { continue }
            sgemm(false, false, m: g.o, n: (hi - lo) * g.w, k: g.c,
                  taps.storage.pointer + i * g.o * g.c, lda: g.c,
                  xn + (lo + shift) * g.w, ldb: inPlane, beta: 1, on + lo * g.w, ldc: outPlane)
        }
    }
}

/// The one-channel case (LoGoNet's conv1, (B, 1, T, H) -> (B, H/2, T, H)): every tap's product has
/// K = 1, so the sgemm path above passes over the whole output once for the bias and once per tap.
/// CKernels' `ck_column_conv_one_channel` does it in one pass with the same roundings (the same bits).
/// With `epilogue`, each (image, channel) plane is convolved into a scratch plane instead, and
/// `epilogue(output plane, scratch, channel)` writes the output from it while it is in cache.
func oneChannelColumnConvForward(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, _ out: Tensor, _ g: ConvGeometry,
                                 epilogue: ((UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void)? = nil) {
    let inPlane = g.h * g.w, outPlane = g.outH * g.w
    // The multiply-adds of the taps that land inside the image, as the sgemm path counted them.
    let tapRows = (0..<g.kh).reduce(0) { rows, i in let r = columnKernelRange(g, tap: i); return rows + Swift.max(0, r.hi - r.lo) }
    Accounting.addFlops(2 * g.n * g.o * tapRows * g.w)
    let (px, pw, pb, po) = (x.storage.pointer, w.storage.pointer, bias?.storage.pointer, out.storage.pointer)
    parallelChunks(g.n * g.o, grain: Swift.max(1, 65536 / Swift.max(outPlane, 1))) { s, e in
        if let epilogue {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: outPlane) { scratch in
                for item in s..<e {
                    let (n, o) = (item / g.o, item % g.o)
                    ck_column_conv_one_channel(px + n * inPlane, pw + o * g.kh, pb.map { $0 + o }, scratch.baseAddress!,
                                               1, g.h, g.w, g.outH, g.kh, g.dilH, g.padH)
                    epilogue(po + item * outPlane, scratch.baseAddress!, o)
                }
            }
            return
        }
        var item = s
        while item < e {
            // A run of channels of one image.
            let (n, o) = (item / g.o, item % g.o)
            let count = Swift.min(e - item, g.o - o)
            ck_column_conv_one_channel(px + n * inPlane, pw + o * g.kh, pb.map { $0 + o }, po + (n * g.o + o) * outPlane,
                                       count, g.h, g.w, g.outH, g.kh, g.dilH, g.padH)
            item += count
        }
    }
}

private func columnConvBackward(_ x: Tensor, _ w: Tensor, _ gout: Tensor, _ gx: Tensor?, _ gw: Tensor?, _ g: ConvGeometry) {
    let taps = weightByTap(w, g)
    let gtaps = Tensor(zeros: [g.kh, g.o, g.c])
    let inPlane = g.h * g.w, outPlane = g.outH * g.w
    for n in 0..<g.n {
        let xn = x.storage.pointer + n * g.c * inPlane, gn = gout.storage.pointer + n * g.o * outPlane
        for i in 0..<g.kh {
            let (shift, lo, hi) = columnKernelRange(g, tap: i)
            if hi <= lo { continue }
            let cols = (hi - lo) * g.w
            if let gx {
                sgemm(true, false, m: g.c, n: cols, k: g.o, taps.storage.pointer + i * g.o * g.c, lda: g.c,
                      gn + lo * g.w, ldb: outPlane, beta: 1, gx.storage.pointer + n * g.c * inPlane + (lo + shift) * g.w, ldc: inPlane)
            }
            if gw != nil {
                sgemm(false, true, m: g.o, n: g.c, k: cols, gn + lo * g.w, lda: outPlane,
                      xn + (lo + shift) * g.w, ldb: inPlane, beta: 1, gtaps.storage.pointer + i * g.o * g.c, ldc: g.c)
            }
        }
    }
    if let gw {
        gw.assign(from: gtaps.permuted([1, 2, 0]).reshaped(gw.shape))
    }
}
