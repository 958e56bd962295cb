import FileSupport
import Foundation
import Models
import TensorCore
import VideoData

/// A `bench all` or `bench model` invocation: data resolved and validated first, then each model run in
/// turn into its own folder, then the comparison. Nothing is created under the results root until the
/// data has passed its checks.
public struct SessionOptions {
    public var models: [String]
    public var variant: ModelVariant = .report
    public var size: ModelSize = .small
    /// The seeds of the run matrix; each (model, seed) is its own run.
    public var seeds: [UInt64] = [0]
    public var threads: Int = 1
    public var overrides = ScheduleOverrides()
    public var modelOptions: [String: String] = [:]
    /// nil = the synthetic set for `syntheticSeed`, from the cache.
    public var data: DataSource?
    public var syntheticSeed: UInt64 = SyntheticConfig.default.seed
    public var cacheRoot: URL = DataSource.cacheRoot
    public var resultsRoot = URL(fileURLWithPath: "results")
    /// Writes each model into a subfolder and the comparison files beside them (`bench all`). Without
    /// it (`bench model`), one seed's run is the folder itself and several seeds' runs are its
    /// `seed-<s>` subfolders with the comparison beside them.
    public var comparison = true
    /// Where models come from (tests register their own).
    public var registry: ModelRegistry = .standard
    /// Measures the machine's sgemm rate once (switch off in tests to save time).
    public var measureSgemmPeak = true
    /// `--splits all`: every fold of the split file, each (model, seed, fold) its own run.
    public var allSplits = false
    /// `--selection`: which videos choose the tested epoch.
    public var selection: ModelSelection = .val
    /// With `allSplits`, only these folds (`--splits 0,2`; a sweep task runs one); nil: every fold.
    public var foldSubset: [Int]? = nil
    /// `bench model --into DIR`: each run goes to its place in the comparison folder DIR
    /// (`<model>/seed-<s>/[split-<k>/]`, run id DIR's name) instead of a new folder under the results
    /// root; a completed run of the same configuration is skipped, an unfinished one moved aside
    /// (`IntoComparison`). No summary is written: the sweep's merge makes it.
    public var into: URL? = nil
    /// `--distributed mpi`: this process's rank of a data-parallel run of one model, seed and fold.
    public var parallel: DataParallel?

    public init(models: [String]) { self.models = models }

    /// The request for one model of the session.
    func request(_ model: String, seed: UInt64) -> RunPlan.Request {
        RunPlan.Request(model: model, variant: variant, size: size, options: modelOptions, overrides: overrides, seed: seed,
                        threads: threads)
    }

    /// Where one run of the matrix goes inside the session's folder: `<model>/seed-<s>/` (`bench all`),
    /// `seed-<s>/` (`bench model`, several seeds) or the folder itself, with `split-<k>/` below when the
    /// session runs every fold.
    func runFolder(_ plan: RunPlan, fold: Int? = nil, in folder: URL) -> URL {
        let comparison = comparison || into != nil
        if !comparison && seeds.count == 1 && fold == nil { return folder }
        let seedFolder = "seed-\(plan.seed)"
        let run = comparison ? folder.appendingPathComponent(plan.model).appendingPathComponent(seedFolder)
                             : folder.appendingPathComponent(seedFolder)
        return fold.map { run.appendingPathComponent("split-\($0)") } ?? run
    }

    /// Whether the session writes a comparison (summary files) beside its runs.
    var writesComparison: Bool { into == nil && (comparison || seeds.count > 1 || allSplits) }
}

public struct SessionResult {
    public var runId: String
    public var folder: URL
    public var records: [RunRecord]
    /// Models that failed, with the reason (the session goes on to the next model).
    public var failures: [(model: String, message: String)]
    public var interrupted: Bool
    public var summary: Summary?
}

