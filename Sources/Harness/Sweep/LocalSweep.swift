import FileSupport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `bench sweep --local`: the tasks to run, `jobs` at a time, each its own `bench` process (exactly the
/// command a Slurm array task runs) with its output in a log file of its own.
public enum LocalSweep {
    public struct Outcome: Sendable {
        /// Tasks started, and those that exited non-zero (with their log files).
        public var ran: Int = 0
        public var failed: [(task: SweepTask, status: Int32, log: URL)] = []
        /// A stop was requested: tasks not started yet were left.
        public var interrupted = false
    }

    /// Results written by the processes' termination handlers, read once all have ended.
    private final class Board: @unchecked Sendable {
        private let lock = NSLock()
        private var failures: [(task: SweepTask, status: Int32, log: URL)] = []
        func finish(_ task: SweepTask, status: Int32, log: URL, seconds: Double, report: (String) -> Void) {
            lock.lock()
            defer { lock.unlock() }
            if status != 0 { failures.append((task, status, log)) }
            // 130: the run stopped at a Ctrl-C or SIGTERM and recorded where (`bench`'s exit status for it).
            let outcome = status == 0 ? "done" : status == 130 ? "interrupted, see \(log.path)" : "FAILED (exit \(status)), see \(log.path)"
            report("task \(task.index) \(task.label): " + outcome
                   + String(format: " (%.1f s)", seconds))
        }
        var failed: [(task: SweepTask, status: Int32, log: URL)] { lock.lock(); defer { lock.unlock() }; return failures }
    }

    public static func run(_ tasks: [SweepTask], executable: URL, jobs: Int, logs: URL, stop: StopRequest = InterruptHandling.request,
                           log: @escaping @Sendable (String) -> Void) throws -> Outcome {
        try AtomicFile.createFolder(logs)
        let stamp = Self.stamp()
        let slots = DispatchSemaphore(value: max(1, jobs))
        let running = DispatchGroup()
        let board = Board()
        var outcome = Outcome()
        var processes: [Process] = []
        for task in tasks {
            var acquired = false
            while !acquired && !stop.isRequested { acquired = slots.wait(timeout: .now() + .milliseconds(200)) == .success }
            if stop.isRequested {
                if acquired { slots.signal() }
                outcome.interrupted = true
                break
            }
            let logFile = logs.appendingPathComponent("\(stamp)-task-\(task.index).log")
            guard FileManager.default.createFile(atPath: logFile.path, contents: nil), let handle = FileHandle(forWritingAtPath: logFile.path) else {
                slots.signal()
                throw FileWriteError(path: logFile.path, reason: "cannot create the task's log file")
            }
            let process = Process()
            process.executableURL = executable
            process.arguments = task.arguments
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = handle
            process.standardError = handle
            let started = Date()
            process.terminationHandler = { finished in
                try? handle.close()
                board.finish(task, status: finished.terminationStatus, log: logFile, seconds: Date().timeIntervalSince(started), report: log)
                slots.signal()
                running.leave()
            }
            log("task \(task.index) \(task.label): started" + (task.state == .rerun ? " again (earlier attempt: \(task.note ?? "unfinished"))" : ""))
            running.enter()
            do { try process.run() } catch {
                running.leave()
                slots.signal()
                throw HarnessError.invalidArgument("cannot start \(executable.path): \(error)")
            }
            processes.append(process)
            outcome.ran += 1
        }
        // A stop reaches tasks that do not share this process's group (a terminal's Ctrl-C reaches those
        // that do by itself; a second SIGINT would make them exit at once instead of recording where they stopped).
        var forwarded = false
        while running.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
            guard stop.isRequested, !forwarded else { continue }
            forwarded = true
            outcome.interrupted = true
            for process in processes where process.isRunning && getpgid(process.processIdentifier) != getpgrp() {
                kill(process.processIdentifier, SIGINT)
            }
        }
        outcome.failed = board.failed.sorted { $0.task.index < $1.task.index }
        return outcome
    }

    static func stamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: Date())
    }
}
