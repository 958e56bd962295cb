import Foundation
import TensorCore

/// The machine's single-precision matrix-product rate, measured briefly once per run: the best of a few
/// timed n x n x n products through the tensor core (so OpenBLAS with the run's thread count). The best
/// of several is taken because other processes on a shared machine only ever slow a product down.
public enum SgemmPeak {
    public static func measure(size n: Int = 1024, repeats: Int = 6) -> Double {
        var rng = SeededGenerator(seed: 1)
        let a = Tensor.uniform([n, n], low: -1, high: 1, rng: &rng)
        let b = Tensor.uniform([n, n], low: -1, high: 1, rng: &rng)
        return GradMode.withNoGrad {
            _ = a.matmul(b)  // warm-up: thread start, page faults
            var best = 0.0
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = a.matmul(b)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                best = max(best, 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
            }
            return best
        }
    }
}
