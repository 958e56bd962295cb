import Evaluation
import Foundation
import Testing
import TensorCore
import VideoData
@testable import Models
import TestSupport

/// The training step's update against the same update written out as separate passes: the finiteness
/// check, `clipGradientNorm` (which scales the gradients in place) and a plain `Adam.step()`, on a twin
/// model built from the same seed. The step folds the finiteness check into the norm and the clip's
/// scale into the optimizer's pass, so the parameters must come out with the same bits.
@Suite("Training step against the unfused update") struct TrainingStepTests {
    static func batch(videos: Int, frames: Int, width: Int, seed: UInt64) throws -> ModelBatch {
        var rng = SeededGenerator(seed: seed)
        let list = (0..<videos).map { v in
            Video(key: "v\(v)", featureWidth: width, features: (0..<(frames * width)).map { _ in rng.uniform(-2, 2) },
                  gtscore: (0..<frames).map { _ in rng.uniform(0, 1) }, changePoints: [Shot(start: 0, end: frames)])
        }
        return try ModelBatch(videos: list, needs: VideoSAGE.contract.needs, layout: VideoSAGE.contract.layout)
    }

    static func model() throws -> any SummaryModel {
        let model = try ModelRegistry.standard.make(ModelSpec(name: "videosage", size: .small, dropout: 0.1, seed: 3))
        model.train()
        return model
    }

    /// clip 1e-3 is far below the norm (every step scaled), 1e6 far above it (never), nil: no clipping.
    @Test(arguments: [1e-3, 1e6, nil] as [Double?], [OptimizerKind.adam, .adamW])
    func sameBitsAsClippingThenStepping(clip: Double?, optimizer: OptimizerKind) throws {
        try Threading.withCount(2) {
            let batch = try Self.batch(videos: 3, frames: 37, width: 1024, seed: 8)
            let fused = try Self.model(), unfused = try Self.model()
            let schedule = TrainingSchedule(batchSize: 3, epochs: 1, optimizer: optimizer, weightDecay: 0.01, peakLearningRate: 1e-3,
                                            learningRateShape: .fixed, gradientClip: clip, loss: fused.contract.loss)
            let step = try TrainingStep(model: fused, schedule: schedule)
            let parameters = unfused.parameters()
            let adam = Adam(parameters, lr: 1e-3, betas: (0.9, 0.999), eps: Float(schedule.adamEpsilon), weightDecay: 0.01,
                            decoupled: optimizer == .adamW)
            for _ in 0..<3 {
                #expect(step.run(batch).applied)
                unfused.trainingLoss(batch).backward()
                #expect(gradientsAreFinite(parameters))
                if let clip {
                    let norm = clipGradientNorm(parameters, maxNorm: Float(clip))
                    #expect((clip < 1) == (norm > Float(clip)), "clip \(clip): norm \(norm) on the wrong side of it")
                }
                GradMode.withNoGrad { adam.step() }
                unfused.zeroGrad()
            }
            for (a, b) in zip(fused.parameters(), parameters) { #expect(mismatches(a.values, b.values).none) }
        }
    }

    static func setGradient(of parameter: Tensor, at index: Int, to value: Float) {
        var values = parameter.grad!.values
        values[index] = value
        parameter.grad = Tensor(values, shape: parameter.shape)
    }

    /// A NaN gradient skips the update; a huge finite one (its square overflows the norm) does not: the
    /// clip's coefficient is then 0, as `clip_grad_norm_` makes it, so the step leaves finite parameters.
    @Test func nonFiniteGradientsSkipAndHugeFiniteOnesStep() throws {
        let batch = try Self.batch(videos: 2, frames: 20, width: 1024, seed: 9)
        let model = try Self.model()
        let schedule = TrainingSchedule(batchSize: 2, epochs: 1, optimizer: .adam, weightDecay: 0, peakLearningRate: 1e-3,
                                        learningRateShape: .fixed, gradientClip: 1, loss: model.contract.loss)
        let step = try TrainingStep(model: model, schedule: schedule)
        let before = model.parameters().map(\.values)
        _ = step.accumulate(batch)
        Self.setGradient(of: step.parameters[1], at: 3, to: .nan)
        #expect(!step.apply())
        #expect(model.parameters().map(\.values) == before)
        _ = step.accumulate(batch)
        Self.setGradient(of: step.parameters[1], at: 3, to: .greatestFiniteMagnitude)
        #expect(!gradientNorm(step.parameters).isFinite)
        #expect(step.apply())
        #expect(model.parameters().allSatisfy { $0.values.allSatisfy(\.isFinite) })
    }
}
