import Foundation
import Synchronization

/// A request to stop a run at the next step boundary (Ctrl-C, or a test).
public final class StopRequest: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isRequested: Bool { flag.load(ordering: .relaxed) }
    public func request() { flag.store(true, ordering: .relaxed) }
    /// Withdraws the request (after a stopped run, before another in the same process).
    public func clear() { flag.store(false, ordering: .relaxed) }
}

/// The process-wide stop request that SIGINT and SIGTERM set. The handler only stores into a
/// lock-free atomic, which is async-signal-safe; the trainer looks at it between steps.
public enum InterruptHandling {
    public static let request = StopRequest()
    private static let installed = Atomic<Bool>(false)

    /// Installs the handlers once. A second Ctrl-C while stopping falls back to the default (exit).
    public static func install() {
        guard installed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let handler: @convention(c) (Int32) -> Void = { signalNumber in
            if InterruptHandling.request.isRequested {
                signal(signalNumber, SIG_DFL)
                raise(signalNumber)
                return
            }
            InterruptHandling.request.request()
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A blocked signal mask survives exec: a parent that blocks SIGTERM or SIGINT (some test runners
        // and job launchers do) would otherwise leave the run deaf to both, and it would only ever end by
        // SIGKILL, with run.json saying `running`.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }
}