public enum BenchSession {
    public static func run(_ options: SessionOptions, stop: StopRequest = InterruptHandling.request,
                           progress: ProgressReporter = ProgressReporter()) throws -> SessionResult {
        guard !options.models.isEmpty else { throw HarnessError.invalidArgument("no models to run (the registry is empty?)") }
        guard !options.seeds.isEmpty else { throw HarnessError.invalidArgument("no seeds to run") }
        guard Set(options.seeds).count == options.seeds.count else {
            throw HarnessError.invalidArgument("--seeds lists a seed twice: \(options.seeds.map(String.init).joined(separator: ","))")
        }
        guard Set(options.models).count == options.models.count else {
            throw HarnessError.invalidArgument("--models lists a model twice: \(options.models.joined(separator: ","))")
        }
        if options.parallel != nil && (options.comparison || options.models.count > 1 || options.seeds.count > 1 || options.allSplits) {
            throw HarnessError.invalidArgument("--distributed mpi trains one run (bench model NAME, one seed, one fold); "
                                               + "run several as separate mpirun jobs")
        }
        // A task skipped as already finished in its comparison folder would leave the other ranks waiting.
        if options.parallel != nil && options.into != nil {
            throw HarnessError.invalidArgument("--distributed mpi writes a run folder of its own under --out; it does not take --into")
        }
        let source = try options.data ?? DataSource.synthetic(seed: options.syntheticSeed, cacheRoot: options.cacheRoot, log: progress.log)
        // Every plan is resolved (model, options, schedule) before the data is read or anything is written.
        let plans = try options.models.flatMap { model in
            try options.seeds.map { seed in
                try RunPlan.resolve(options.request(model, seed: seed), dataPath: source.dataFile.path, registry: options.registry)
            }
        }
        progress.log("checking \(source.dataFile.path) (split \(source.splitFile.lastPathComponent)) ...")
        let data = try PreparedData.open(source, expectedFeatureWidth: nil)
        progress.log("data ok: \(data.info.trainVideos) train / \(data.info.valVideos) val / \(data.info.testVideos) test videos, "
                     + "width \(data.info.featureWidth)" + (data.info.synthetic ? " (\(data.info.standInLabel))" : ""))
        if let annotators = data.annotators {
            progress.log("rank correlation: annotators protocol, \(annotators.videoCount) videos' annotators from \(annotators.file) (ids from \(annotators.mappingFrom))")
        }
        for warning in data.warnings { progress.log("WARNING: " + warning) }
        if let eccv16 = data.eccv16 {
            progress.log("F1: eccv16 user summaries, \(eccv16.f1Reduction) over users (set: \(eccv16.dataset?.rawValue ?? "not known"), "
                         + "from \(eccv16.datasetFrom); reduction from \(eccv16.f1ReductionFrom))")
        }
        // Every fold, and every run's selection (a fold too small to carve validation videos from is an
        // error), is checked before the results folder is made.
        var folds: [(index: Int?, data: PreparedData)] = [(nil, data)]
        if options.allSplits {
            folds = try Self.folds(of: data, subset: options.foldSubset).map { ($0.index, $0.data) }
            progress.log("--splits: \(folds.count) folds of \(source.splitFile.lastPathComponent)")
        }
        var runs: [(plan: RunPlan, fold: Int?, data: PreparedData)] = []
        for plan in plans {
            for fold in folds { runs.append((plan, fold.index, try fold.data.selecting(options.selection, seed: plan.seed))) }
        }
        if options.selection == .test { progress.log("WARNING: --selection test: every epoch is chosen on the test fold, \(ModelSelection.optimisticLabel)") }
        for fold in folds { try checkLengths(plans, data: fold.data) }
        Threading.setCount(options.threads)
        if let parallel = options.parallel, !parallel.isRoot {
            // The other ranks train their shares in step with rank 0 and write nothing.
            let stopped = try ModelRun.follow(runs[0].plan, data: runs[0].data, parallel: parallel, stop: stop)
            return SessionResult(runId: "", folder: options.resultsRoot, records: [], failures: [], interrupted: stopped, summary: nil)
        }
        if let warning = MachineInfo.blasWarning { progress.log("WARNING: " + warning) }
        let peak = options.measureSgemmPeak ? SgemmPeak.measure() : 0
        if peak > 0 { progress.log(String(format: "sgemm peak (1024^3, %d threads): %.1f GFLOP/s", options.threads, peak)) }

        let into = try options.into.map { _ in try IntoComparison(options: options, runs: runs) }
        let what = options.comparison ? "all-\(options.size.rawValue)" : "\(options.models[0])-\(options.size.rawValue)"
        let (runId, folder) = try into?.create() ?? RunFolder.create(in: options.resultsRoot, what: what)
        progress.log("results: \(folder.path)")
        var result = SessionResult(runId: runId, folder: folder, records: [], failures: [], interrupted: false, summary: nil)
        for (plan, fold, runData) in runs {
            if stop.isRequested { result.interrupted = true; break }
            let modelFolder = options.runFolder(plan, fold: fold, in: folder)
            // Held until the run has ended (the loop's next turn or the session's end releases it).
            let lock = try into.map { _ in try TaskFolder.Lock(modelFolder) }
            if let into, let finished = try into.prepare(modelFolder, plan: plan, data: runData, progress: progress) {
                result.records.append(finished)
                continue
            }
            try AtomicFile.createFolder(modelFolder)
            if let fold { progress.log("\(plan.model) seed \(plan.seed): fold \(fold + 1) of \(folds.count)") }
            do {
                let record = try ModelRun.run(plan, data: runData, folder: modelFolder, runId: runId, sgemmPeakGflops: peak,
                                              stop: stop, progress: progress, parallel: options.parallel)
                result.records.append(record)
                if record.status == .interrupted { result.interrupted = true; break }
            } catch {
                var label = options.seeds.count > 1 ? "\(plan.model) (seed \(plan.seed))" : plan.model
                if let fold { label += " (split \(fold))" }
                progress.log("\(label) FAILED: \(error)")
                result.failures.append((label, "\(error)"))
                if let record = try? RunRecord.read(modelFolder.appendingPathComponent(ModelRun.runFileName)) {
                    result.records.append(record)
                } else {
                    // Failed before its first file (the model could not be built): no empty folder stays
                    // behind to look like a run (`<model>/seed-<s>/` and `<model>/` inside the session's
                    // folder). rmdir removes only empty folders.
                    var empty = modelFolder.standardizedFileURL
                    while empty.path.hasPrefix(folder.standardizedFileURL.path + "/"), rmdir(empty.path) == 0 {
                        empty = empty.deletingLastPathComponent()
                    }
                }
            }
            withExtendedLifetime(lock) {}
        }
        if options.writesComparison {
            let summary = try Summary(records: result.records, runIds: [runId])
            try SummaryWriter.write(summary, to: folder)
            result.summary = summary
            progress.log("comparison written to \(folder.path)/summary.md")
        }
        return result
    }

