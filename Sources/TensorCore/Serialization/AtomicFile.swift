import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file all at once: the bytes go to a temporary file in the same folder (so the rename
/// stays on one file system and is atomic), are synced to disk, and only then renamed over the target.
/// A crash or error at any point leaves either the old file or the new one, never a mix.
enum AtomicFile {
    static func write(_ data: Data, to url: URL) throws {
        let target = url.path
        let folder = url.deletingLastPathComponent().path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)").path
        func failure(_ action: String, _ code: Int32 = errno) -> SafeTensorsError {
            SafeTensorsError(file: target, kind: .io, detail: "\(action): \(String(cString: strerror(code)))")
        }

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create temporary file \(temporary)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(descriptor) }
            try data.withUnsafeBytes { bytes in
                var written = 0
                while written < bytes.count {
                    let result = systemWrite(descriptor, bytes.baseAddress! + written, bytes.count - written)
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw failure("writing \(temporary)")
                    }
                    written += result
                }
            }
            guard fsync(descriptor) == 0 else { throw failure("syncing \(temporary)") }
        }
        guard rename(temporary, target) == 0 else { throw failure("renaming \(temporary) to \(target)") }
        renamed = true
        // Sync the folder so the rename itself survives a crash; some file systems refuse, which is harmless.
        let folderDescriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
