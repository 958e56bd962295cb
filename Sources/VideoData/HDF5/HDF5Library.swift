@preconcurrency import CHDF5
import Foundation

/// Process-wide access to the HDF5 C library.
///
/// The Debian/Homebrew builds of HDF5 are not thread-safe, so every call into the library made by this
/// module goes through one recursive lock. Callers should still read a data set from one thread (a
/// training loop's data loader); the lock only keeps parallel tests and stray concurrent callers from
/// corrupting the library's global state.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    private static let initialized: Bool = {
        _ = H5open()
        return true
    }()

    /// Runs `body` holding the library lock, with the library open and its automatic printing of
    /// error stacks to stderr turned off (errors are walked into `HDF5Error` instead). In thread-safe
    /// builds of HDF5 that setting and the error stack belong to the calling thread, so it is set on
    /// every entry rather than once.
    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = initialized
        _ = H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
        return try body()
    }

    private final class StackRecords {
        var records: [(function: String, description: String, major: hid_t, minor: hid_t)] = []
    }

    /// Reads the current thread's error stack (innermost last) as readable lines, then clears it.
    /// Message texts are looked up after the walk, because calling back into HDF5 from inside the
    /// walk's callback could reset the very stack being walked.
    static func takeErrorStack() -> [String] {
        locked {
            let box = StackRecords()
            let context = Unmanaged.passRetained(box)
            _ = H5Ewalk2(hid_t(H5E_DEFAULT), H5E_WALK_UPWARD, { _, entry, data in
                guard let entry, let data else { return 0 }
                let box = Unmanaged<StackRecords>.fromOpaque(data).takeUnretainedValue()
                let function = entry.pointee.func_name.map { String(cString: $0) } ?? "?"
                let description = entry.pointee.desc.map { String(cString: $0) } ?? ""
                box.records.append((function, description, entry.pointee.maj_num, entry.pointee.min_num))
                return 0
            }, context.toOpaque())
            context.release()
            _ = H5Eclear2(hid_t(H5E_DEFAULT))
            return box.records.map { record in
                let minor = message(record.minor)
                let text = record.description.isEmpty ? minor : "\(record.description) (\(minor))"
                return "\(record.function): \(text)"
            }
        }
    }

    private static func message(_ id: hid_t) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = H5Eget_msg(id, nil, &buffer, buffer.count)
        guard length > 0 else { return "unknown" }
        return String(cChars: buffer)
    }
}

// Macros in the HDF5 headers that Swift cannot import (they call H5open() inline).
let h5pDefault = hid_t(H5P_DEFAULT)
let h5sAll = hid_t(0)
let h5fAccessReadOnly: UInt32 = 0x0000
let h5fAccessTruncate: UInt32 = 0x0002
let h5fAccessExclusive: UInt32 = 0x0004

extension String {
    /// Decodes a NUL-terminated C string held in an array (stops at the first NUL).
    init(cChars: [CChar]) {
        let bytes = cChars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
