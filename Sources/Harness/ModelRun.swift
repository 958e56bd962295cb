import Evaluation
import FileSupport
import Foundation
import Models
import TensorCore
import VideoData

/// Executes one run plan into its own new folder: the model built, trained with run.json and curves.csv
/// rewritten after every epoch and the checkpoint written whenever validation improves, the chosen epoch
/// tested, predictions.h5, measurements. The run owns every file; the trainer writes none. However the
/// run ends short of SIGKILL, run.json says `completed`, `interrupted` or `failed` with a message.
public enum ModelRun {
    public static let runFileName = "run.json"
    public static let checkpointFileName = "best.safetensors.zst"
    public static let predictionsFileName = "predictions.h5"
    public static let curvesFileName = "curves.csv"

    /// `parallel`: rank 0 of a data-parallel run (the other ranks run `follow`).
    @discardableResult
    public static func run(_ plan: RunPlan, data: PreparedData, folder: URL, runId: String, sgemmPeakGflops: Double,
                           stop: StopRequest = InterruptHandling.request, progress: ProgressReporter = ProgressReporter(quiet: true),
                           parallel: DataParallel? = nil) throws -> RunRecord {
        // The run holds its thread count: OpenBLAS's bits can depend on it (`Threading.withCount`).
        try Threading.withCount(plan.threads) {
            try runHoldingTheCount(plan, data: data, folder: folder, runId: runId, sgemmPeakGflops: sgemmPeakGflops, stop: stop,
                                   progress: progress, parallel: parallel)
        }
    }

    private static func runHoldingTheCount(_ plan: RunPlan, data: PreparedData, folder: URL, runId: String, sgemmPeakGflops: Double,
                                           stop: StopRequest, progress: ProgressReporter, parallel: DataParallel?) throws -> RunRecord {
        let startedAt = Date()
        let inputDim = data.info.featureWidth
        let model = try plan.makeModel(inputDim: inputDim)
        let schedule = plan.schedule
        progress.log("\(plan.model) (\(plan.variant.rawValue), \(plan.size.rawValue)): \(model.parameterCount) parameters; schedule:")
        for line in schedule.lines { progress.log("  " + line) }
        for o in plan.overrides { progress.log("  OVERRIDE \(o.name): \(o.published) -> \(o.used)") }

        let files = try RunFiles(folder: folder, startedAt: startedAt, stop: stop, record: RunRecord(
            status: .running, stoppedAt: nil, message: nil, warnings: data.warnings, runId: runId, started: ISO8601DateFormatter().string(from: startedAt),
            finished: nil, wallSeconds: nil,
            model: ModelInfo(name: plan.model, variant: plan.variant.rawValue, size: plan.size.rawValue,
                             parameters: model.parameterCount, configuration: model.configuration, options: plan.options),
            schedule: schedule, publishedSchedule: plan.publishedSchedule, overrides: plan.overrides,
            deviations: plan.entry.deviations, data: data.info,
            seed: plan.seed, threads: plan.threads, epochs: [], chosenEpoch: nil, selectionRule: "", test: nil,
            skippedNonFiniteSteps: 0, performance: nil, machine: MachineInfo.current(threads: plan.threads),
            files: ["curves": curvesFileName], evaluationProtocol: RunProtocol(data: data),
            distributed: parallel?.info(model: model, threads: plan.threads)))
        if let info = files.record.distributed {
            progress.log("data-parallel: \(info.ranks) MPI ranks x \(info.threadsPerRank) threads; BatchNorm: \(info.batchNorm)")
        }
        do {
            try files.save()
            return try train(model, plan: plan, data: data, runId: runId, sgemmPeakGflops: sgemmPeakGflops, stop: stop,
                             progress: progress, files: files, parallel: parallel)
        } catch {
            // Whatever failed (training, testing, writing predictions, a full disk), the record says so: the
            // space reserved when the run started is released for it first if the disk is full. If even
            // that cannot be written, the original error is the one reported.
            try? files.finish(.failed, "\(error)")
            throw error
        }
    }

