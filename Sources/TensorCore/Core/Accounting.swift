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
        taskFlops?.add(n)
    }

    /// The counter of the innermost `countingFlops` scope of the current task. The global counter sees
    /// every task (tests run in parallel, a harness may evaluate models side by side); this one sees only
    /// the matrix products issued by the task that opened the scope (they all run on its thread).
    @TaskLocal private static var taskFlops: FlopCounter?

    /// Runs `body` and returns its result with the FLOPs executed by matmul and convolution inside it, on
    /// this task only (work inside a nested scope counts for the enclosing scopes too).
    public static func countingFlops<R>(_ body: () throws -> R) rethrows -> (result: R, flops: Int64) {
        let counter = FlopCounter(enclosing: taskFlops)
        let result = try $taskFlops.withValue(counter) { try body() }
        return (result, counter.value)
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

private final class FlopCounter: Sendable {
    private let count = Mutex<Int64>(0)
    private let enclosing: FlopCounter?

    init(enclosing: FlopCounter?) { self.enclosing = enclosing }

    func add(_ n: Int) {
        count.withLock { $0 += Int64(n) }
        enclosing?.add(n)
    }

    var value: Int64 { count.withLock { $0 } }
}
