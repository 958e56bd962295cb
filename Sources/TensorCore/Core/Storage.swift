#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 64-byte aligned float32 buffer. Tensors share a storage only when one is a reshaped view of another;
/// every buffer allocation and release goes through `Accounting`.
public final class Storage: @unchecked Sendable {
    public let count: Int
    let pointer: UnsafeMutablePointer<Float>

    /// Uninitialised storage; callers overwrite every element.
    init(count: Int) {
        checkArgument(count >= 0, "Storage: negative element count \(count)")
        self.count = count
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let status = posix_memalign(&raw, 64, bytes)
        guard status == 0, let raw else { fatalError("Storage: cannot allocate \(bytes) bytes (error \(status))") }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        Accounting.allocated(count * MemoryLayout<Float>.stride)
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(count: count)
        pointer.update(repeating: value, count: count)
    }

    deinit {
        Accounting.freed(count * MemoryLayout<Float>.stride)
        free(pointer)
    }
}
