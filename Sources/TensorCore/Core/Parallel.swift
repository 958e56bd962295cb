import Dispatch
import CBLAS
import Synchronization

/// Thread control for the whole core. OpenBLAS threads run matrix products and our own loops run the rest,
/// never both at once: each op is either one sgemm call or one parallel loop, and ops run one after another,
/// except inside `concurrentItems`, where each thread runs its own items' ops single-threaded.
public enum Threading {
    nonisolated(unsafe) private static var _count = 1
    /// The count last handed to OpenBLAS (nil before the first call).
    nonisolated(unsafe) fileprivate static var blasCount: Int?

    /// Threads used by matrix products and by large elementwise loops (1 = fully deterministic single thread);
    /// 1 inside an item of `concurrentItems`.
    public static var count: Int { itemThreads ?? _count }

    /// The thread count inside a `concurrentItems` item (bound on the worker thread that runs it).
    @TaskLocal fileprivate static var itemThreads: Int?

    /// Held while OpenBLAS's (process-wide) thread count is handed over, for the whole of a `withCount`
    /// and for the whole of a `concurrentItems` pass, so no other thread changes the count meanwhile (the
    /// products' bits would then depend on another thread's timing; only tests run several sessions in
    /// one process).
    fileprivate static let blasCountLock = Mutex(())

    /// Whether this task holds the count (inside `withCount`): its own `setCount` and `concurrentItems`
    /// then go ahead without the lock it already holds.
    @TaskLocal fileprivate static var holdsCount = false

    /// Sets the count for what follows (a session sets it once). A repeated value is not handed to OpenBLAS
    /// again. Waits while a `concurrentItems` pass or a `withCount` runs on another thread.
    public static func setCount(_ n: Int) {
        checkArgument(n >= 1, "Threading.setCount: need at least one thread, got \(n)")
        holdingTheCount { hand(n) }
    }

    /// Runs `body` with the count `n`, held: `setCount`, `withCount` and `concurrentItems` on other threads
    /// wait until it returns (inside `body`, on its own task, they go ahead); then the count before it is
    /// restored. A run holds its count because OpenBLAS's bits can depend on it: its Haswell and Zen
    /// kernels round some products (a 4095 x 24 x 40 one among them) differently on 1 and 2 threads, so a
    /// count changed by another thread mid-run (only tests run several in one process) would change the
    /// run's results. `body` must not wait on another thread that sets the count.
    public static func withCount<R, E: Error>(_ n: Int, _ body: () throws(E) -> R) throws(E) -> R {
        checkArgument(n >= 1, "Threading.withCount: need at least one thread, got \(n)")
        func held() -> Swift.Result<R, E> {
            let previous = _count
            hand(n)
            defer { hand(previous) }
            return $holdsCount.withValue(true) { Swift.Result { () throws(E) -> R in try body() } }
        }
        var outcome: Swift.Result<R, E>?
        holdingTheCount { outcome = held() }
        return try outcome!.get()
    }

    /// Runs `body` with the count's lock: taken here, or already this task's inside its `withCount`.
    fileprivate static func holdingTheCount(_ body: () -> Void) {
        if holdsCount { return body() }
        blasCountLock.withLock { _ in body() }
    }

    /// Sets the count, the lock held (or owned by this task's `withCount`).
    private static func hand(_ n: Int) {
        _count = n
        if blasCount == n { return }
        blasCount = n
        openblas_set_num_threads(Int32(n))
    }
}

extension Threading {
    /// Runs `body` with OpenBLAS on one thread (each product runs on its caller's thread), then hands
    /// OpenBLAS the session's count again; `setCount` on another thread waits meanwhile. For
    /// `concurrentItems` only (its items never set the count).
    fileprivate static func withSingleThreadedBLAS(_ body: () -> Void) {
        func singleThreaded() {
            guard let n = blasCount, n > 1 else { return body() }
            openblas_set_num_threads(1)
            defer { openblas_set_num_threads(Int32(n)) }
            body()
        }
        holdingTheCount(singleThreaded)
    }
}

extension Threading {
    /// Runs `body(i)` for every i in 0..<n, up to `count` items at once, each item on one thread with every
    /// op inside it single-threaded (OpenBLAS's products and the core's loops): for many small independent
    /// computations (a split's videos scored one at a time), whose ops are too small for splitting one
    /// across threads to pay. A free thread takes the next index, so put the largest items first. Every
    /// item runs single-threaded, so its result is the same bits whichever thread runs it and whatever
    /// the count (the same as with a count of 1). Against the caller's own threads, the core's loops give
    /// the same bits (they split rows) but an OpenBLAS product can round differently (see
    /// `independentProducts`). The caller's grad mode and `WeightPanels` pass hold inside the
    /// items; `Accounting.countingFlops` scopes do not see their FLOPs (other threads). Items must write
    /// disjoint outputs and must not change shared state (a model in eval mode reads its parameters only).
    public static func concurrentItems(_ n: Int, _ body: (Int) -> Void) {
        let threads = Swift.min(count, n)
        if threads <= 1 {
            for i in 0..<n { body(i) }
            return
        }
        let gradEnabled = GradMode.isEnabled, panels = WeightPanels.scope
        let next = ItemCounter()
        withSingleThreadedBLAS {
            withoutActuallyEscaping(body) { body in
                // Each index is taken once (the counter), which is what makes sharing the closure safe.
                let shared = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: threads) { _ in
                    $itemThreads.withValue(1) {
                        GradMode.$enabled.withValue(gradEnabled) {
                            WeightPanels.$scope.withValue(panels) {
                                while let i = next.take(below: n) { shared.value(i) }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Threading {
    /// `items.map(transform)` with the items spread over the threads as `concurrentItems` spreads them
    /// (each single-threaded inside); the results in the items' order. The first item, in order, whose
    /// transform throws is the error.
    public static func concurrentMap<Item, Result>(_ items: [Item], _ transform: (Item) throws -> Result) throws -> [Result] {
        var results = [Swift.Result<Result, any Error>?](repeating: nil, count: items.count)
        results.withUnsafeMutableBufferPointer { slots in
            // Each item writes its own slot.
            let shared = UncheckedSendable(slots)
            concurrentItems(items.count) { i in shared.value[i] = Swift.Result { try transform(items[i]) } }
        }
        return try results.map { try $0!.get() }
    }
}

/// Hands out 0, 1, 2, ... to whichever thread asks next.
private final class ItemCounter: Sendable {
    private let next = Mutex(0)

    func take(below n: Int) -> Int? {
        next.withLock { value in
            guard value < n else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

/// Runs `body(i)` for i in 0..<n, independent matrix products writing disjoint outputs (Winograd's 16
/// per block), spread over the threads with each sgemm single-threaded: one hand-off for the group
/// instead of one inside every product, each of which is too small for splitting it to pay (OpenBLAS's
/// worker waits on the caller, and under load the caller spins in sched_yield waiting for the worker).
/// Each product runs on one thread, so its bits do not depend on the thread count: OpenBLAS never splits
/// the inner dimension, but its blocking of a product split over threads (or of a product cut into row
/// chunks) can round some shapes differently from one call on one thread (seen at 300 x 257 x 190 and
/// 4429 x 130 x 129). The caller counts the FLOPs (the counter is task-local, and the products run on
/// other threads). `Threading.concurrentItems` with this use's reasons.
func independentProducts(_ n: Int, _ body: (Int) -> Void) {
    Threading.concurrentItems(n, body)
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
