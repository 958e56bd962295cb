import Foundation
import TensorCore

/// The machine's single-precision matrix-product rate, measured briefly once per run: the best of a few
/// timed n x n x n products through the tensor core (so OpenBLAS with the run's thread count). The best
/// of several is taken because other processes on a shared machine only ever slow a product down.
public enum SgemmPeak {
    public static func measure(size n: Int = 1024, repeats: Int = 6) -> Double {
        let probe = SgemmProbe(size: n)
        _ = probe.rate()  // warm-up: thread start, page faults
        return (0..<repeats).map { _ in probe.rate() }.max() ?? 0
    }
}

/// One n x n x n product, timed on demand: the sgemm rate at a given moment, for pairing with the
/// training steps around it (on a shared machine the 1024^3 rate moves by up to 2x within seconds).
public struct SgemmProbe {
    let n: Int
    let a: Tensor, b: Tensor

    public init(size n: Int) {
        self.n = n
        var rng = SeededGenerator(seed: 1)
        a = Tensor.uniform([n, n], low: -1, high: 1, rng: &rng)
        b = Tensor.uniform([n, n], low: -1, high: 1, rng: &rng)
    }

    /// GFLOP/s of one product now.
    public func rate() -> Double {
        GradMode.withNoGrad {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = a.matmul(b)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
        }
    }
}
