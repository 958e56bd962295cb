import Foundation
import Models
import TensorCore
import VideoData

/// One optimizer step split into its parts (forward + backward per micro-batch, gradient reduction,
/// update), so data-parallel training can add an all-reduce in `reduceGradients` without a rewrite.
public final class TrainingStep {
    public let model: any SummaryModel
    public let schedule: TrainingSchedule
    public let parameters: [Tensor]
    let optimizer: Adam
    /// Combines gradients across processes (data parallelism); nil on one process.
    public var gradientReducer: (([Tensor]) -> Void)?
    private var microBatches = 0
    private var sawNonFiniteLoss = false

    public init(model: any SummaryModel, schedule: TrainingSchedule) {
        self.model = model
        self.schedule = schedule
        parameters = model.parameters()
        let betas = (Float(schedule.adamBetas[0]), Float(schedule.adamBetas[1]))
        optimizer = Adam(parameters, lr: Float(schedule.peakLearningRate), betas: betas, eps: Float(schedule.adamEpsilon),
                         weightDecay: Float(schedule.weightDecay), decoupled: schedule.optimizer == .adamW)
    }

    public var learningRate: Float {
        get { optimizer.learningRate }
        set { optimizer.learningRate = newValue }
    }

    /// Forward and backward of one micro-batch; gradients accumulate, scaled by 1 / accumulation so an
    /// accumulated step averages its micro-batches. Returns the unscaled masked MSE.
    public func accumulate(_ batch: VideoBatch) -> Float {
        let shape = [batch.count, batch.maxLength]
        let scores = model(Tensor(batch.features, shape: [batch.count, batch.maxLength, batch.featureWidth]),
                           mask: Tensor(batch.mask, shape: shape))
        let loss = Tensor.maskedMSE(scores, Tensor(batch.gtscore, shape: shape), mask: Tensor(batch.mask, shape: shape))
        let value = loss.item
        microBatches += 1
        if value.isFinite {
            (loss * (1 / Float(schedule.gradientAccumulation))).backward()
        } else {
            sawNonFiniteLoss = true
        }
        return value
    }

    public var pendingMicroBatches: Int { microBatches }

    public func reduceGradients() { gradientReducer?(parameters) }

    /// Clips and applies the accumulated gradients, or skips the update when a loss or gradient was not
    /// finite. Gradients are cleared either way. Returns whether the update was applied.
    @discardableResult
    public func apply() -> Bool {
        defer {
            model.zeroGrad()
            microBatches = 0
            sawNonFiniteLoss = false
        }
        guard !sawNonFiniteLoss, gradientsAreFinite(parameters) else { return false }
        if let clip = schedule.gradientClip { clipGradientNorm(parameters, maxNorm: Float(clip)) }
        GradMode.withNoGrad { optimizer.step() }
        return true
    }
}
