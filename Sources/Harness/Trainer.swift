import Evaluation
import Foundation
import Models
import TensorCore
import VideoData

/// Progress of a run, for the terminal (or plain log lines).
public struct StepProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var stepsInEpoch: Int
    public var loss: Float
    public var framesPerSecond: Double
    public var secondsPerEpoch: Double?
}

/// Callbacks during training. `epochFinished` runs at the end of each epoch while the model still holds
/// that epoch's state, so the run can save a checkpoint of it when the record says it improved.
public struct TrainingEvents {
    public var stepFinished: ((StepProgress) -> Void)?
    public var epochFinished: ((EpochRecord, _ skippedTotal: Int) throws -> Void)?
    public init(stepFinished: ((StepProgress) -> Void)? = nil,
                epochFinished: ((EpochRecord, _ skippedTotal: Int) throws -> Void)? = nil) {
        self.stepFinished = stepFinished
        self.epochFinished = epochFinished
    }
}

/// What training produced.
public struct TrainingOutcome {
    public var epochs: [EpochRecord]
    public var chosenEpoch: Int?
    public var selectionRule: String
    public var stoppedAt: StopPoint?
    public var earlyStopped: Bool
    public var skippedSteps: Int
    public var optimizerSteps: Int
    public var trainFrames: Int
    public var trainSeconds: Double
    public var trainFlops: Double
    public var valFrames: Int
    public var valSeconds: Double
}

/// Trains a model on its schedule: the learning rate set once per epoch, shuffled batches collated as the
/// model's contract asks, gradient accumulation, non-finite steps skipped and counted, the epoch chosen by
/// validation Spearman with early stopping, and the chosen state left loaded in the model. Writes no
/// files: the run owns the checkpoint and run.json (through `events`). Deterministic for a seed and
/// thread count. With `parallel`, one rank of a data-parallel run (see `DataParallel`): its share of
/// every batch, one all-reduce per step, and only rank 0 validates.
public struct Trainer {
    public var schedule: TrainingSchedule
    public var seed: UInt64
    /// Consecutive skipped steps that end a run (the problem persists).
    public var maxConsecutiveSkips = 20
    public var stop: StopRequest
    /// This process's rank in a data-parallel run; nil on one process.
    public var parallel: DataParallel?

    public init(schedule: TrainingSchedule, seed: UInt64, stop: StopRequest = StopRequest()) {
        self.schedule = schedule
        self.seed = seed
        self.stop = stop
    }

