import FileSupport
import Foundation

/// A run's own new folder under the results root; never an existing one.
public enum RunFolder {
    /// `<root>/<yyyyMMdd-HHmmss>-<what>`, with `-2`, `-3`, ... appended if that name is taken.
    /// Creating the folder with `withIntermediateDirectories: false` fails if it exists, so two runs
    /// started in the same second cannot share one.
    public static func create(in root: URL, what: String, date: Date = Date()) throws -> (id: String, url: URL) {
        try AtomicFile.createFolder(root)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let safe = what.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }
        let base = formatter.string(from: date) + "-" + String(safe)
        for attempt in 1...1000 {
            let id = attempt == 1 ? base : "\(base)-\(attempt)"
            let url = root.appendingPathComponent(id)
            if try AtomicFile.createNewFolder(url) { return (id, url) }
        }
        throw HarnessError.invalidArgument("\(root.path): could not find a free run folder name for \(base)")
    }
}

/// `curves.csv`: one row per finished epoch.
public enum CurvesFile {
    public static let header = "epoch,learning_rate,train_loss,optimizer_steps,skipped_steps,train_frames,train_seconds,val_mse,val_kendall_tau,val_spearman_rho,val_seconds,improved"

    public static func text(_ epochs: [EpochRecord]) -> String {
        func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        let rows = epochs.map { e in
            ["\(e.epoch)", "\(e.learningRate)", number(e.trainLoss), "\(e.optimizerSteps)", "\(e.skippedSteps)",
             "\(e.trainFrames)", String(format: "%.3f", e.trainSeconds), number(e.valMse), number(e.valKendallTau),
             number(e.valSpearmanRho), String(format: "%.3f", e.valSeconds), e.improved ? "1" : "0"].joined(separator: ",")
        }
        return ([header] + rows).joined(separator: "\n") + "\n"
    }
}