    private static func train(_ model: any SummaryModel, plan: RunPlan, data: PreparedData, runId: String,
                              sgemmPeakGflops: Double, stop: StopRequest, progress: ProgressReporter, files: RunFiles,
                              parallel: DataParallel?) throws -> RunRecord {
        let identity = CheckpointIdentity(plan: plan, inputDim: data.info.featureWidth).metadata.merging(["run_id": runId]) { $1 }
        let checkpointFile = files.folder.appendingPathComponent(checkpointFileName)
        let evaluator = Evaluator(data: data)
        var trainer = Trainer(schedule: plan.schedule, seed: plan.seed, stop: stop)
        trainer.parallel = parallel
        let events = TrainingEvents(
            stepFinished: { progress.step(plan.model, $0) },
            epochFinished: { epoch, skipped in
                if epoch.improved {
                    try model.saveCheckpoint(to: checkpointFile, metadata: identity.merging(
                        ["epoch": "\(epoch.epoch)", "val_spearman_rho": epoch.valSpearmanRho.map { "\($0)" } ?? "none"]) { $1 })
                    files.record.chosenEpoch = epoch.epoch
                    files.record.files["checkpoint"] = checkpointFileName
                }
                files.record.epochs.append(epoch)
                files.record.skippedNonFiniteSteps = skipped
                try files.save()
                progress.epoch(plan.model, epoch, epochs: plan.schedule.epochs)
            })
        // Memory an earlier run in this process freed goes back to the system before the peak is reset.
        BufferPool.trim()
        Accounting.resetPeak()
        resetPeakResident()
        let outcome = try trainer.train(model, evaluator: evaluator, events: events)
        files.record.selectionRule = outcome.selectionRule
        if data.selection?.selection == .test {
            // The trainer's "validation" videos are the test fold: say so wherever the rule is shown.
            files.record.selectionRule += "; the validation videos are the test fold: \(ModelSelection.optimisticLabel)"
            progress.log("\(plan.model): WARNING: the epoch is chosen on the test fold, \(ModelSelection.optimisticLabel)")
        }
        files.record.skippedNonFiniteSteps = outcome.skippedSteps
        if let stopped = outcome.stoppedAt {
            files.record.stoppedAt = stopped
            let kept = files.record.chosenEpoch.map { "the checkpoint of epoch \($0 + 1) is kept" } ?? "no checkpoint was written"
            try files.finish(.interrupted, "stopped in epoch \(stopped.epoch + 1) before step \(stopped.step + 1); "
                             + "\(files.record.epochs.count) finished epochs are recorded and \(kept); the test split was not evaluated")
            progress.log("\(plan.model): interrupted; results so far in \(files.folder.path)")
            return files.record
        }

        let tested = try evaluator.evaluate(model, keys: data.dataset.split.test)
        files.record.test = tested.evaluation
        files.record.references = try ReferenceScores.evaluate(tested.videos, layout: data.dataset.layout, source: data.source,
                                                                    eccv16: data.eccv16, annotators: data.annotators)
        files.record.humanAgreement = try ReferenceScores.humanAgreement(tested.videos, annotators: data.annotators)
        try Evaluator.writePredictions(tested, to: files.folder.appendingPathComponent(predictionsFileName))
        files.record.files["predictions"] = predictionsFileName

        let inferenceFrames = outcome.valFrames + tested.frames
        let inferenceSeconds = outcome.valSeconds + tested.seconds
        let achieved = outcome.trainSeconds > 0 ? outcome.trainFlops / outcome.trainSeconds / 1e9 : 0
        files.record.performance = PerformanceInfo(
            trainFramesPerSecond: outcome.trainSeconds > 0 ? Double(outcome.trainFrames) / outcome.trainSeconds : 0,
            inferenceFramesPerSecond: inferenceSeconds > 0 ? Double(inferenceFrames) / inferenceSeconds : 0,
            msPerStep: outcome.optimizerSteps > 0 ? outcome.trainSeconds * 1000 / Double(outcome.optimizerSteps) : 0,
            optimizerSteps: outcome.optimizerSteps, trainFlops: outcome.trainFlops, achievedGflops: achieved,
            sgemmPeakGflops: sgemmPeakGflops, fractionOfSgemmPeak: sgemmPeakGflops > 0 ? achieved / sgemmPeakGflops : 0,
            peakTensorBytes: Accounting.peakBytes, peakResidentBytes: peakResidentBytes())
        let chosen = files.record.chosenEpoch.map { "epoch \($0 + 1)" } ?? "none"
        try files.finish(.completed, outcome.earlyStopped ? "stopped early after \(files.record.epochs.count) epochs; tested \(chosen)"
                                                          : "ran all \(files.record.epochs.count) epochs; tested \(chosen)")
        func value(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
        let optimistic = data.selection?.selection == .test ? ", \(ModelSelection.optimisticLabel)" : ""
        progress.log("\(plan.model) test (\(chosen)\(optimistic)): mse \(value(tested.evaluation.mse)) tau \(value(tested.evaluation.kendallTau.mean)) "
                     + "rho \(value(tested.evaluation.spearmanRho.mean)) f1 \(value(tested.evaluation.f1.mean)) "
                     + "mAP50 \(value(tested.evaluation.map50.mean)) mAP15 \(value(tested.evaluation.map15.mean))")
        return files.record
    }
}

extension ModelRun {
    /// A rank other than 0 of a data-parallel run: the same model trained on its shares of the same
    /// batches, in step with rank 0; it evaluates nothing and writes nothing. Returns whether the run
    /// was stopped (on any rank).
    public static func follow(_ plan: RunPlan, data: PreparedData, parallel: DataParallel, stop: StopRequest) throws -> Bool {
        try Threading.withCount(plan.threads) {
            let model = try plan.makeModel(inputDim: data.info.featureWidth)
            var trainer = Trainer(schedule: plan.schedule, seed: plan.seed, stop: stop)
            trainer.parallel = parallel
            return try trainer.train(model, evaluator: Evaluator(data: data)).stoppedAt != nil
        }
    }
}

/// A run's run.json and curves.csv, rewritten together whenever the record changes.
///
/// A full disk must not leave run.json saying `running`: when the run starts, a hidden reserve file of
/// `reserveBytes` is written (really allocated, not sparse) beside run.json; the final record is written
/// after removing it if the first attempt fails, so the space the final record needs is there. The
/// reserve is removed however the run ends (only SIGKILL can leave it behind). Nor must a kill after a
/// stop signal (`StopSignalRecord`): run.json then says `interrupted`.
final class RunFiles {
    static let reserveFileName = ".run.json.reserve"
    /// Well above a final record with hundreds of epochs (about 400 bytes each in run.json and curves.csv).
    static let reserveBytes = 1 << 20

