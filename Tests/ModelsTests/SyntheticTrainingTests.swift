import Foundation
import Testing
import TensorCore
import VideoData
@testable import Models

/// Every registered model, built through the registry at `small` width, learns on the synthetic
/// MR.HiSum stand-in: a few dozen Adam steps on its training videos lower the masked MSE.
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
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        let loader = try BatchLoader(dataset: dataset, keys: dataset.split.train, batchSize: 4, shuffle: true, seed: 5)
        var losses: [Float] = []
        for epoch in 0..<12 {
            try loader.forEachBatch(epoch: epoch) { batch in
                let (b, t) = (batch.keys.count, batch.maxLength)
                let features = Tensor(batch.features, shape: [b, t, batch.featureWidth])
                let mask = Tensor(batch.mask, shape: [b, t]), target = Tensor(batch.gtscore, shape: [b, t])
                model.zeroGrad()
                let loss = Tensor.maskedMSE(model(features, mask: mask), target, mask: mask)
                loss.backward()
                optimizer.step()
                losses.append(loss.item)
            }
        }
        #expect(losses.count == 24)
        let first = losses.prefix(4).reduce(0, +) / 4, last = losses.suffix(4).reduce(0, +) / 4
        #expect(last < 0.8 * first, "\(name): loss \(first) -> \(last)")
    }
}
