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
    public var seed: UInt64 = 0
    public var threads: Int = 1
    public var overrides = ScheduleOverrides()
    public var modelOptions: [String: String] = [:]
    /// nil = the synthetic set for `syntheticSeed`, from the cache.
    public var data: DataSource?
    public var syntheticSeed: UInt64 = SyntheticConfig.default.seed
    public var cacheRoot: URL = DataSource.cacheRoot
    public var resultsRoot = URL(fileURLWithPath: "results")
    /// Writes each model into a subfolder and the comparison files beside them (`bench all`).
    public var comparison = true
    public var makeModel: (ModelSpec) throws -> any SummaryModel = ModelRegistry.make
    public var publishedSchedule: (String, ModelVariant, String) throws -> TrainingSchedule = ScheduleTable.published
    /// Measures the machine's sgemm rate once (switch off in tests to save time).
    public var measureSgemmPeak = true

    public init(models: [String]) { self.models = models }
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
        guard options.threads >= 1 else { throw HarnessError.invalidArgument("--threads must be at least 1") }
        let source = try options.data ?? DataSource.synthetic(seed: options.syntheticSeed, cacheRoot: options.cacheRoot, log: progress.log)
        // Every schedule is resolved before the data is read or anything is written.
        for model in options.models {
            let request = ModelRunRequest(model: model, variant: options.variant, size: options.size, overrides: options.overrides,
                                          publishedSchedule: options.publishedSchedule)
            _ = try ModelRun.schedule(for: request, dataHint: source.dataFile.path)
        }
        progress.log("checking \(source.dataFile.path) (split \(source.splitFile.lastPathComponent)) ...")
        let data = try PreparedData.open(source, expectedFeatureWidth: nil)
        progress.log("data ok: \(data.info.trainVideos) train / \(data.info.valVideos) val / \(data.info.testVideos) test videos, "
                     + "width \(data.info.featureWidth)" + (data.info.synthetic ? " (SYNTHETIC stand-in, not MR.HiSum)" : ""))
        Threading.setCount(options.threads)
        if let warning = MachineInfo.blasWarning { progress.log("WARNING: " + warning) }
        let peak = options.measureSgemmPeak ? SgemmPeak.measure() : 0
        if peak > 0 { progress.log(String(format: "sgemm peak (1024^3, %d threads): %.1f GFLOP/s", options.threads, peak)) }

        let what = options.comparison ? "all-\(options.size.rawValue)" : "\(options.models[0])-\(options.size.rawValue)"
        let (runId, folder) = try RunFolder.create(in: options.resultsRoot, what: what)
        progress.log("results: \(folder.path)")
        var result = SessionResult(runId: runId, folder: folder, records: [], failures: [], interrupted: false, summary: nil)
        for model in options.models {
            if stop.isRequested { result.interrupted = true; break }
            let modelFolder = options.comparison ? folder.appendingPathComponent(model) : folder
            try FileManager.default.createDirectory(at: modelFolder, withIntermediateDirectories: true)
            let request = ModelRunRequest(model: model, variant: options.variant, size: options.size, seed: options.seed,
                                          threads: options.threads, overrides: options.overrides,
                                          modelOptions: options.modelOptions, makeModel: options.makeModel,
                                          publishedSchedule: options.publishedSchedule)
            do {
                let record = try ModelRun.run(request, data: data, folder: modelFolder, runId: runId, sgemmPeakGflops: peak,
                                              stop: stop, progress: progress)
                result.records.append(record)
                if record.status == .interrupted { result.interrupted = true; break }
            } catch {
                progress.log("\(model) FAILED: \(error)")
                result.failures.append((model, "\(error)"))
                if let record = try? RunRecord.read(modelFolder.appendingPathComponent(ModelRun.runFileName)) {
                    result.records.append(record)
                }
            }
        }
        if options.comparison {
            let summary = Summary(records: result.records, runIds: [runId])
            try SummaryWriter.write(summary, to: folder)
            result.summary = summary
            progress.log("comparison written to \(folder.path)/summary.md")
        }
        return result
    }
}
