import Foundation
import TensorCore

/// One optimizer step in its parts: forward and backward of the model's own loss per micro-batch, the
/// gradient reduction, then clipping and the update. The one training step of the project: the trainer,
/// `bench speed`, the benchmarks package and the tests all run this. Data-parallel training sets
/// `gradientReducer`, which runs between backward and clipping.
public final class TrainingStep {
    public let model: any SummaryModel
    public let schedule: TrainingSchedule
    public let parameters: [Tensor]
    let optimizer: Adam
    /// Sums gradients across processes (data parallelism); nil on one process.
    public var gradientReducer: (any GradientReducer)?
    private var sawNonFiniteLoss = false

    /// Refuses a schedule whose batch exceeds the model's per-step limit or names another loss.
    public init(model: any SummaryModel, schedule: TrainingSchedule) throws {
        try schedule.validate()
        let contract = model.contract
        if let limit = contract.maxBatchSize, schedule.batchSize > limit {
            throw ModelError.batchTooLarge(model: model.name, limit: limit, requested: schedule.batchSize)
        }
        guard schedule.loss == contract.loss else {
            throw ModelError.lossMismatch(model: model.name, modelLoss: contract.loss.rawValue, scheduleLoss: schedule.loss.rawValue)
        }
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
    /// accumulated step averages its micro-batches, and by `share`: this process's part of a micro-batch
    /// split across processes (its frames or videos over the whole micro-batch's, as the model's loss
    /// averages), so the summed gradients are the whole micro-batch's. Returns the unscaled loss.
    public func accumulate(_ batch: ModelBatch, share: Float = 1) -> Float {
        if let limit = model.contract.maxBatchSize {
            checkArgument(batch.count <= limit, "\(model.name): a batch of \(batch.count) videos, but the model takes at most \(limit) per step")
        }
        // Forward and backward read the parameters only: their large products may use packed weights.
        return WeightPanels.training {
            let loss = model.trainingLoss(batch)
            let value = loss.item
            if value.isFinite {
                (loss * (share / Float(schedule.gradientAccumulation))).backward()
            } else {
                sawNonFiniteLoss = true
            }
            return value
        }
    }

    /// With a reducer: one all-reduce (sum) of a flat buffer holding every gradient, `scalars` and the
    /// non-finite flag, so every process ends with the same gradients and the same decision to skip the
    /// step. Returns the summed scalars (`scalars` itself on one process).
    @discardableResult
    public func reduceGradients(scalars: [Float] = []) -> [Float] {
        guard let gradientReducer else { return scalars }
        let total = parameters.reduce(0) { $0 + $1.count }
        var buffer = [Float]()
        buffer.reserveCapacity(total + scalars.count + 1)
        for p in parameters {
            if let grad = p.grad { buffer += grad.values } else { buffer += repeatElement(0, count: p.count) }
        }
        buffer += scalars
        buffer.append(sawNonFiniteLoss ? 1 : 0)
        gradientReducer.allReduceSum(&buffer)
        var offset = 0
        for p in parameters {
            p.grad = Tensor(Array(buffer[offset..<offset + p.count]), shape: p.shape)
            offset += p.count
        }
        // A non-finite loss anywhere skips the step everywhere (a non-finite gradient is in the sums).
        sawNonFiniteLoss = buffer[buffer.count - 1] > 0
        return Array(buffer[total..<total + scalars.count])
    }

    /// Drops the accumulated gradients without an update (a stopped step).
    public func discard() {
        model.zeroGrad()
        sawNonFiniteLoss = false
    }

    /// Clips and applies the accumulated gradients, or skips the update when a loss or gradient was not
    /// finite. Gradients are cleared either way. Returns whether the update was applied.
    @discardableResult
    public func apply() -> Bool {
        defer { discard() }
        guard !sawNonFiniteLoss else { return false }
        // Two passes over the gradients rather than four (finiteness, norm, scaling, update): the norm's
        // pass also proves them finite unless the norm is not (then the element check decides), and the
        // clip's scale rides in the update (the same bits as clipGradientNorm then step()).
        let norm = gradientNorm(parameters)
        guard norm.isFinite || gradientsAreFinite(parameters) else { return false }
        let scale = schedule.gradientClip.map { clipCoefficient(norm: norm, maxNorm: Float($0)) } ?? 1
        GradMode.withNoGrad { optimizer.step(gradientScale: scale) }
        return true
    }

    /// A whole step on one batch: accumulate, reduce, apply. Returns the loss and whether it was applied.
    @discardableResult
    public func run(_ batch: ModelBatch) -> (loss: Float, applied: Bool) {
        let loss = accumulate(batch)
        reduceGradients()
        return (loss, apply())
    }
}

/// Sums a buffer over every process of a data-parallel run, in place (MPI_Allreduce with MPI_SUM).
public protocol GradientReducer: AnyObject {
    func allReduceSum(_ buffer: inout [Float])
}
