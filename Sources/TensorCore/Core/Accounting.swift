import Synchronization

/// Live and peak bytes of tensor storage, and floating-point operations executed by matrix products and
/// convolutions, so a benchmark can report achieved GFLOP/s and peak memory of a run.
public enum Accounting {
    private struct State {
        var liveBytes = 0
        var peakBytes = 0
        var flops: Int64 = 0
    }
    private static let state = Mutex(State())

    static func allocated(_ bytes: Int) {
        state.withLock {
            $0.liveBytes += bytes
            if $0.liveBytes > $0.peakBytes { $0.peakBytes = $0.liveBytes }
        }
    }

    static func freed(_ bytes: Int) {
        state.withLock { $0.liveBytes -= bytes }
    }

    static func addFlops(_ n: Int) {
        state.withLock { $0.flops += Int64(n) }
    }

    /// Bytes held by live tensors right now.
    public static var liveBytes: Int { state.withLock { $0.liveBytes } }
    /// The most bytes held by live tensors since the last `resetPeak()`.
    public static var peakBytes: Int { state.withLock { $0.peakBytes } }
    /// FLOPs executed by matmul and convolution since the last `resetFlops()` (a multiply-add counts 2).
    public static var flops: Int64 { state.withLock { $0.flops } }

    public static func resetPeak() { state.withLock { $0.peakBytes = $0.liveBytes } }
    public static func resetFlops() { state.withLock { $0.flops = 0 } }
}
