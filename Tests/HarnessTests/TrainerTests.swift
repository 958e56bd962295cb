import Foundation
import Models
import TensorCore
import Testing
import VideoData
@testable import Harness

struct TrainerTests {
    static func open(_ source: DataSource) throws -> PreparedData { try PreparedData.open(source, expectedFeatureWidth: nil) }

    @Test func learnsAndTestsTheBestValidationEpoch() throws {
        let data = try Self.open(TestData.synthetic("learn"))
        let folder = try TestData.temporaryDirectory("learn-ckpt")
        let model = TestData.tinyModel()
        let schedule = TestData.schedule(epochs: 6)
        var trainer = Trainer(schedule: schedule, seed: 3)
        trainer.maxConsecutiveSkips = 5
        let checkpoint = folder.appendingPathComponent("best.safetensors.zst")
        // The trainer writes no files; whoever runs it saves the improved epochs' state.
        let outcome = try trainer.train(model, evaluator: Evaluator(dataset: data.dataset), events: TrainingEvents(epochFinished: { epoch, _ in
            if epoch.improved { try model.saveCheckpoint(to: checkpoint) }
        }))

        #expect(outcome.epochs.count == 6 && outcome.stoppedAt == nil && outcome.skippedSteps == 0)
        #expect(outcome.epochs.last!.trainLoss! < outcome.epochs.first!.trainLoss!)
        for e in outcome.epochs {
            #expect(e.learningRate == schedule.learningRate(epoch: e.epoch))
            #expect(e.optimizerSteps == 6)  // 24 videos / batch 4
        }
        // The chosen epoch is the first with the highest validation Spearman.
        let rhos = outcome.epochs.map { $0.valSpearmanRho! }
        #expect(outcome.chosenEpoch == rhos.firstIndex(of: rhos.max()!))

        // The model holds the chosen state: its validation rho is the chosen epoch's, and the checkpoint on
        // disk loads into a fresh model that predicts the same.
        let predictor = Evaluator(dataset: data.dataset, batchSize: 4)
        let now = try predictor.evaluate(model, keys: data.dataset.split.val)
        #expect(abs(now.evaluation.spearmanRho.mean! - rhos[outcome.chosenEpoch!]) < 1e-12)
        let fresh = TestData.tinyModel(seed: 99)
        try fresh.loadCheckpoint(from: checkpoint)
        let reloaded = try predictor.evaluate(fresh, keys: data.dataset.split.val)
        #expect(reloaded.predictions == now.predictions)
    }

    @Test func deterministicForASeedOnOneThread() throws {
        try Threading.withCount(1) {
            let data = try Self.open(TestData.synthetic("determinism"))
            func run(_ seed: UInt64) throws -> (TrainingOutcome, [Float]) {
                let model = TestData.tinyModel(seed: seed)
                let outcome = try Trainer(schedule: TestData.schedule(epochs: 3), seed: seed).train(model, evaluator: Evaluator(dataset: data.dataset))
                return (outcome, model.parameters().flatMap(\.values))
            }
            let (a, pa) = try run(5), (b, pb) = try run(5), (_, pc) = try run(6)
            #expect(pa == pb)
            #expect(a.epochs.map(\.trainLoss) == b.epochs.map(\.trainLoss))
            #expect(a.epochs.map(\.valSpearmanRho) == b.epochs.map(\.valSpearmanRho))
            #expect(pa != pc)
        }
    }

    @Test func stopsEarlyAfterPatienceEpochsWithoutImprovement() throws {
        let data = try Self.open(TestData.synthetic("early"))
        // A learning rate far below float32 resolution leaves the weights unchanged, so validation never improves.
        var schedule = TestData.schedule(epochs: 20, lr: 1e-14, patience: 3)
        schedule.dropout = 0
        let outcome = try Trainer(schedule: schedule, seed: 1).train(TestData.tinyModel(dropout: 0), evaluator: Evaluator(dataset: data.dataset))
        #expect(outcome.earlyStopped)
        #expect(outcome.epochs.count == 4)
        #expect(outcome.chosenEpoch == 0)
        #expect(outcome.epochs.map(\.improved) == [true, false, false, false])
    }

    @Test func gradientAccumulationStepsOncePerGroup() throws {
        let data = try Self.open(TestData.synthetic("accumulate"))
        let outcome = try Trainer(schedule: TestData.schedule(epochs: 1, batch: 4, accumulation: 4), seed: 1)
            .train(TestData.tinyModel(), evaluator: Evaluator(dataset: data.dataset))
        // 6 micro-batches: one step after 4, one for the 2 left at the end of the epoch.
        #expect(outcome.optimizerSteps == 2)
    }

    @Test func nonFiniteStepsAreSkippedAndCounted() throws {
        let data = try Self.open(TestData.synthetic("nonfinite"))
        let model = TestData.tinyModel()
        model.nanOnTrainingCalls = [2, 5]
        let outcome = try Trainer(schedule: TestData.schedule(epochs: 1), seed: 1).train(model, evaluator: Evaluator(dataset: data.dataset))
        #expect(outcome.skippedSteps == 2)
        #expect(outcome.optimizerSteps == 4)
        #expect(outcome.epochs[0].skippedSteps == 2)
        #expect(model.parameters().allSatisfy { $0.values.allSatisfy(\.isFinite) })
    }

    @Test func persistentNonFiniteEndsTheRunWithAMessage() throws {
        let data = try Self.open(TestData.synthetic("persistent"))
        let model = TestData.tinyModel()
        model.nanOnTrainingCalls = Set(1...1000)
        var trainer = Trainer(schedule: TestData.schedule(epochs: 3), seed: 1)
        trainer.maxConsecutiveSkips = 4
        #expect(throws: HarnessError.persistentNonFinite(epoch: 0, consecutiveSkips: 4)) {
            try trainer.train(model, evaluator: Evaluator(dataset: data.dataset))
        }
    }

    /// The step trains the model's own loss, so a schedule naming another is refused, naming both; and a
    /// model that takes one video per step refuses a larger batch, naming the model and the numbers.
    @Test func theScheduleMustFitTheModelsContract() throws {
        let data = try Self.open(TestData.synthetic("loss"))
        var schedule = TestData.schedule()
        schedule.loss = .bceWithLogits
        #expect(throws: ModelError.lossMismatch(model: "tiny", modelLoss: "masked_mse", scheduleLoss: "bce_with_logits")) {
            try Trainer(schedule: schedule, seed: 1).train(TestData.tinyModel(), evaluator: Evaluator(dataset: data.dataset))
        }
        var l1 = TestData.schedule(batch: 4)
        l1.loss = TinyModel.l1Contract.loss
        let single = TinyModel(spec: ModelSpec(name: "tiny-l1", inputDim: 16, seed: 1), l1: true)
        let error = #expect(throws: ModelError.self) {
            try Trainer(schedule: l1, seed: 1).train(single, evaluator: Evaluator(dataset: data.dataset))
        }
        #expect("\(error!)" == "model 'tiny-l1' takes at most 1 video per step, but the schedule asks for a batch of 4")
    }
}
