import Evaluation
import Foundation
import Models
import TensorCore
import VideoData

/// What to run: one model on prepared data, into its own folder.
public struct ModelRunRequest {
    public var model: String
    public var variant: ModelVariant
    public var size: ModelSize
    public var seed: UInt64
    public var threads: Int
    public var overrides: ScheduleOverrides
    public var modelOptions: [String: String]
    /// Builds the model (the registry, or a test's own model).
    public var makeModel: (ModelSpec) throws -> any SummaryModel
    /// The published schedule of a model and variant, given a data path hint (the table, or a test's own).
    public var publishedSchedule: (String, ModelVariant, String) throws -> TrainingSchedule

    public init(model: String, variant: ModelVariant = .report, size: ModelSize = .small, seed: UInt64 = 0, threads: Int = 1,
                overrides: ScheduleOverrides = .init(), modelOptions: [String: String] = [:],
                makeModel: @escaping (ModelSpec) throws -> any SummaryModel = ModelRegistry.make,
                publishedSchedule: @escaping (String, ModelVariant, String) throws -> TrainingSchedule = ScheduleTable.published) {
        self.model = model
        self.variant = variant
        self.size = size
        self.seed = seed
        self.threads = threads
        self.overrides = overrides
        self.modelOptions = modelOptions
        self.makeModel = makeModel
        self.publishedSchedule = publishedSchedule
    }
}

/// Runs one model end to end: schedule, model, training with run.json and curves.csv rewritten after
/// every epoch, test of the chosen checkpoint, predictions.h5, measurements. The folder must be new.
public enum ModelRun {
    public static let runFileName = "run.json"
    public static let checkpointFileName = "best.safetensors.zst"
    public static let predictionsFileName = "predictions.h5"
    public static let curvesFileName = "curves.csv"

    public static let deviations = [
        "computed in fp32; the report trained with fp16 autocast on a GPU",
        "warm-up epoch e uses peak x (e + 1) / W and the peak is the table's rate (the report's code started at 0 and jumped to 3e-4)",
        "loss is the masked MSE over real frames (the report's test loss averaged padded batches)",
    ]

    /// The schedule a request runs and the overrides it applies.
    public static func schedule(for request: ModelRunRequest, dataHint: String) throws -> (published: TrainingSchedule, used: TrainingSchedule, overrides: [ScheduleOverride]) {
        let published = try request.publishedSchedule(request.model, request.variant, dataHint)
        let (used, overrides) = request.overrides.apply(to: published)
        try used.validate()
        return (published, used, overrides)
    }

