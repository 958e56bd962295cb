import Foundation
import Models
import TensorCore
import Testing
import VideoData
@testable import Harness

/// The run plan, the model-owned contract end to end, and checkpoints that rebuild their model.
@Suite(.serialized) struct RunPlanTests {
    /// A model with its own loss (masked L1) and one video per step trains through the same session,
    /// trainer and evaluator as every other model.
    @Test func aNonMSEModelTakingOneVideoPerStepTrainsThroughTheHarness() throws {
        let data = try TestData.synthetic("l1")
        var options = RunFilesTests.options(data, results: try TestData.temporaryDirectory("l1-results"), epochs: 3,
                                            models: ["tiny-l1", "tiny"])
        options.overrides = ScheduleOverrides(learningRate: 3e-2)
        let result = try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        #expect(result.failures.isEmpty && result.records.count == 2)
        let l1 = try #require(result.records.first { $0.model.name == "tiny-l1" })
        #expect(l1.status == .completed && l1.schedule.loss.rawValue == "masked_l1" && l1.schedule.batchSize == 1)
        // 24 training videos, one per step.
        #expect(l1.epochs.allSatisfy { $0.optimizerSteps == 24 })
        #expect(l1.epochs.last!.trainLoss! < l1.epochs.first!.trainLoss!)
        #expect(l1.test?.spearmanRho.mean != nil && l1.test?.f1.mean != nil)
        let mse = try #require(result.records.first { $0.model.name == "tiny" })
        #expect(mse.epochs.allSatisfy { $0.optimizerSteps == 6 } && mse.schedule.loss == .maskedMSE)
    }

    /// The step minimises exactly the model's own loss: for the L1 model, the mean |score - gtscore| over
    /// the real frames, computed here by hand from the model's scores.
    @Test func theStepReturnsTheModelsOwnLoss() throws {
        let source = try TestData.synthetic("own-loss")
        let dataset = try VideoDatasets.open(source.dataFile, splitFile: source.splitFile)
        let model = TinyModel(spec: ModelSpec(name: "tiny-l1", inputDim: 16, dropout: 0, seed: 2), l1: true)
        var schedule = TestData.schedule(batch: 1)
        schedule.loss = TinyModel.l1Contract.loss
        let step = try TrainingStep(model: model, schedule: schedule)
        let video = try dataset.video(dataset.split.train[0])
        let batch = try ModelBatch(videos: [video], needs: [])
        let scores = GradMode.withNoGrad { model(batch.features, mask: batch.mask).values }
        let expected = zip(scores, video.gtscore).map { Double(abs($0 - $1)) }.reduce(0, +) / Double(video.length)
        #expect(abs(Double(step.accumulate(batch)) - expected) < 1e-6)
    }

    /// A batch larger than the model's per-step limit is refused when the plan is made, naming the model
    /// and both numbers, before any file is written.
    @Test func aBatchBeyondTheModelsLimitIsRefusedUpFront() throws {
        let data = try TestData.synthetic("limit")
        let results = try TestData.temporaryDirectory("limit").appendingPathComponent("results")
        var options = RunFilesTests.options(data, results: results, models: ["tiny", "tiny-l1"])
        options.overrides = ScheduleOverrides(batchSize: 4)
        let error = #expect(throws: ModelError.self) {
            try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        }
        #expect("\(error!)" == "model 'tiny-l1' takes at most 1 video per step, but the schedule asks for a batch of 4")
        #expect(!FileManager.default.fileExists(atPath: results.path))
    }

    /// A LoGoNet trained with --option kernel=5 records its identity in the checkpoint; `bench predict`'s
    /// path rebuilds the same model from the file alone and reproduces the run's predictions bit for bit.
    @Test func predictRebuildsAnOptionedModelFromItsCheckpoint() throws {
        let data = try TestData.synthetic("predict")
        var options = SessionOptions(models: ["logonet"])
        options.data = data
        options.resultsRoot = try TestData.temporaryDirectory("predict-results")
        options.measureSgemmPeak = false
        options.comparison = false
        options.modelOptions = ["kernel": "5"]
        options.overrides = ScheduleOverrides(epochs: 1)
        let result = try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        let record = try #require(result.records.first)
        #expect(record.status == .completed && record.model.options?["kernel"] == "5")

        let checkpoint = result.folder.appendingPathComponent(ModelRun.checkpointFileName)
        let prepared = try PreparedData.open(data, expectedFeatureWidth: nil)
        let (model, identity) = try CheckpointPrediction.model(for: checkpoint, choice: .init(), inputDim: prepared.info.featureWidth)
        #expect(identity == CheckpointIdentity(model: "logonet", variant: .report, size: .small, inputDim: 16,
                                               options: ["kernel": "5", "cross_attention": "true", "adaptive_fusion": "true"]))
        let output = try TestData.temporaryDirectory("predict-out").appendingPathComponent("predictions.h5")
        let evaluation = try CheckpointPrediction.run(model: model, data: prepared, part: .test, output: output)
        let ours = try PredictionsFile.read(output), run = try PredictionsFile.read(result.folder.appendingPathComponent("predictions.h5"))
        #expect(ours.map(\.key) == run.map(\.key) && ours.map(\.pred) == run.map(\.pred))
        #expect(evaluation.spearmanRho.mean == record.test?.spearmanRho.mean)

        // Another model's name, or a contradicting option, is an error naming both.
        let other = #expect(throws: HarnessError.self) {
            try CheckpointPrediction.model(for: checkpoint, choice: .init(name: "csta"), inputDim: 16)
        }
        #expect("\(other!)" == "\(checkpoint.path) holds a logonet checkpoint (report, small), not a csta one")
        let kernel = #expect(throws: HarnessError.self) {
            try CheckpointPrediction.model(for: checkpoint, choice: .init(options: ["kernel": "3"]), inputDim: 16)
        }
        #expect("\(kernel!)".contains("option kernel = 5, not 3"))
    }

    /// A model that takes videos of limited length (CSTA paper: 14 to 4999 frames) refuses a data set with
    /// a shorter video before anything is written, naming the video and the limit.
    @Test func aVideoOutsideTheModelsLengthsIsRefusedBeforeTraining() throws {
        var config = TestData.smallConfig
        config.minLength = 10
        config.maxLength = 13
        let data = try TestData.synthetic("short", config: config)
        let results = try TestData.temporaryDirectory("short").appendingPathComponent("results")
        var options = SessionOptions(models: ["csta"])
        options.variant = .paper
        options.data = data
        options.resultsRoot = results
        options.measureSgemmPeak = false
        let error = #expect(throws: HarnessError.self) {
            try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        }
        #expect("\(error!)".contains("frames, but csta (paper) takes videos of 14 to 4999 frames"))
        #expect("\(error!)".contains("\(data.dataFile.path), video "))
        #expect(!FileManager.default.fileExists(atPath: results.path))
    }
}
