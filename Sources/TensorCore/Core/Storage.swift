#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A 64-byte aligned float32 buffer. Tensors share a storage only when one is a reshaped view of another;
/// every buffer allocation and release goes through `Accounting`. Large buffers come from `BufferPool`,
/// so a training step reuses the previous step's pages instead of faulting in fresh ones.
public final class Storage: @unchecked Sendable {
    public let count: Int
    let pointer: UnsafeMutablePointer<Float>
    /// The bytes of the block behind `pointer` (the pool may hand out a larger block than asked for).
    let blockBytes: Int
    /// How many tensors view this buffer (a reshape is a second view). Lets backward hand a freshly
    /// computed gradient to a parameter without copying it when no other tensor can see its elements.
    let viewers = Atomic<Int>(0)

    /// Uninitialised storage; callers overwrite every element.
    init(count: Int) {
        checkArgument(count >= 0, "Storage: negative element count \(count)")
        self.count = count
        let block = BufferPool.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride)
        pointer = block.pointer.bindMemory(to: Float.self, capacity: max(count, 1))
        blockBytes = block.bytes
        Accounting.allocated(count * MemoryLayout<Float>.stride)
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(count: count)
        pointer.update(repeating: value, count: count)
    }

    deinit {
        Accounting.freed(count * MemoryLayout<Float>.stride)
        BufferPool.release(UnsafeMutableRawPointer(pointer), bytes: blockBytes)
    }
}

/// A size-keyed cache of released large buffers (a caching allocator). Training allocates the same
/// activation and gradient sizes every step; the system allocator returns each large block to the kernel
/// on free (mmap/munmap), so every step would fault in and zero its pages again. A request takes a cached
/// block of its exact size, else the smallest cached one of up to `maximumOversize` times its size: the
/// batches of a shuffled epoch differ in padded length, so their activations (attention maps grow with
/// the square of it) rarely match exactly, and exact reuse alone left LoGoNet at small width mapping and
/// faulting in about 4 GB per epoch (over a million page faults, a quarter of its time in the kernel).
/// Small ones go straight to malloc, which already recycles them.
///
/// The cache barely raises the footprint: live plus cached bytes stay within `headroom` times the
/// highest live total seen (a miss first returns cached blocks to the system, largest first), and a
/// block nobody asked for during the last `staleAfter` large allocations (another model's sizes, say) is
/// returned as well. The headroom lets an epoch's small last batch allocate beside the big batches'
/// cached blocks instead of evicting them: with none, small EDSNet's epoch (a batch of 112 videos, then
/// one of 16) faulted in about 100 MB again every epoch (25k page faults; 6k with the headroom, for
/// 20 MB more peak resident memory).
public enum BufferPool {
    /// Buffers below this size are not cached.
    static let minimumBytes = 1 << 20
    static let staleAfter = 2048
    static let maximumOversize = 2
    static let headroom = (numerator: 5, denominator: 4)

    /// Addresses are kept as integers so the state is Sendable for the mutex.
    private struct Block {
        let address: UInt
        let releasedAt: Int
        var pointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: address)! }
    }
    private struct State {
        var free: [Int: [Block]] = [:]
        var cachedBytes = 0
        var liveBytes = 0
        var highWater = 0
        var tick = 0

        /// Takes cached blocks out until `bytes` are gone or nothing is left, stale ones first.
        mutating func evict(atLeast bytes: Int, olderThan oldest: Int, into out: inout [UInt]) {
            var freed = 0
            for size in free.keys.sorted(by: >) {
                free[size]!.removeAll { block in
                    guard block.releasedAt < oldest || freed < bytes else { return false }
                    freed += size
                    cachedBytes -= size
                    out.append(block.address)
                    return true
                }
                if free[size]!.isEmpty { free[size] = nil }
            }
        }
    }
    private static let state = Mutex(State())

    /// Bytes held by released buffers waiting for reuse.
    public static var cachedBytes: Int { state.withLock { $0.cachedBytes } }

    /// Returns every cached buffer to the system.
    public static func trim() {
        let victims = state.withLock { s in
            var out: [UInt] = []
            s.evict(atLeast: .max, olderThan: .max, into: &out)
            return out
        }
        for address in victims { free(UnsafeMutableRawPointer(bitPattern: address)) }
    }

    /// The cached size a request of `bytes` takes: its own if cached, else the smallest of up to
    /// `maximumOversize` times it, else none (a new block).
    static func bestFit(_ bytes: Int, cached sizes: some Collection<Int>) -> Int? {
        sizes.lazy.filter { $0 >= bytes && $0 <= bytes * maximumOversize }.min()
    }

    /// A block of at least `bytes` and its real size, which `release` must be given.
    static func allocate(bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes < minimumBytes { return (systemAllocate(bytes), bytes) }
        let (reused, victims): ((address: UInt, bytes: Int)?, [UInt]) = state.withLock { s in
            s.tick += 1
            let fit = s.free[bytes] != nil ? bytes : bestFit(bytes, cached: s.free.keys)
            if let fit, let block = s.free[fit]?.popLast() {
                if s.free[fit]!.isEmpty { s.free[fit] = nil }
                s.cachedBytes -= fit
                s.liveBytes += fit
                s.highWater = Swift.max(s.highWater, s.liveBytes)
                return ((block.address, fit), [])
            }
            s.liveBytes += bytes
            s.highWater = Swift.max(s.highWater, s.liveBytes)
            let excess = s.liveBytes + s.cachedBytes - s.highWater / headroom.denominator * headroom.numerator
            var out: [UInt] = []
            s.evict(atLeast: Swift.max(excess, 0), olderThan: s.tick - staleAfter, into: &out)
            return (nil, out)
        }
        for address in victims { free(UnsafeMutableRawPointer(bitPattern: address)) }
        if let reused { return (UnsafeMutableRawPointer(bitPattern: reused.address)!, reused.bytes) }
        return (systemAllocate(bytes), bytes)
    }

    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes < minimumBytes { return free(pointer) }
        let address = UInt(bitPattern: pointer)
        state.withLock { s in
            s.liveBytes -= bytes
            s.free[bytes, default: []].append(Block(address: address, releasedAt: s.tick))
            s.cachedBytes += bytes
        }
    }

    private static func systemAllocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        var raw: UnsafeMutableRawPointer?
        // A block of 2 MB or more is aligned to 2 MB and advised as transparent huge pages (where the
        // kernel offers them on request, as Debian's default "madvise" does): its first touch then faults
        // in 2 MB at a time. A small VideoSAGE run faulted 97k pages with 4 KB ones, 37k with this, nearly
        // all in its first epoch while the pool fills.
        let hugePage = 1 << 21
        let status = posix_memalign(&raw, bytes >= hugePage ? hugePage : 64, bytes)
        guard status == 0, let raw else { fatalError("Storage: cannot allocate \(bytes) bytes (error \(status))") }
        #if canImport(Glibc)
        if bytes >= hugePage { _ = madvise(raw, bytes / hugePage * hugePage, MADV_HUGEPAGE) }
        #endif
        return raw
    }
}
