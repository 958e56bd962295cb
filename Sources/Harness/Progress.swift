import Foundation

/// Progress on stderr: a live line (epoch, step, loss, frames/s, time left) when stderr is a terminal,
/// plain log lines (one per epoch) otherwise, nothing but errors with `quiet`.
public final class ProgressReporter: @unchecked Sendable {
    public let quiet: Bool
    public let isTerminal: Bool
    private var lastDraw: UInt64 = 0
    private var liveLineShown = false

    public init(quiet: Bool = false, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.quiet = quiet
        self.isTerminal = isTerminal
    }

    /// Sees every log line, quiet or not (tests read what the console would say).
    public var tap: ((String) -> Void)?

    public func log(_ line: String) {
        tap?(line)
        guard !quiet else { return }
        clearLiveLine()
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public func step(_ model: String, _ p: StepProgress) {
        guard !quiet, isTerminal else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw > 200_000_000 || p.step == p.stepsInEpoch else { return }
        lastDraw = now
        var line = String(format: "%@ epoch %d/%d step %d/%d loss %.4f %.0f frames/s", model, p.epoch + 1, p.epochs,
                          p.step, p.stepsInEpoch, p.loss, p.framesPerSecond)
        if let perEpoch = p.secondsPerEpoch {
            line += " | at most " + ProgressReporter.duration(perEpoch * Double(p.epochs - p.epoch)) + " left"
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        liveLineShown = true
    }

    public func epoch(_ model: String, _ e: EpochRecord, epochs: Int) {
        func value(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
        log("\(model) epoch \(e.epoch + 1)/\(epochs): lr \(String(format: "%.3g", e.learningRate)) train loss \(value(e.trainLoss))"
            + " val mse \(value(e.valMse)) tau \(value(e.valKendallTau)) rho \(value(e.valSpearmanRho))"
            + String(format: " (%.1f s train, %.1f s val)", e.trainSeconds, e.valSeconds)
            + (e.skippedSteps > 0 ? " skipped \(e.skippedSteps) non-finite steps" : "") + (e.improved ? " *" : ""))
    }

    private func clearLiveLine() {
        if liveLineShown {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            liveLineShown = false
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
