import Dispatch
import CBLAS

/// Thread control for the whole core. OpenBLAS threads run matrix products and our own loops run the rest,
/// never both at once: each op is either one sgemm call or one parallel loop, and ops run one after another.
public enum Threading {
    nonisolated(unsafe) private static var _count = 1
    /// The count last handed to OpenBLAS (nil before the first call).
    nonisolated(unsafe) fileprivate static var blasCount: Int?

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

extension Threading {
    /// Runs `body` with OpenBLAS on one thread (each product runs on its caller's thread), then hands
    /// OpenBLAS the session's count again. For `independentProducts` only.
    static func withSingleThreadedBLAS(_ body: () -> Void) {
        guard let n = blasCount, n > 1 else { return body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(n)) }
        body()
    }
}

/// Runs `body(i)` for i in 0..<n, independent matrix products writing disjoint outputs (Winograd's 16
/// per block), spread over the threads with each sgemm single-threaded: one hand-off for the group
/// instead of one inside every product, each of which is too small for splitting it to pay (OpenBLAS's
/// worker waits on the caller, and under load the caller spins in sched_yield waiting for the worker).
/// OpenBLAS splits a product's rows and columns, never its inner dimension, so every element is summed
/// in the same order either way and the results are the same bits. The caller counts the FLOPs (the
/// counter is task-local, and the products run on other threads).
func independentProducts(_ n: Int, _ body: (Int) -> Void) {
    if Threading.count <= 1 || n < 2 {
        for i in 0..<n { body(i) }
        return
    }
    Threading.withSingleThreadedBLAS {
        parallelChunks(n, grain: 1) { s, e in for i in s..<e { body(i) } }
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
