import Foundation

/// Writing that never leaves a half-written result: output goes to a temporary sibling path that is
/// renamed into place only when complete, and is removed if anything fails.
enum AtomicOutput {
    /// A temporary path next to `destination` (same directory, so the final rename is atomic).
    static func temporarySibling(of destination: URL) -> URL {
        let name = ".\(destination.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        return destination.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Moves the finished `temporary` to `destination`. A file replaces an existing one atomically
    /// (rename(2)); a directory first moves the old one aside so that at every moment one complete
    /// version exists.
    static func publish(_ temporary: URL, to destination: URL, overwrite: Bool) throws {
        let manager = FileManager.default
        let exists = manager.fileExists(atPath: destination.path)
        if exists && !overwrite { throw DataError.destinationExists(path: destination.path) }
        var isDirectory: ObjCBool = false
        _ = manager.fileExists(atPath: temporary.path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue {
            let old = temporarySibling(of: destination)
            try manager.moveItem(at: destination, to: old)
            do { try manager.moveItem(at: temporary, to: destination) } catch {
                try? manager.moveItem(at: old, to: destination)
                throw error
            }
            try? manager.removeItem(at: old)
        } else if rename(temporary.path, destination.path) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path,
                                                           NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
    }
}
