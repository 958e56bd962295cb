import Foundation
import Testing
import TensorCore
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

    @Test func flopCountMatchesTheCore() {
        ReportModelChecks.flopsAgree(EDSNet(config: Self.tiny), lengths: [10, 6])
    }

    @Test func trainingLowersTheLoss() {
        ReportModelChecks.trainingLowersLoss(EDSNet(config: Self.tiny, seed: 7), steps: 60, lr: 1e-2)
    }

    @Test func checkpointRoundTrip() throws {
        try ReportModelChecks.checkpointRoundTrip(EDSNet(config: Self.tiny, seed: 1), fresh: EDSNet(config: Self.tiny, seed: 2))
    }
}
