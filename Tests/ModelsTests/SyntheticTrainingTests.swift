import Foundation
import Testing
import TensorCore
import VideoData
@testable import Models

/// Every registered model, built through the registry at `small` width, learns on the synthetic
/// MR.HiSum stand-in: a few dozen Adam steps of the project's training step lower its own loss.
@Suite("Training on the synthetic set") struct SyntheticTrainingTests {
    /// A small synthetic set in MR.HiSum layout, written once for the suite.
    static let data: Result<SyntheticSummary, any Error> = Result {
        var config = SyntheticConfig()
        config.seed = 11
        config.trainCount = 8
        config.valCount = 1
        config.testCount = 1
        config.minLength = 24
        config.maxLength = 40
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("models-synthetic-\(UUID().uuidString)")
        return try SyntheticMRHiSum.generate(config, to: directory)
    }

    @Test(arguments: ModelRegistry.standard.names) func aFewDozenStepsLowerTheLoss(_ name: String) throws {
        let data = try Self.data.get()
        let dataset = try VideoDatasets.open(data.dataFile, splitFile: data.splitFile, expectedFeatureWidth: 1024)
        let model = try ModelRegistry.standard.make(ModelSpec(name: name, size: .small, dropout: 0.1, seed: 3))
        model.train()
        // The project's one training step, on a plain schedule: Adam 1e-3, no clipping, no decay.
        let schedule = TrainingSchedule(batchSize: 4, epochs: 12, optimizer: .adam, weightDecay: 0, peakLearningRate: 1e-3,
                                        learningRateShape: .fixed, gradientClip: nil, loss: model.contract.loss)
        let step = try TrainingStep(model: model, schedule: schedule)
        let loader = try BatchLoader(dataset: dataset, keys: dataset.split.train, batchSize: 4, shuffle: true, seed: 5)
        var losses: [Float] = []
        for epoch in 0..<12 {
            for keys in loader.plan(epoch: epoch) {
                let batch = try ModelBatch(videos: keys.map { try dataset.video($0) }, needs: model.contract.needs)
                losses.append(step.run(batch).loss)
            }
        }
        #expect(losses.count == 24)
        let first = losses.prefix(4).reduce(0, +) / 4, last = losses.suffix(4).reduce(0, +) / 4
        #expect(last < 0.8 * first, "\(name): loss \(first) -> \(last)")
    }
}
