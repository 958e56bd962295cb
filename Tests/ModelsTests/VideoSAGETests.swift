import Foundation
import Testing
import TensorCore
@testable import Models

@Suite("VideoSAGE (report variant)")
struct VideoSAGETests {
    static let tiny = VideoSAGE.Config(inputDim: 16, hidden: 8, gcnLayers: 3, scoreHidden: [8, 4], dropout: 0)

    @Test func parameterCountAtPublishedWidth() throws {
        let model = try ModelRegistry.standard.make(ModelSpec(name: "videosage"))
        #expect(model.parameterCount == 1_477_121)
        #expect(model is VideoSAGE)
    }

    @Test func stateDictKeysAndShapes() {
        let model = VideoSAGE(config: .published)
        let shapes = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
        #expect(Set(shapes.keys) == ["feature_proj.weight", "feature_proj.bias",
                                     "gcn_layers.0.weight", "gcn_layers.0.bias", "gcn_layers.1.weight", "gcn_layers.1.bias",
                                     "gcn_layers.2.weight", "gcn_layers.2.bias",
                                     "score_net.0.weight", "score_net.0.bias", "score_net.3.weight", "score_net.3.bias",
                                     "score_net.6.weight", "score_net.6.bias"])
        #expect(shapes["gcn_layers.1.weight"] == [512, 512])
        #expect(shapes["gcn_layers.1.bias"] == [512])
    }

    @Test func graphWeightsAreXavierAndBiasesZero() {
        let model = VideoSAGE(config: .published, seed: 9)
        let bound = (6 / Float(512 + 512)).squareRoot()
        for layer in model.gcnLayers {
            let w = layer.weight.values
            #expect(w.allSatisfy { abs($0) <= bound })
            // A uniform on (-bound, bound) fills it: the extremes come close to the bound.
            #expect((w.map(abs).max() ?? 0) > 0.99 * bound)
            #expect(layer.bias.values.allSatisfy { $0 == 0 })
        }
    }

    @Test func smallSizeDividesHiddenWidthsByFour() throws {
        let config = try VideoSAGE.Config.from(ModelSpec(name: "videosage", size: .small))
        #expect(config == VideoSAGE.Config(inputDim: 1024, hidden: 128, gcnLayers: 3, scoreHidden: [64, 32], dropout: 0.5))
    }

    /// The band coefficients against the dense D^-1/2 A D^-1/2 built entry by entry.
    @Test func chainGraphMatchesTheDenseOperator() {
        let lengths = [7, 1, 2, 9]
        let t = 9
        let (_, mask) = ReportModelChecks.batch(lengths: lengths, inputDim: 1, seed: 1)
        let band = VideoSAGE.chainGraphCoefficients(mask: mask).values
        for (b, n) in lengths.enumerated() {
            let degree = (0..<n).map { i in Double((max(0, i - 1)...min(n - 1, i + 1)).count) }
            for i in 0..<t {
                for j in 0..<t {
                    var dense = 0.0
                    if i < n && j < n && abs(i - j) <= 1 { dense = 1 / ((degree[i] + 1e-8) * (degree[j] + 1e-8)).squareRoot() }
                    if i >= n && i == j { dense = 1 }
                    let offset = j - i
                    let fromBand = abs(offset) <= 1 ? Double(band[(b * t + i) * 3 + offset + 1]) : 0
                    #expect(abs(fromBand - dense) < 1e-7, "video \(b) entry (\(i), \(j))")
                }
            }
        }
    }

    @Test func parityWithPyTorch() throws {
        let fixture = try ModelFixture("videosage_base")
        var config = try ReportModelChecks.config(VideoSAGE.Config.self, of: fixture)
        try ReportModelChecks.parity(fixture) { dropout in
            config.dropout = dropout
            return VideoSAGE(config: config)
        }
    }

    @Test func paddedBatchGivesEachVideoItsOwnScores() {
        ReportModelChecks.paddedBatchMatchesEachVideoAlone(VideoSAGE(config: Self.tiny, seed: 3))
    }

    @Test func packedBatchTrainsAndScoresAsThePaddedOne() throws {
        var config = Self.tiny
        config.dropout = 0.5
        try ReportModelChecks.packedBatchTrainsAndScoresAsThePaddedOne({ VideoSAGE(config: config, seed: 4) }, inputDim: config.inputDim)
    }

    @Test func leftPaddedMaskIsRejectedByName() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = VideoSAGE.chainGraphCoefficients(mask: Tensor([0, 1, 1], shape: [1, 3]))
        }
        #if DEBUG   // optimised builds drop precondition messages
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("videosage: mask row 0 is not right-padded"))
        #else
        _ = result
        #endif
    }

    @Test func flopCountMatchesTheCore() {
        ReportModelChecks.flopsAgree(VideoSAGE(config: Self.tiny), lengths: [10, 6])
    }

    @Test func trainingLowersTheLoss() {
        ReportModelChecks.trainingLowersLoss(VideoSAGE(config: Self.tiny, seed: 7), steps: 60, lr: 1e-2)
    }

    @Test func checkpointRoundTrip() throws {
        try ReportModelChecks.checkpointRoundTrip(VideoSAGE(config: Self.tiny, seed: 1),
                                                  fresh: VideoSAGE(config: Self.tiny, seed: 2))
    }
}