    let folder: URL
    let startedAt: Date
    var record: RunRecord
    private var reserve: URL?
    private let runFile: StopSignalRecord

    init(folder: URL, startedAt: Date, stop: StopRequest, record: RunRecord) throws {
        self.folder = folder
        self.startedAt = startedAt
        self.record = record
        let reserve = folder.appendingPathComponent(Self.reserveFileName)
        try AtomicFile.write(Data(count: Self.reserveBytes), to: reserve)
        self.reserve = reserve
        runFile = StopSignalRecord(runFile: folder.appendingPathComponent(ModelRun.runFileName), stop: stop)
    }

    func save() throws {
        var interrupted = record
        interrupted.status = .interrupted
        let kept = record.chosenEpoch.map { "the checkpoint of epoch \($0 + 1) is kept" } ?? "no checkpoint was written"
        interrupted.message = "a stop signal (SIGTERM or SIGINT) arrived after \(record.epochs.count) finished epochs and the process "
            + "ended before it could stop at a step boundary (killed; under mpirun, after another rank failed or was killed); "
            + "the finished epochs are recorded and \(kept); the test split was not evaluated"
        try runFile.save(record: try record.encoded(), interrupted: try interrupted.encoded())
        try writeCurves()
    }

    func finish(_ status: RunStatus, _ message: String?) throws {
        record.status = status
        record.message = message
        record.finished = ISO8601DateFormatter().string(from: Date())
        record.wallSeconds = Date().timeIntervalSince(startedAt)
        defer { releaseReserve() }
        func write() throws {
            try runFile.finish(record: try record.encoded())
            try writeCurves()
        }
        do {
            try write()
        } catch {
            guard reserve != nil else { throw error }
            releaseReserve()
            try write()
        }
    }

    private func writeCurves() throws {
        try AtomicFile.write(Data(CurvesFile.text(record.epochs).utf8), to: folder.appendingPathComponent(ModelRun.curvesFileName))
    }

    private func releaseReserve() {
        if let reserve { unlink(reserve.path) }
        reserve = nil
    }

    deinit {
        runFile.stopWatching()
        releaseReserve()
    }
}