    /// Trains on `evaluator`'s data set: its split's train keys, validated on its val keys.
    public func train(_ model: any SummaryModel, evaluator: Evaluator, events: TrainingEvents = .init()) throws -> TrainingOutcome {
        let dataset = evaluator.dataset
        let step = try TrainingStep(model: model, schedule: schedule)
        let split = dataset.split
        guard !split.train.isEmpty else { throw HarnessError.emptySplit(part: "train", dataset: dataset.fileURL.path) }
        let loader = try BatchLoader(dataset: dataset, keys: split.train, batchSize: schedule.batchSize, shuffle: true, seed: seed)
        let (needs, layout) = (model.contract.needs, model.contract.layout)
        let hasValidation = !split.val.isEmpty
        // Only rank 0 validates; the other ranks learn its early-stopping decision after each epoch.
        let validates = hasValidation && (parallel?.isRoot ?? true)
        var shares: BatchShares?
        if let parallel {
            guard schedule.batchSize >= parallel.size else {
                throw HarnessError.invalidArgument("--distributed mpi: \(model.name) steps on batches of \(schedule.batchSize) video(s), "
                    + "fewer than the \(parallel.size) ranks that would split each one (a model limited to one video per step cannot run data-parallel)")
            }
            shares = try BatchShares(parallel: parallel, dataset: dataset, keys: split.train, average: model.contract.lossAverage)
            step.gradientReducer = parallel
            parallel.broadcastState(of: model)
            parallel.separateRandomStreams(of: model)
        }

        var outcome = TrainingOutcome(
            epochs: [], chosenEpoch: nil,
            selectionRule: hasValidation
                ? "best validation spearman_rho; early stopping after \(schedule.earlyStoppingPatience) epochs without improvement"
                : "last epoch (the split has no validation videos)",
            stoppedAt: nil, earlyStopped: false, skippedSteps: 0, optimizerSteps: 0, trainFrames: 0, trainSeconds: 0,
            trainFlops: 0, valFrames: 0, valSeconds: 0)
        var bestRho = -Double.infinity
        var bestState: [[Float]]?
        var epochsWithoutImprovement = 0
        var consecutiveSkips = 0
        model.train()

        epochLoop: for epoch in 0..<schedule.epochs {
            let lr = schedule.learningRate(epoch: epoch)
            step.learningRate = Float(lr)
            let plan = loader.plan(epoch: epoch)
            var lossSum = 0.0, lossFrames = 0, epochFrames = 0, applied = 0, skipped = 0
            // This rank's part of the step's loss x frames, finite frames and frames (data-parallel only).
            var pending = (lossFrames: 0.0, finiteFrames: 0, frames: 0), stepStart = 0
            let flopsBefore = Accounting.flops
            let epochStart = DispatchTime.now().uptimeNanoseconds
            for (index, keys) in plan.enumerated() {
                // Data-parallel ranks agree on a stop in the step's all-reduce instead.
                if shares == nil && stop.isRequested {
                    outcome.stoppedAt = StopPoint(epoch: epoch, step: index, reason: "interrupted (stop requested)")
                    break epochLoop
                }
                if (index - stepStart) == schedule.gradientAccumulation { stepStart = index }
                var loss = Float.nan
                if let shares {
                    let part = shares.part(of: keys)
                    if !part.keys.isEmpty {
                        let batch = try ModelBatch(videos: part.keys.map { try dataset.video($0) }, needs: needs, layout: layout)
                        loss = step.accumulate(batch, share: part.share)
                        pending.frames += batch.realFrames
                        if loss.isFinite {
                            // Summed over ranks: the whole batch's loss x its frames, as one process counts it.
                            pending.lossFrames += Double(loss) * Double(part.share) * Double(part.batchFrames)
                            pending.finiteFrames += batch.realFrames
                        }
                    }
                } else {
                    let batch = try ModelBatch(videos: keys.map { try dataset.video($0) }, needs: needs, layout: layout)
                    let frames = batch.realFrames
                    loss = step.accumulate(batch)
                    epochFrames += frames
                    if loss.isFinite {
                        lossSum += Double(loss) * Double(frames)
                        lossFrames += frames
                    }
                }
                let lastOfEpoch = index == plan.count - 1
                if index - stepStart + 1 == schedule.gradientAccumulation || lastOfEpoch {
                    if shares != nil {
                        // The one all-reduce of the step: gradients, then these scalars, then the non-finite flag.
                        let sums = step.reduceGradients(scalars: [Float(pending.lossFrames), Float(pending.finiteFrames),
                                                                  Float(pending.frames), stop.isRequested ? 1 : 0])
                        pending = (0, 0, 0)
                        if sums[3] > 0 {
                            step.discard()
                            outcome.stoppedAt = StopPoint(epoch: epoch, step: stepStart, reason: "interrupted (stop requested on a rank)")
                            break epochLoop
                        }
                        epochFrames += Int(sums[2])
                        lossSum += Double(sums[0])
                        lossFrames += Int(sums[1])
                        loss = sums[1] > 0 ? sums[0] / sums[1] : .nan
                    }
                    if step.apply() {
                        applied += 1
                        consecutiveSkips = 0
                    } else {
                        skipped += 1
                        consecutiveSkips += 1
                        if consecutiveSkips >= maxConsecutiveSkips {
                            outcome.skippedSteps += skipped
                            throw HarnessError.persistentNonFinite(epoch: epoch, consecutiveSkips: consecutiveSkips)
                        }
                    }
                }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
                events.stepFinished?(StepProgress(
                    epoch: epoch, epochs: schedule.epochs, step: index + 1, stepsInEpoch: plan.count, loss: loss,
                    framesPerSecond: Double(epochFrames) / max(elapsed, 1e-9),
                    secondsPerEpoch: outcome.epochs.isEmpty ? nil
                        : outcome.epochs.map { $0.trainSeconds + $0.valSeconds }.reduce(0, +) / Double(outcome.epochs.count)))
            }
            let trainSeconds = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
            outcome.trainFlops += Double(Accounting.flops - flopsBefore)
            outcome.trainSeconds += trainSeconds
            outcome.trainFrames += epochFrames
            outcome.optimizerSteps += applied
            outcome.skippedSteps += skipped

            var record = EpochRecord(epoch: epoch, learningRate: lr, trainLoss: lossFrames > 0 ? lossSum / Double(lossFrames) : nil,
                                     optimizerSteps: applied, skippedSteps: skipped, trainFrames: epochFrames,
                                     trainSeconds: trainSeconds, valMse: nil, valKendallTau: nil, valSpearmanRho: nil,
                                     valSeconds: 0, improved: false)
            parallel?.averageRunningStatistics(of: model)
            if validates {
                let started = DispatchTime.now().uptimeNanoseconds
                let result = try evaluator.evaluate(model, keys: split.val)
                record.valSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                outcome.valFrames += result.frames
                outcome.valSeconds += result.seconds
                record.valMse = result.evaluation.mse
                record.valKendallTau = result.evaluation.kendallTau.mean
                record.valSpearmanRho = result.evaluation.spearmanRho.mean
                // Undefined rho (every video skipped, e.g. constant predictions) never counts as better.
                let rho = record.valSpearmanRho ?? -Double.infinity
                record.improved = rho > bestRho || bestState == nil
                if rho > bestRho { bestRho = rho }
            } else {
                record.improved = true
            }
            if record.improved {
                bestState = model.stateDict().map { $0.1.values }
                outcome.chosenEpoch = epoch
                epochsWithoutImprovement = 0
            } else {
                epochsWithoutImprovement += 1
            }
            outcome.epochs.append(record)
            try events.epochFinished?(record, outcome.skippedSteps)
            var stopsEarly = validates && epochsWithoutImprovement >= schedule.earlyStoppingPatience
            if let parallel { stopsEarly = parallel.anyRank(stopsEarly) }
            if stopsEarly {
                outcome.earlyStopped = true
                break
            }
        }
        if let bestState {
            for ((_, tensor), values) in zip(model.stateDict(), bestState) { tensor.assign(values) }
        }
        model.eval()
        return outcome
    }
}

/// How a data-parallel rank splits each global batch: its videos, and its share of what the model's loss
/// averages over (frames or videos), so the gradients summed over ranks are the whole batch's.
struct BatchShares {
    let parallel: DataParallel
    let average: LossAverage
    /// Feature rows of every train video, read once (the shares of other ranks' videos need them).
    let lengths: [String: Int]

    init(parallel: DataParallel, dataset: any VideoDataset, keys: [String], average: LossAverage) throws {
        self.parallel = parallel
        self.average = average
        lengths = try Dictionary(uniqueKeysWithValues: keys.map { ($0, try dataset.length(of: $0)) })
    }

    func part(of keys: [String]) -> (keys: [String], share: Float, batchFrames: Int) {
        let mine = parallel.share(keys)
        func frames(_ keys: [String]) -> Int { keys.reduce(0) { $0 + lengths[$1]! } }
        let batchFrames = frames(keys)
        let share = average == .frames ? Float(frames(mine)) / Float(batchFrames) : Float(mine.count) / Float(keys.count)
        return (mine, share, batchFrames)
    }
}