    @discardableResult
    public static func run(_ request: ModelRunRequest, data: PreparedData, folder: URL, runId: String, sgemmPeakGflops: Double,
                           stop: StopRequest = InterruptHandling.request, progress: ProgressReporter = ProgressReporter(quiet: true)) throws -> RunRecord {
        let startedAt = Date()
        Threading.setCount(request.threads)
        let (published, schedule, overrides) = try schedule(for: request, dataHint: data.source.dataFile.path)
        if schedule.loss != .maskedMSE {
            throw HarnessError.unsupportedLoss(model: request.model, loss: schedule.loss.rawValue)
        }
        let spec = ModelSpec(name: request.model, variant: request.variant, size: request.size, inputDim: data.info.featureWidth,
                             dropout: Float(schedule.dropout), seed: request.seed, options: request.modelOptions)
        let model = try request.makeModel(spec)
        progress.log("\(request.model) (\(request.variant.rawValue), \(request.size.rawValue)): \(model.parameterCount) parameters; schedule:")
        for line in schedule.lines { progress.log("  " + line) }
        for o in overrides { progress.log("  OVERRIDE \(o.name): \(o.published) -> \(o.used)") }

        let runFile = folder.appendingPathComponent(runFileName)
        var record = RunRecord(
            status: .running, stoppedAt: nil, message: nil, runId: runId, started: ISO8601DateFormatter().string(from: startedAt),
            finished: nil, wallSeconds: nil,
            model: ModelInfo(name: request.model, variant: request.variant.rawValue, size: request.size.rawValue,
                             parameters: model.parameterCount, configuration: model.configuration),
            schedule: schedule, publishedSchedule: published, overrides: overrides, deviations: deviations, data: data.info,
            seed: request.seed, threads: request.threads, epochs: [], chosenEpoch: nil, selectionRule: "", test: nil,
            skippedNonFiniteSteps: 0, performance: nil, machine: MachineInfo.current(threads: request.threads),
            files: ["curves": curvesFileName])
        func save() throws {
            try writeAtomically(try record.encoded(), to: runFile)
            try writeAtomically(Data(CurvesFile.text(record.epochs).utf8), to: folder.appendingPathComponent(curvesFileName))
        }
        func finish(_ status: RunStatus, _ message: String?) throws {
            record.status = status
            record.message = message
            record.finished = ISO8601DateFormatter().string(from: Date())
            record.wallSeconds = Date().timeIntervalSince(startedAt)
            try save()
        }
        try save()

        var trainer = Trainer(schedule: schedule, seed: request.seed, stop: stop,
                              checkpointURL: folder.appendingPathComponent(checkpointFileName))
        trainer.checkpointMetadata = ["model": request.model, "variant": request.variant.rawValue, "size": request.size.rawValue,
                                      "run_id": runId]
        let events = TrainingEvents(
            stepFinished: { progress.step(request.model, $0) },
            epochFinished: { epoch, skipped in
                record.epochs.append(epoch)
                record.skippedNonFiniteSteps = skipped
                if epoch.improved {
                    record.chosenEpoch = epoch.epoch
                    record.files["checkpoint"] = checkpointFileName
                }
                try save()
                progress.epoch(request.model, epoch, epochs: schedule.epochs)
            })
        Accounting.resetPeak()
        resetPeakResident()
        let outcome: TrainingOutcome
        do {
            outcome = try trainer.train(model, dataset: data.dataset, events: events)
        } catch {
            try? finish(.failed, "\(error)")
            throw error
        }
        record.selectionRule = outcome.selectionRule
        record.skippedNonFiniteSteps = outcome.skippedSteps
        if let stopped = outcome.stoppedAt {
            record.stoppedAt = stopped
            let kept = record.chosenEpoch.map { "the checkpoint of epoch \($0 + 1) is kept" } ?? "no checkpoint was written"
            try finish(.interrupted, "stopped in epoch \(stopped.epoch + 1) before step \(stopped.step + 1); "
                       + "\(record.epochs.count) finished epochs are recorded and \(kept); the test split was not evaluated")
            progress.log("\(request.model): interrupted; results so far in \(folder.path)")
            return record
        }

        // One video at a time: the models score a video the same in any batch (README "Padding"), and
        // unbatched, a prediction is bit-identical to that video's own forward pass and costs no padding.
        let predictor = SplitPredictor(batchSize: 1)
        let tested = try predictor.evaluate(model, dataset: data.dataset, keys: data.dataset.split.test)
        record.test = tested.evaluation
        let writer = try PredictionsWriter(destination: folder.appendingPathComponent(predictionsFileName))
        do {
            for (video, prediction) in zip(tested.videos, tested.predictions) {
                try writer.write(key: video.key, pred: prediction, gtscore: video.gtscore)
            }
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
        record.files["predictions"] = predictionsFileName

        let inferenceFrames = outcome.valFrames + tested.frames
        let inferenceSeconds = outcome.valSeconds + tested.seconds
        let achieved = outcome.trainSeconds > 0 ? outcome.trainFlops / outcome.trainSeconds / 1e9 : 0
        record.performance = PerformanceInfo(
            trainFramesPerSecond: outcome.trainSeconds > 0 ? Double(outcome.trainFrames) / outcome.trainSeconds : 0,
            inferenceFramesPerSecond: inferenceSeconds > 0 ? Double(inferenceFrames) / inferenceSeconds : 0,
            msPerStep: outcome.optimizerSteps > 0 ? outcome.trainSeconds * 1000 / Double(outcome.optimizerSteps) : 0,
            optimizerSteps: outcome.optimizerSteps, trainFlops: outcome.trainFlops, achievedGflops: achieved,
            sgemmPeakGflops: sgemmPeakGflops, fractionOfSgemmPeak: sgemmPeakGflops > 0 ? achieved / sgemmPeakGflops : 0,
            peakTensorBytes: Accounting.peakBytes, peakResidentBytes: peakResidentBytes())
        let chosen = record.chosenEpoch.map { "epoch \($0 + 1)" } ?? "none"
        try finish(.completed, outcome.earlyStopped ? "stopped early after \(record.epochs.count) epochs; tested \(chosen)"
                                                    : "ran all \(record.epochs.count) epochs; tested \(chosen)")
        func value(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
        progress.log("\(request.model) test (\(chosen)): mse \(value(tested.evaluation.mse)) tau \(value(tested.evaluation.kendallTau.mean)) "
                     + "rho \(value(tested.evaluation.spearmanRho.mean)) f1 \(value(tested.evaluation.f1.mean)) "
                     + "mAP50 \(value(tested.evaluation.map50.mean)) mAP15 \(value(tested.evaluation.map15.mean))")
        return record
    }
}
