import Foundation
import TensorCore

/// Which optimizer a schedule uses, with PyTorch's weight-decay semantics (Adam: L2 added to the
/// gradient; AdamW: decoupled decay).
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case adam, adamW
}

/// How the learning rate moves from epoch to epoch (the peak comes from the schedule).
public enum LearningRateShape: Codable, Sendable, Equatable {
    case fixed
    /// Linear warm-up over `warmupEpochs`, then cosine down to `minLearningRate` at the last epoch.
    case warmupCosine(warmupEpochs: Int, minLearningRate: Double)
    /// PyTorch `CosineAnnealingLR` with period `tMax` (epochs), down to `etaMin`.
    case cosineAnnealing(tMax: Int, etaMin: Double)
}

/// One model's published training schedule (schedules.md), as data: printed before a run and written
/// into its results. Each variant's registry entry holds its published schedule; `loss` names the
/// model's own objective (`TrainingContract.loss`), which the registry checks they agree on.
public struct TrainingSchedule: Codable, Sendable, Equatable {
    public var batchSize: Int
    public var gradientAccumulation: Int
    public var epochs: Int
    public var optimizer: OptimizerKind
    public var weightDecay: Double
    public var peakLearningRate: Double
    public var learningRateShape: LearningRateShape
    /// Maximum global L2 norm of the gradients; nil = no clipping.
    public var gradientClip: Double?
    public var dropout: Double
    public var loss: LossKind
    /// Stop after this many epochs without a better validation Spearman.
    public var earlyStoppingPatience: Int
    public var adamBetas: [Double] = [0.9, 0.999]
    public var adamEpsilon: Double = 1e-8

    public init(batchSize: Int, gradientAccumulation: Int = 1, epochs: Int, optimizer: OptimizerKind,
                weightDecay: Double, peakLearningRate: Double, learningRateShape: LearningRateShape,
                gradientClip: Double?, dropout: Double = 0.5, loss: LossKind = .maskedMSE,
                earlyStoppingPatience: Int = 10) {
        self.batchSize = batchSize
        self.gradientAccumulation = gradientAccumulation
        self.epochs = epochs
        self.optimizer = optimizer
        self.weightDecay = weightDecay
        self.peakLearningRate = peakLearningRate
        self.learningRateShape = learningRateShape
        self.gradientClip = gradientClip
        self.dropout = dropout
        self.loss = loss
        self.earlyStoppingPatience = earlyStoppingPatience
    }

    /// The tensor core's schedule for these values.
    public var learningRateSchedule: LearningRateSchedule {
        switch learningRateShape {
        case .fixed:
            return .fixed(lr: peakLearningRate)
        case let .warmupCosine(warmup, minLearningRate):
            return .warmupCosine(peak: peakLearningRate, warmupEpochs: warmup, totalEpochs: epochs, minLearningRate: minLearningRate)
        case let .cosineAnnealing(tMax, etaMin):
            return .cosineAnnealing(lr: peakLearningRate, tMax: tMax, etaMin: etaMin)
        }
    }

    public func learningRate(epoch: Int) -> Double { learningRateSchedule.learningRate(epoch: epoch) }

    public func validate() throws {
        func fail(_ what: String) -> ModelError { .invalidSchedule(what) }
        if batchSize < 1 { throw fail("batch size \(batchSize) must be at least 1") }
        if gradientAccumulation < 1 { throw fail("gradient accumulation \(gradientAccumulation) must be at least 1") }
        if epochs < 1 { throw fail("epochs \(epochs) must be at least 1") }
        if !(peakLearningRate > 0) || !peakLearningRate.isFinite { throw fail("learning rate \(peakLearningRate) must be positive") }
        if !(weightDecay >= 0) || !weightDecay.isFinite { throw fail("weight decay \(weightDecay) must be a finite number >= 0") }
        if let clip = gradientClip, !(clip > 0) || !clip.isFinite { throw fail("gradient clip \(clip) must be a finite positive number") }
        if !(0..<1).contains(dropout) { throw fail("dropout \(dropout) must lie in [0, 1)") }
        if earlyStoppingPatience < 1 { throw fail("early-stopping patience must be at least 1") }
        if case let .warmupCosine(warmup, _) = learningRateShape, warmup < 0 {
            throw fail("warm-up epochs \(warmup) must be >= 0")
        }
        if case let .cosineAnnealing(tMax, _) = learningRateShape, tMax < 1 { throw fail("T_max \(tMax) must be >= 1") }
    }

    /// One line per value, for printing before a run.
    public var lines: [String] {
        var out = [
            "batch size \(batchSize) videos" + (gradientAccumulation > 1
                ? ", gradient accumulation \(gradientAccumulation) (effective \(batchSize * gradientAccumulation))" : ""),
            "epochs \(epochs) (early stopping after \(earlyStoppingPatience) without a better validation Spearman)",
            "optimizer \(optimizer == .adamW ? "AdamW" : "Adam"), weight decay \(weightDecay), betas \(adamBetas), eps \(adamEpsilon)",
        ]
        switch learningRateShape {
        case .fixed: out.append("learning rate \(peakLearningRate), fixed")
        case let .warmupCosine(w, minLearningRate): out.append("learning rate peak \(peakLearningRate), linear warm-up \(w) epochs, then cosine to \(minLearningRate)")
        case let .cosineAnnealing(t, eta): out.append("learning rate \(peakLearningRate), cosine annealing T_max \(t) epochs to \(eta)")
        }
        out.append("gradient clipping " + (gradientClip.map { "global L2 norm \($0)" } ?? "none"))
        out.append("dropout \(dropout), loss \(loss.rawValue), fp32")
        return out
    }
}
