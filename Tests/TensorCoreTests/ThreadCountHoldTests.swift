import Foundation
import Synchronization
import Testing
@testable import TensorCore

/// `Threading.withCount`: the count inside is the one asked for and the one before comes back after;
/// another thread's `setCount` waits until the hold ends; inside it, the holder's own `setCount`,
/// `withCount` and `concurrentItems` go ahead instead of waiting on the lock it holds.
@Suite("Thread-count hold") struct ThreadCountHoldTests {
    @Test func anotherThreadsSetCountWaitsForTheHold() {
        let changed = Mutex(false)
        let done = DispatchSemaphore(value: 0)
        let seenInside: (Int, Bool) = Threading.withCount(2) {
            Thread.detachNewThread {
                Threading.setCount(1)
                changed.withLock { $0 = true }
                done.signal()
            }
            usleep(200_000)     // time enough for the other thread to change the count, were it not held
            return (Threading.count, changed.withLock { $0 })
        }
        done.wait()
        #expect(seenInside.0 == 2 && !seenInside.1, "the count changed under the hold")
        #expect(changed.withLock { $0 }, "the other thread's setCount went ahead once the hold ended")
    }

    @Test func theHolderCanSetNestAndRunItems() {
        let (inner, restored, sums): (Int, Int, [Int]) = Threading.withCount(2) {
            let inner = Threading.withCount(1) { Threading.count }
            let restored = Threading.count
            var sums = [Int](repeating: 0, count: 8)
            sums.withUnsafeMutableBufferPointer { slots in
                let shared = UncheckedSendable(slots)
                Threading.concurrentItems(8) { i in shared.value[i] = i * i }
            }
            Threading.setCount(1)
            return (inner, restored, sums)
        }
        #expect(inner == 1 && restored == 2)
        #expect(sums == (0..<8).map { $0 * $0 })
    }
}
