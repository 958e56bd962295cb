import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be written, in plain words, with the path.
public struct FileWriteError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): cannot write: \(reason)" }
}

/// The one way the project writes a file: the bytes go to a temporary file with a unique name in the same
/// folder (so the rename stays on one file system and is atomic), are synced to disk, and only then
/// renamed over the target; the folder is synced so the rename survives a crash. A failure at any point
/// (a full disk included) leaves the old file or the new one, never a mix, and no temporary file.
public enum AtomicFile {
    /// Writes `data` to `url`, replacing what is there.
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = temporarySibling(of: url).path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(url, "cannot create a temporary file beside it") }
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
                        throw failure(url, "writing")
                    }
                    written += result
                }
            }
            guard fsync(descriptor) == 0 else { throw failure(url, "syncing to disk") }
        }
        guard rename(temporary, url.path) == 0 else { throw failure(url, "renaming the finished file into place") }
        renamed = true
        syncFolder(of: url)
    }

    /// A unique, hidden path beside `destination`, for output that another library writes (HDF5) and
    /// `publish` then moves into place.
    public static func temporarySibling(of destination: URL) -> URL {
        let name = ".\(destination.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        return destination.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Moves a finished `temporary` file or folder to `destination`, synced first. Without `overwrite`
    /// an existing destination is an error and stays as it was; with it, a file is replaced atomically
    /// (rename) and a folder is first moved aside, so one complete version exists at every moment. The
    /// temporary is removed when publishing fails.
    public static func publish(_ temporary: URL, to destination: URL, overwrite: Bool) throws {
        let manager = FileManager.default
        var failed = true
        defer { if failed { try? manager.removeItem(at: temporary) } }
        let exists = manager.fileExists(atPath: destination.path)
        if exists && !overwrite { throw FileWriteError(path: destination.path, reason: "it already exists (a run never replaces earlier results)") }
        var isDirectory: ObjCBool = false
        _ = manager.fileExists(atPath: temporary.path, isDirectory: &isDirectory)
        if !isDirectory.boolValue {
            let descriptor = open(temporary.path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0, fsync(descriptor) == 0 else {
                if descriptor >= 0 { close(descriptor) }
                throw failure(destination, "syncing the finished file to disk")
            }
            close(descriptor)
        }
        if exists && isDirectory.boolValue {
            let old = temporarySibling(of: destination)
            guard rename(destination.path, old.path) == 0 else { throw failure(destination, "moving the old folder aside") }
            guard rename(temporary.path, destination.path) == 0 else {
                let error = failure(destination, "moving the new folder into place")
                _ = rename(old.path, destination.path)
                throw error
            }
            try? manager.removeItem(at: old)
        } else if rename(temporary.path, destination.path) != 0 {
            throw failure(destination, "renaming the finished output into place")
        }
        failed = false
        syncFolder(of: destination)
    }

    /// Creates a folder and any missing parents (an existing folder is fine). Errors are `FileWriteError`s
    /// in plain words ("No space left on device"), not Foundation's error domains and codes.
    public static func createFolder(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw FileWriteError(path: url.path, reason: "it exists and is not a folder")
        }
        let parent = url.deletingLastPathComponent()
        if parent.path != url.path && !parent.path.isEmpty { try createFolder(parent) }
        if mkdir(url.path, 0o755) != 0 && errno != EEXIST { throw failure(url, "creating the folder") }
    }

    /// Creates `url` as a new folder; false when something of that name already exists (the caller picks
    /// another name), a `FileWriteError` for any other failure.
    public static func createNewFolder(_ url: URL) throws -> Bool {
        if mkdir(url.path, 0o755) == 0 { return true }
        if errno == EEXIST { return false }
        throw failure(url, "creating the folder")
    }

    private static func failure(_ url: URL, _ action: String, _ code: Int32 = errno) -> FileWriteError {
        FileWriteError(path: url.path, reason: "\(action): \(String(cString: strerror(code)))")
    }

    /// Some file systems refuse to sync a folder, which is harmless.
    private static func syncFolder(of url: URL) {
        let folder = url.deletingLastPathComponent().path
        let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            close(descriptor)
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
