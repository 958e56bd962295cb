import FileSupport
import Foundation
import Models
import VideoData

/// A sweep's run matrix: models x variants x sizes x seeds x data sets (x folds), with the schedule
/// overrides and model options every task shares.
public struct SweepMatrix: Sendable {
    public var models: [String]
    public var variants: [ModelVariant] = [.report]
    public var sizes: [ModelSize] = [.paper]
    public var seeds: [UInt64] = [0]
    public var datasets: [DataSource]
    /// Every fold of each data set's split file (`--splits all`), or the folds `foldSubset` lists; a
    /// fold is then a dimension of the matrix and each task runs one.
    public var allSplits = false
    public var foldSubset: [Int]? = nil
    public var selection: ModelSelection = .val
    public var overrides = ScheduleOverrides()
    public var modelOptions: [String: String] = [:]
    /// Threads of each task (results depend on it, so it is part of a task's identity).
    public var threads = 1

    public init(models: [String], datasets: [DataSource]) {
        self.models = models
        self.datasets = datasets
    }
}

/// One task of a sweep: exactly one `bench model ... --into <comparison>` invocation.
public struct SweepTask: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Its folder is empty or absent.
        case pending
        /// An earlier attempt did not complete; the task moves it aside and runs again.
        case rerun
        /// Completed with the same configuration and data: skipped.
        case completed
    }

    public var index: Int
    public var model: String
    public var variant: String
    public var size: String
    public var seed: UInt64
    /// The data set's label (the data file's name, or `synthetic-<seed>`).
    public var dataset: String
    public var fold: Int?
    /// The comparison folder the task writes into, and its own run folder in it.
    public var comparison: String
    public var folder: String
    /// `bench` and the arguments after it.
    public var arguments: [String]
    public var state: State
    /// Why an earlier attempt counts as unfinished (for `rerun`).
    public var note: String?

    public var label: String {
        "\(model)" + (variant == ModelVariant.report.rawValue ? "" : "/\(variant)") + " \(size) seed \(seed)" + (fold.map { " split \($0)" } ?? "")
            + " (\(dataset))"
    }

    public var toRun: Bool { state != .completed }
}

/// `sweep.json` in the sweep folder: the task list of the latest `bench sweep` over it.
public struct SweepFile: Codable, Sendable {
    public var schema = "bench.sweep"
    public var schemaVersion = 1
    public var name: String
    public var written: String
    /// The comparison folders (one per data set) that the merge reports on.
    public var comparisons: [String]
    public var tasks: [SweepTask]

    public init(name: String, comparisons: [String], tasks: [SweepTask]) {
        self.name = name
        self.comparisons = comparisons
        self.tasks = tasks
        written = ISO8601DateFormatter().string(from: Date())
    }
}

/// The fields of a task that its `bench model` arguments are made from.
public struct SweepTaskKey: Sendable {
    public var model: String
    public var variant: ModelVariant
    public var size: ModelSize
    public var seed: UInt64
    public var dataset: DataSource
    public var fold: Int?
    public var comparison: URL
}

