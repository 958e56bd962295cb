import Foundation

/// A learning rate per epoch (from 0), changed once per epoch. Computed in double precision.
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    /// The same rate every epoch.
    case fixed(lr: Double)
    /// schedules.md: epoch e < W uses peak (e + 1) / W; then minLearningRate + (peak - minLearningRate)(1 + cos(pi (e - W) / (E - W))) / 2.
    case warmupCosine(peak: Double, warmupEpochs: Int, totalEpochs: Int, minLearningRate: Double)
    /// `StepLR`: lr * gamma^(floor(e / stepSize)).
    case step(lr: Double, stepSize: Int, gamma: Double)
    /// `ExponentialLR`: lr * gamma^e.
    case exponential(lr: Double, gamma: Double)
    /// `CosineAnnealingLR`'s closed form: etaMin + (lr - etaMin)(1 + cos(pi e / tMax)) / 2, which keeps
    /// oscillating with period 2 tMax past tMax, as PyTorch does.
    case cosineAnnealing(lr: Double, tMax: Int, etaMin: Double)
    /// `CosineAnnealingWarmRestarts` with a fixed period t0: restarts at lr every t0 epochs.
    case cosineWarmRestarts(lr: Double, t0: Int, etaMin: Double)

    public func learningRate(epoch e: Int) -> Double {
        switch self {
        case .fixed(let lr):
            return lr
        case let .warmupCosine(peak, w, total, minLearningRate):
            if e < w { return peak * Double(e + 1) / Double(w) }
            let span = Double(Swift.max(total - w, 1))
            return minLearningRate + (peak - minLearningRate) * (1 + cos(Double.pi * Double(e - w) / span)) / 2
        case let .step(lr, stepSize, gamma):
            return lr * pow(gamma, Double(e / stepSize))
        case let .exponential(lr, gamma):
            return lr * pow(gamma, Double(e))
        case let .cosineAnnealing(lr, tMax, etaMin):
            return etaMin + (lr - etaMin) * (1 + cos(Double.pi * Double(e) / Double(tMax))) / 2
        case let .cosineWarmRestarts(lr, t0, etaMin):
            return etaMin + (lr - etaMin) * (1 + cos(Double.pi * Double(e % t0) / Double(t0))) / 2
        }
    }
}
