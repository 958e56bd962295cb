import FileSupport
import Foundation

/// `bench model --into DIR`, the one command a sweep task runs: each run of the session goes to its
/// place in the comparison folder DIR, and what an earlier attempt left there decides what happens.
/// A completed run of another configuration is refused for every run before anything is written.
struct IntoComparison {
    let folder: URL
    let options: SessionOptions

    init(options: SessionOptions, runs: [(plan: RunPlan, fold: Int?, data: PreparedData)]) throws {
        folder = options.into!.standardizedFileURL
        self.options = options
        var conflicts: [String] = []
        for run in runs {
            let runFolder = options.runFolder(run.plan, fold: run.fold, in: folder)
            if case let .completedOther(_, differences) = TaskFolder.state(of: runFolder, expected: Self.identity(run.plan, run.data)) {
                conflicts.append("\(runFolder.path): " + differences.joined(separator: "; "))
            }
        }
        guard conflicts.isEmpty else { throw Self.conflict(conflicts) }
    }

    static func conflict(_ lines: [String]) -> HarnessError {
        .invalidArgument("a completed run of another configuration is already there (a run is never replaced: use another sweep name or folder):\n  "
                         + lines.joined(separator: "\n  "))
    }

    static func identity(_ plan: RunPlan, _ data: PreparedData) -> RunIdentity {
        RunIdentity(plan: plan, data: data)
    }

    func create() throws -> (id: String, url: URL) {
        try AtomicFile.createFolder(folder)
        return (folder.lastPathComponent, folder)
    }

    /// Called with the task's lock held: the completed record when the run is already there (skipped),
    /// nil when it is to run into `runFolder`, an unfinished earlier attempt moved aside first.
    func prepare(_ runFolder: URL, plan: RunPlan, data: PreparedData, progress: ProgressReporter) throws -> RunRecord? {
        let label = "\(plan.model) seed \(plan.seed)" + (data.folds == nil ? "" : " split \(data.info.splitIndex)")
        switch TaskFolder.state(of: runFolder, expected: Self.identity(plan, data)) {
        case .empty:
            return nil
        case let .completed(record):
            progress.log("\(label): already completed in \(runFolder.path) with this configuration and data; skipped")
            return record
        case let .completedOther(_, differences):
            throw Self.conflict(["\(runFolder.path): " + differences.joined(separator: "; ")])
        case let .unfinished(why):
            let aside = try TaskFolder.moveAside(runFolder)
            progress.log("\(label): the earlier attempt did not complete (\(why)); its files are kept in \(aside.path), running again")
            return nil
        }
    }
}