public enum SweepPlanner {
    /// Expands the matrix into tasks under `folder` after checking everything a task would check
    /// (each model, variant, option and schedule; each data set read and validated as a run reads it,
    /// its folds, the selection for every seed, video lengths), and what earlier attempts left in the
    /// task folders: a completed run of another configuration, or a task still running in another
    /// process, is refused. Nothing is written but, for an unfinished task, the probe of its lock file.
    public static func plan(_ matrix: SweepMatrix, folder: URL, registry: ModelRegistry = .standard,
                            arguments: (SweepTaskKey) -> [String], log: (String) -> Void = { _ in }) throws -> (tasks: [SweepTask], comparisons: [URL]) {
        try checkDimension("models", matrix.models.isEmpty ? [] : matrix.models)
        try checkDimension("variants", matrix.variants.map(\.rawValue))
        try checkDimension("sizes", matrix.sizes.map(\.rawValue))
        try checkDimension("seeds", matrix.seeds.map(String.init))
        guard !matrix.datasets.isEmpty else { throw HarnessError.invalidArgument("the sweep matrix is empty: no data sets") }
        try ThreadLimit.check(matrix.threads)
        // Every model, variant, option and schedule first, before any data is read.
        for source in matrix.datasets {
            for variant in matrix.variants {
                for size in matrix.sizes {
                    for model in matrix.models {
                        _ = try RunPlan.resolve(RunPlan.Request(model: model, variant: variant, size: size, options: matrix.modelOptions,
                                                                overrides: matrix.overrides, threads: matrix.threads),
                                                dataPath: source.dataFile.path, registry: registry)
                    }
                }
            }
        }
        let labels = datasetLabels(matrix.datasets)
        var tasks: [SweepTask] = [], comparisons: [URL] = [], conflicts: [String] = []
        for (datasetIndex, source) in matrix.datasets.enumerated() {
            let datasetFolder = matrix.datasets.count > 1 ? folder.appendingPathComponent(labels[datasetIndex]) : folder
            comparisons.append(datasetFolder)
            log("checking \(source.dataFile.path) (split \(source.splitFile.lastPathComponent)) ...")
            let data = try PreparedData.open(source, expectedFeatureWidth: nil)
            var folds: [(index: Int?, data: PreparedData)] = [(nil, data)]
            if matrix.allSplits {
                folds = try BenchSession.folds(of: data, subset: matrix.foldSubset).map { ($0.index, $0.data) }
            }
            for variant in matrix.variants {
                for size in matrix.sizes {
                    let several = matrix.variants.count > 1 || matrix.sizes.count > 1
                    let comparison = several ? datasetFolder.appendingPathComponent("\(variant.rawValue)-\(size.rawValue)") : datasetFolder
                    for model in matrix.models {
                        for seed in matrix.seeds {
                            let request = RunPlan.Request(model: model, variant: variant, size: size, options: matrix.modelOptions,
                                                          overrides: matrix.overrides, seed: seed, threads: matrix.threads)
                            let plan = try RunPlan.resolve(request, dataPath: source.dataFile.path, registry: registry)
                            for fold in folds {
                                try BenchSession.checkLengths([plan], data: fold.data)
                                let runData = try fold.data.selecting(matrix.selection, seed: seed)
                                var layout = SessionOptions(models: [model])
                                layout.into = comparison
                                let runFolder = layout.runFolder(plan, fold: fold.index, in: comparison)
                                let key = SweepTaskKey(model: model, variant: variant, size: size, seed: seed, dataset: source,
                                                       fold: fold.index, comparison: comparison)
                                var task = SweepTask(index: tasks.count, model: model, variant: variant.rawValue, size: size.rawValue,
                                                     seed: seed, dataset: labels[datasetIndex], fold: fold.index,
                                                     comparison: comparison.path, folder: runFolder.path, arguments: arguments(key),
                                                     state: .pending, note: nil)
                                switch TaskFolder.state(of: runFolder, expected: IntoComparison.identity(plan, runData)) {
                                case .empty: break
                                case .completed: task.state = .completed
                                case let .unfinished(why):
                                    // Unfinished may mean still running (its process holds the task's lock).
                                    do { _ = try TaskFolder.Lock(runFolder) } catch { conflicts.append("\(error)") }
                                    task.state = .rerun
                                    task.note = why
                                case let .completedOther(_, differences):
                                    conflicts.append("\(runFolder.path): a completed run of another configuration (a run is never replaced: use another sweep name): "
                                                     + differences.joined(separator: "; "))
                                }
                                tasks.append(task)
                            }
                        }
                    }
                }
            }
        }
        guard conflicts.isEmpty else {
            throw HarnessError.invalidArgument("the sweep folder holds runs it cannot take over (nothing was written):\n  " + conflicts.joined(separator: "\n  "))
        }
        return (tasks, comparisons)
    }

    static func checkDimension(_ name: String, _ values: [String]) throws {
        guard !values.isEmpty else { throw HarnessError.invalidArgument("the sweep matrix is empty: no \(name)") }
        var seen = Set<String>()
        if let twice = values.first(where: { !seen.insert($0).inserted }) {
            throw HarnessError.invalidArgument("the sweep's \(name) list \(twice) twice")
        }
    }

    /// A folder name per data set: the data file's name without extension (the synthetic set's cache
    /// cache folder, `synthetic-<seed>`), made unique with `-2`, `-3`, ...
    static func datasetLabels(_ sources: [DataSource]) -> [String] {
        var used = Set<String>()
        return sources.map { source in
            let parent = source.dataFile.deletingLastPathComponent().lastPathComponent
            let base = source.synthetic && parent.hasPrefix("synthetic-") ? parent : source.dataFile.deletingPathExtension().lastPathComponent
            var label = base, n = 1
            while !used.insert(label).inserted { n += 1; label = "\(base)-\(n)" }
            return label
        }
    }
}
