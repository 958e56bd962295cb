import FileSupport
import Foundation
import Synchronization

/// What run.json says when a process is killed after a stop signal, before the run could stop at a step
/// boundary. When one rank of an mpirun job fails or is killed, mpirun sends SIGTERM to every other rank
/// and SIGKILL a moment later; rank 0, waiting for the dead rank in a collective, never reaches the step
/// boundary where it would record the stop, so run.json said `running` forever. A Slurm time limit does
/// the same to a single process in the middle of a long step (SIGTERM, then SIGKILL after KillWait).
///
/// Every time the run saves its record, it also hands over the same record marked `interrupted`; a watcher
/// thread writes that one as soon as a stop is requested. From then on the run's saves write the
/// interrupted form too, until the run's own final record (which names the step where it stopped)
/// replaces it. All writes of run.json go through one lock, so the file is always one whole record and a
/// final record is never overwritten.
final class StopSignalRecord: Sendable {
    private struct State {
        /// The record as last saved, marked interrupted.
        var interrupted: Data?
        var stopSeen = false
        var finished = false
    }

    private let state = Mutex(State())
    private let runFile: URL
    private let watching = Atomic<Bool>(true)

    /// Starts watching `stop` (every 20 ms) on a thread of its own.
    init(runFile: URL, stop: StopRequest) {
        self.runFile = runFile
        let thread = Thread { [self] in
            while watching.load(ordering: .relaxed) {
                if stop.isRequested {
                    writeInterrupted()
                    return
                }
                usleep(20_000)
            }
        }
        thread.name = "run.json stop watcher"
        thread.start()
    }

    /// The record while the run goes on (or its interrupted form, once a stop was seen).
    func save(record: Data, interrupted: Data) throws {
        try state.withLock { state in
            guard !state.finished else { return }
            state.interrupted = interrupted
            try AtomicFile.write(state.stopSeen ? interrupted : record, to: runFile)
        }
    }

    /// The run's final record; nothing is written after it. Stops the watcher.
    func finish(record: Data) throws {
        watching.store(false, ordering: .relaxed)
        try state.withLock { state in
            state.finished = true
            try AtomicFile.write(record, to: runFile)
        }
    }

    /// Stops the watcher without writing (the run object is going away).
    func stopWatching() { watching.store(false, ordering: .relaxed) }

    private func writeInterrupted() {
        state.withLock { state in
            guard !state.finished, !state.stopSeen else { return }
            state.stopSeen = true
            // Best effort: a failed write leaves the last record, as before.
            if let interrupted = state.interrupted { try? AtomicFile.write(interrupted, to: runFile) }
        }
    }
}
