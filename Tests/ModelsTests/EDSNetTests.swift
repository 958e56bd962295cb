import Foundation
import Testing
import TensorCore
import TestSupport
@testable import Models

@Suite("EDSNet (report variant)")
struct EDSNetTests {
    static let tiny = EDSNet.Config(inputDim: 16, hidden: 8, tokenHidden: 4, channelHidden: 16, blocks: 2,
                                    scoreHidden: [8, 4], dropout: 0)

    @Test func parameterCountAtPublishedWidth() throws {
        let model = try ModelRegistry.standard.make(ModelSpec(name: "edsnet"))
        #expect(model.parameterCount == 12_240_897)
        #expect(model is EDSNet)
    }

    @Test func stateDictKeysAndShapes() {
        let model = EDSNet(config: .published)
        let shapes = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
        #expect(shapes.count == 2 + 4 * 10 + 6)
        #expect(shapes["feature_proj.weight"] == [512, 1024])
        for i in 0..<4 {
            let p = "mixer_blocks.\(i)."
            #expect(shapes[p + "token_mix_conv.0.weight"] == [256, 512, 3])
            #expect(shapes[p + "token_mix_conv.0.bias"] == [256])
            #expect(shapes[p + "token_mix_conv.3.weight"] == [512, 256, 3])
            #expect(shapes[p + "channel_mix.0.weight"] == [512])
            #expect(shapes[p + "channel_mix.0.bias"] == [512])
            #expect(shapes[p + "channel_mix.1.weight"] == [2048, 512])
            #expect(shapes[p + "channel_mix.4.weight"] == [512, 2048])
            #expect(shapes[p + "channel_mix.4.bias"] == [512])
        }
        #expect(shapes["score_net.6.weight"] == [1, 128])
    }

    @Test func smallSizeDividesHiddenWidthsByFour() throws {
        let config = try EDSNet.Config.from(ModelSpec(name: "edsnet", size: .small))
        #expect(config == EDSNet.Config(inputDim: 1024, hidden: 128, tokenHidden: 64, channelHidden: 512, blocks: 4,
                                        scoreHidden: [64, 32], dropout: 0.5))
    }

    @Test func parityWithPyTorch() throws {
        let fixture = try ModelFixture("edsnet_base")
        var config = try ReportModelChecks.config(EDSNet.Config.self, of: fixture)
        try ReportModelChecks.parity(fixture) { dropout in
            config.dropout = dropout
            return EDSNet(config: config)
        }
    }

    /// Padded frames are zeroed before every convolution
    /// (README "Padding"), so batching changes nothing.
    @Test func paddedBatchGivesEachVideoItsOwnScores() {
        ReportModelChecks.paddedBatchMatchesEachVideoAlone(EDSNet(config: Self.tiny, seed: 3))
    }

    /// Equal lengths: a padded batch runs its blocks on the real frames only (see the next test), which
    /// the analytic count per padded frame does not model.
    @Test func flopCountMatchesTheCore() {
        ReportModelChecks.flopsAgree(EDSNet(config: Self.tiny), lengths: [10, 10])
    }

    /// A padded batch runs on its packed real frames: in training, with dropout, the scores, the loss and
    /// every parameter's gradient equal the padded layout's (the same dropout draws; weight gradients
    /// differ only by the rounding of sums that skip the padded frames' zero terms).
    @Test func packedFramesGiveThePaddedBatchsTraining() {
        var config = Self.tiny
        config.dropout = 0.5
        let (features, mask) = ReportModelChecks.batch(lengths: [11, 4, 7, 1], inputDim: config.inputDim, seed: 21)
        let target = GradMode.withNoGrad { features.sum(axis: 2).sigmoid() }
        func step(packing: Bool) -> (scores: [Float], loss: Float, grads: [String: [Float]]) {
            let model = EDSNet(config: config, seed: 5)
            model.packsPaddedBatches = packing
            model.train()
            let scores = model(features, mask: mask)
            let loss = Tensor.maskedMSE(scores, target, mask: mask)
            loss.backward()
            return (scores.values, loss.item, Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.grad!.values) }))
        }
        let padded = step(packing: false), packed = step(packing: true)
        #expect(maxAbsDifference(packed.scores, padded.scores) <= 1e-6)
        #expect(abs(packed.loss - padded.loss) <= 1e-6 * padded.loss)
        #expect(packed.grads.keys == padded.grads.keys)
        for (key, expected) in padded.grads {
            #expect(relativeDifference(packed.grads[key]!, expected) <= 1e-5, "gradient of \(key)")
        }
        // Dropout really ran (so the draws were compared): the model's scores differ from eval mode's.
        let evalModel = EDSNet(config: config, seed: 5)
        evalModel.eval()
        #expect(maxAbsDifference(GradMode.withNoGrad { evalModel(features, mask: mask) }.values, packed.scores) > 1e-3)
    }

    @Test func packedBatchTrainsAndScoresAsThePaddedOne() throws {
        var config = Self.tiny
        config.dropout = 0.5
        try ReportModelChecks.packedBatchTrainsAndScoresAsThePaddedOne({ EDSNet(config: config, seed: 5) }, inputDim: config.inputDim)
    }

    @Test func trainingLowersTheLoss() {
        ReportModelChecks.trainingLowersLoss(EDSNet(config: Self.tiny, seed: 7), steps: 60, lr: 1e-2)
    }

    @Test func checkpointRoundTrip() throws {
        try ReportModelChecks.checkpointRoundTrip(EDSNet(config: Self.tiny, seed: 1), fresh: EDSNet(config: Self.tiny, seed: 2))
    }
}
