import FileSupport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A sweep task's run folder (`<comparison>/<model>/seed-<s>/[split-<k>/]`) as a resumed sweep finds it.
public enum TaskFolderState {
    /// Absent or empty: the task runs here.
    case empty
    /// A completed run of the identity the task asks for: the task is skipped.
    case completed(RunRecord)
    /// A completed run of another configuration: refused (a run is never replaced); the differences.
    case completedOther(RunRecord, [String])
    /// An earlier attempt that did not complete (failed, interrupted, killed, or files without a
    /// readable run.json): kept, moved aside, and the task runs again.
    case unfinished(String)
}

public enum TaskFolder {
    public static func state(of folder: URL, expected: RunIdentity) -> TaskFolderState {
        let manager = FileManager.default
        guard let entries = try? manager.contentsOfDirectory(atPath: folder.path), !entries.isEmpty else { return .empty }
        let runFile = folder.appendingPathComponent(ModelRun.runFileName)
        guard manager.fileExists(atPath: runFile.path) else { return .unfinished("no run.json") }
        let record: RunRecord
        do { record = try RunRecord.read(runFile) } catch { return .unfinished("\(error)") }
        guard record.status == .completed else { return .unfinished("run.json says \(record.status.rawValue)") }
        let differences = expected.differences(from: RunIdentity(record: record))
        return differences.isEmpty ? .completed(record) : .completedOther(record, differences)
    }

    /// Moves an unfinished attempt to a hidden sibling, `.<name>.attempt-<n>` (the first free n), where
    /// every file stays as it was; comparisons (`bench report`) do not descend into hidden folders.
    @discardableResult
    public static func moveAside(_ folder: URL) throws -> URL {
        let parent = folder.deletingLastPathComponent()
        for attempt in 1...10_000 {
            let aside = parent.appendingPathComponent(".\(folder.lastPathComponent).attempt-\(attempt)")
            if FileManager.default.fileExists(atPath: aside.path) { continue }
            guard rename(folder.path, aside.path) == 0 else {
                throw FileWriteError(path: folder.path, reason: "moving the earlier attempt aside to \(aside.path): \(String(cString: strerror(errno)))")
            }
            return aside
        }
        throw FileWriteError(path: folder.path, reason: "no free name for moving the earlier attempt aside")
    }

    /// Held while a task runs: an exclusive `flock` on the hidden `.<name>.lock` beside the task's folder,
    /// so a second sweep (or a Slurm task started twice) cannot move aside or rerun a task that is still
    /// running. The kernel releases it when the process ends, however it ends.
    public final class Lock {
        private let descriptor: Int32

        public init(_ folder: URL) throws {
            let parent = folder.deletingLastPathComponent()
            try AtomicFile.createFolder(parent)
            let path = parent.appendingPathComponent(".\(folder.lastPathComponent).lock").path
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw FileWriteError(path: path, reason: "creating the task lock: \(String(cString: strerror(errno)))") }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let busy = errno == EWOULDBLOCK
                close(descriptor)
                throw busy ? HarnessError.invalidArgument("\(folder.path): another bench process is running this task (its lock \(path) is held)")
                           : FileWriteError(path: path, reason: "locking: \(String(cString: strerror(errno)))")
            }
        }

        deinit { close(descriptor) }
    }
}
