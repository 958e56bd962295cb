import Dispatch
import CBLAS

/// Thread control for the whole core. OpenBLAS threads run matrix products and our own loops run the rest,
/// never both at once: each op is either one sgemm call or one parallel loop, and ops run one after another.
public enum Threading {
    nonisolated(unsafe) private static var _count = 1
    /// The count last handed to OpenBLAS (nil before the first call).
    nonisolated(unsafe) private static var blasCount: Int?

    /// Threads used by matrix products and by large elementwise loops (1 = fully deterministic single thread).
    public static var count: Int { _count }

    /// A session sets the count once and each run sets it again: a repeated value is not handed to OpenBLAS
    /// again.
    public static func setCount(_ n: Int) {
        checkArgument(n >= 1, "Threading.setCount: need at least one thread, got \(n)")
        _count = n
        if blasCount == n { return }
        blasCount = n
        openblas_set_num_threads(Int32(n))
    }
}

/// Runs `body(start, end)` over `0..<n` split into contiguous chunks, in parallel when the work is large
/// enough to pay for waking a second thread (about 30k elements of simple arithmetic).
@inline(__always)
func parallelChunks(_ n: Int, grain: Int = 32_768, _ body: (Int, Int) -> Void) {
    let threads = Threading.count
    if threads <= 1 || n < 2 * grain {
        body(0, n)
        return
    }
    let chunks = min(threads, (n + grain - 1) / grain)
    let step = (n + chunks - 1) / chunks
    withoutActuallyEscaping(body) { body in
        // The chunks write disjoint ranges, which is what makes sharing the closure across threads safe.
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * step
            let end = min(n, start + step)
            if start < end { shared.value(start, end) }
        }
    }
}

/// Carries a value across a concurrency boundary the compiler cannot verify (disjoint-range loops).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
