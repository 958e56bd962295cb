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

/// Callbacks during training. `epochFinished` runs after the epoch's checkpoint (if better) is saved.
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

/// Trains a model on its schedule: the learning rate set once per epoch, shuffled batches with gradient
/// accumulation, non-finite steps skipped and counted, the epoch chosen by validation Spearman with
/// early stopping, and the chosen state left loaded in the model. Deterministic for a seed on one thread.
public struct Trainer {
    public var schedule: TrainingSchedule
    public var seed: UInt64
    /// Consecutive skipped steps that end a run (the problem persists).
    public var maxConsecutiveSkips = 20
    public var stop: StopRequest
    /// Where the best checkpoint is written (atomically) whenever validation improves.
    public var checkpointURL: URL?
    public var checkpointMetadata: [String: String] = [:]

    public init(schedule: TrainingSchedule, seed: UInt64, stop: StopRequest = StopRequest(), checkpointURL: URL? = nil) {
        self.schedule = schedule
        self.seed = seed
        self.stop = stop
        self.checkpointURL = checkpointURL
    }

    public func train(_ model: any SummaryModel, dataset: any VideoDataset, events: TrainingEvents = .init()) throws -> TrainingOutcome {
        try schedule.validate()
        guard schedule.loss == .maskedMSE else {
            throw HarnessError.unsupportedLoss(model: model.name, loss: schedule.loss.rawValue)
        }
        let split = dataset.split
        guard !split.train.isEmpty else { throw HarnessError.emptySplit(part: "train", dataset: dataset.fileURL.path) }
        let loader = try BatchLoader(dataset: dataset, keys: split.train, batchSize: schedule.batchSize, shuffle: true, seed: seed)
        let step = TrainingStep(model: model, schedule: schedule)
        // One video at a time: the models score a video the same in any batch (README "Padding"), and
        // unbatched, a prediction is bit-identical to that video's own forward pass and costs no padding.
        let predictor = SplitPredictor(batchSize: 1)
        let hasValidation = !split.val.isEmpty

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
            let flopsBefore = Accounting.flops
            let epochStart = DispatchTime.now().uptimeNanoseconds
            for (index, keys) in plan.enumerated() {
                if stop.isRequested {
                    outcome.stoppedAt = StopPoint(epoch: epoch, step: index, reason: "interrupted (stop requested)")
                    break epochLoop
                }
                let batch = try loader.load(keys)
                let frames = batch.lengths.reduce(0, +)
                let loss = step.accumulate(batch)
                epochFrames += frames
                if loss.isFinite {
                    lossSum += Double(loss) * Double(frames)
                    lossFrames += frames
                }
                let lastOfEpoch = index == plan.count - 1
                if step.pendingMicroBatches == schedule.gradientAccumulation || lastOfEpoch {
                    step.reduceGradients()
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
            if hasValidation {
                let started = DispatchTime.now().uptimeNanoseconds
                let result = try predictor.evaluate(model, dataset: dataset, keys: split.val)
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
                if let checkpointURL {
                    try model.saveCheckpoint(to: checkpointURL, metadata: checkpointMetadata.merging(
                        ["epoch": "\(epoch)", "val_spearman_rho": record.valSpearmanRho.map { "\($0)" } ?? "none"]) { $1 })
                }
            } else {
                epochsWithoutImprovement += 1
            }
            outcome.epochs.append(record)
            try events.epochFinished?(record, outcome.skippedSteps)
            if hasValidation && epochsWithoutImprovement >= schedule.earlyStoppingPatience {
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