    /// The folds of the data's split file (`--splits all`), or those `subset` lists, each checked.
    static func folds(of data: PreparedData, subset: [Int]?) throws -> [(index: Int, data: PreparedData)] {
        let file = data.source.splitFile
        let splits = try SplitFile.readAll(file)
        let chosen = subset ?? Array(splits.indices)
        if let outside = chosen.first(where: { !splits.indices.contains($0) }) {
            throw HarnessError.invalidArgument("--splits: fold \(outside) is not in \(file.path), which has \(splits.count) folds (0 to \(splits.count - 1))")
        }
        return try chosen.map { ($0, try data.fold($0, split: splits[$0], of: splits.count)) }
    }

    /// Every video of the split against each model's length limits, before anything is written.
    static func checkLengths(_ plans: [RunPlan], data: PreparedData) throws {
        for plan in plans {
            guard let frames = plan.entry.contract.frames else { continue }
            for key in data.dataset.split.allKeys {
                let length = try data.dataset.length(of: key)
                guard frames.contains(length) else {
                    throw HarnessError.invalidArgument("\(data.source.dataFile.path), video \(key): \(length) frames, but \(plan.model) "
                        + "(\(plan.variant.rawValue)) takes videos of \(frames.lowerBound) to \(frames.upperBound) frames")
                }
            }
        }
    }
}
