/// The real part of a discrete Fourier transform over one or more axes (FNet-style token mixing and
/// EDSNet's FFT pooling).
extension Tensor {
    /// Re(DFT over `axes`) of this real tensor: for axes (a, b), Re(fft_b(fft_a(x))), the complex DFT
    /// X[k] = sum_n x[n] e^{-2 pi i k n / N} along each axis in turn, as `torch.fft.fft` composes.
    /// Any length: mixed radix for 2, 3, 5-smooth lengths, Bluestein otherwise (FFTKernels.swift).
    ///
    /// Backward: the map is linear, y = Re(M x) with M the Kronecker product of the axes' DFT matrices;
    /// its adjoint for a real upstream gradient g is Re(Mᵀ g), and every DFT matrix is symmetric
    /// (F[k][n] = F[n][k]), so the gradient is the same transform applied to g.
    public func realPartOfDFT(axes: [Int]) -> Tensor {
        let normalized = axes.map { normalizedAxis($0, rank: rank, op: "realPartOfDFT") }
        checkArgument(!normalized.isEmpty && Set(normalized).count == normalized.count,
                      "realPartOfDFT: needs distinct axes, got \(axes) for shape \(shape)")
        let out = Tensor.empty(shape)
        realPartOfDFTKernel(storage.pointer, out.storage.pointer, shape: shape, axes: normalized)
        return out.recorded(from: [self]) { g in
            let gx = Tensor.empty(g.shape)
            realPartOfDFTKernel(g.storage.pointer, gx.storage.pointer, shape: g.shape, axes: normalized)
            return [gx]
        }
    }
}
