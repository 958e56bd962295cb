import Foundation
import Testing
import TensorCore
@testable import Models
import TestSupport

@Suite("CSTA (report variant)")
struct CSTATests {
    /// A tiny width that runs the same code path, for the fast checks.
    static let tiny = CSTA.Config(inputDim: 16, projDim: 8, channels: [4, 6, 8], scoreHidden: [8, 4], dropout: 0)

    @Test func parameterCountAtPublishedWidth() throws {
        let model = try ModelRegistry.standard.make(ModelSpec(name: "csta"))
        #expect(model.parameterCount == 1_355_906)
        #expect(model is CSTA)
    }

    @Test func stateDictKeysAndShapes() {
        let model = CSTA(config: .published)
        let shapes = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
        #expect(shapes.count == 28)
        #expect(shapes["feature_proj.weight"] == [512, 1024])
        #expect(shapes["conv1.weight"] == [64, 1, 3, 3])
        #expect(shapes["conv3.weight"] == [512, 128, 3, 3])
        #expect(shapes["bn3.running_var"] == [512])
        #expect(shapes["attention_conv.weight"] == [1, 512, 1, 1])
        #expect(shapes["score_net.0.weight"] == [256, 512])
        #expect(shapes["score_net.3.weight"] == [128, 256])
        #expect(shapes["score_net.6.weight"] == [1, 128])
        #expect(shapes["score_net.6.bias"] == [1])
    }

    @Test func smallSizeDividesHiddenWidthsByFour() throws {
        let config = try CSTA.Config.from(ModelSpec(name: "csta", size: .small, dropout: 0.3))
        #expect(config == CSTA.Config(inputDim: 1024, projDim: 128, channels: [16, 32, 128], scoreHidden: [64, 32],
                                      dropout: 0.3))
    }

    @Test func parityWithPyTorch() throws {
        let fixture = try ModelFixture("csta_base")
        var config = try ReportModelChecks.config(CSTA.Config.self, of: fixture)
        try ReportModelChecks.parity(fixture) { dropout in
            config.dropout = dropout
            return CSTA(config: config)
        }
    }

    /// Padded frames are zeroed before every convolution and excluded from the softmax over time
    /// (README "Padding"), so batching changes nothing.
    @Test func paddedBatchGivesEachVideoItsOwnScores() {
        ReportModelChecks.paddedBatchMatchesEachVideoAlone(CSTA(config: Self.tiny, seed: 3))
    }

    /// In evaluation without gradients, conv3's output goes block by block into the bn3 means (Winograd
    /// from 16 channels on): the same bits as the separate ops, which run whenever a gradient is recorded.
    @Test func evaluationWithoutGradientsGivesTheSameBits() {
        let model = CSTA(config: CSTA.Config(inputDim: 16, projDim: 9, channels: [16, 16, 16], scoreHidden: [8, 4],
                                             dropout: 0.2), seed: 5)
        let (features, mask) = ReportModelChecks.batch(lengths: [7, 4], inputDim: model.inputDim, seed: 6)
        model.train()
        _ = GradMode.withNoGrad { model(features, mask: mask) }      // running statistics away from their start
        model.eval()
        let fused = GradMode.withNoGrad { model(features, mask: mask) }
        let separate = model(features, mask: mask)                    // the parameters require gradients
        #expect(mismatches(fused.values.map(\.bitPattern), separate.values.map(\.bitPattern)).none)
    }

    @Test func flopCountMatchesTheCore() {
        ReportModelChecks.flopsAgree(CSTA(config: Self.tiny), lengths: [10, 6])
    }

    @Test func trainingLowersTheLoss() {
        ReportModelChecks.trainingLowersLoss(CSTA(config: Self.tiny, seed: 7), steps: 60, lr: 1e-2)
    }

    @Test func checkpointRoundTrip() throws {
        try ReportModelChecks.checkpointRoundTrip(CSTA(config: Self.tiny, seed: 1), fresh: CSTA(config: Self.tiny, seed: 2))
    }
}
