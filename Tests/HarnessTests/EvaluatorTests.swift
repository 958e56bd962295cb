import Foundation
import Models
import TensorCore
import Testing
import VideoData
@testable import Harness

/// The evaluator scores a split's videos several at a time (`Threading.concurrentItems`), each on one
/// thread. Every registered model, both variants, must score the same concurrently as one video after
/// another on one thread (a model that kept state across a forward pass would not), and batched scoring
/// must give each video's own bits. Both passes hold their thread count (`Threading.withCount`); the
/// comparison still allows 1e-5, the margin it took when a test beside it could change OpenBLAS's
/// (process-wide) count under the one-thread pass. A bench run changes nothing while it evaluates, and
/// its predictions are the same bits at any `--threads`.
struct EvaluatorTests {
    static func data() throws -> PreparedData {
        var config = TestData.smallConfig
        config.valCount = 9
        config.featureWidth = 32
        return try PreparedData.open(try TestData.synthetic("evaluator", config: config), expectedFeatureWidth: nil)
    }

    static let models: [(String, ModelVariant)] = ModelRegistry.standard.names.flatMap { [($0, .report), ($0, .paper)] }

    static func largestDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        guard a.map(\.count) == b.map(\.count) else { return .infinity }
        return zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
    }

    @Test(arguments: models) func concurrentScoringGivesEachVideosOwnScores(_ name: String, _ variant: ModelVariant) throws {
        let data = try Self.data()
        let model = try ModelRegistry.standard.make(ModelSpec(name: name, variant: variant, size: .small, inputDim: 32, dropout: 0.1, seed: 4))
        let keys = data.dataset.split.val
        let one = try Threading.withCount(1) { try Evaluator(dataset: data.dataset).predict(model, keys: keys) }
        let two = try Threading.withCount(2) { try Evaluator(dataset: data.dataset).predict(model, keys: keys) }
        let difference = Self.largestDifference(one.predictions, two.predictions)
        #expect(difference <= 1e-5, "\(name) \(variant): concurrent scores differ from one thread's by \(difference)")
        #expect(one.videos.map(\.key) == keys && two.videos.map(\.key) == keys)
        #expect(zip(one.predictions, one.videos).allSatisfy { $0.count == $1.length })
        #expect(one.frames == one.videos.reduce(0) { $0 + $1.length })
    }

    /// Batches of 2 to 4 videos (length-sorted, padded or packed as the model asks) score every video bit
    /// for bit as it scores alone, on 20-40-frame videos: long enough that OpenBLAS's products, whose
    /// kernels change with the matrix's size, moved some scores (`WeightPanels`). Each pass holds OpenBLAS
    /// at one thread per item, and no other test can change that meanwhile (`Threading.withCount`).
    /// Bit for bit with OpenBLAS's AVX-512 and generic kernels; its Haswell and Zen kernels moved one
    /// LoGoNet score in batches of 2-4 (a product not against a weight, which stays OpenBLAS's), so with
    /// those the scores must agree to 1e-6.
    @Test(arguments: models) func batchesScoreEachVideoBitForBitAsAlone(_ name: String, _ variant: ModelVariant) throws {
        let exact = ["SkylakeX", "Cooperlake", "Prescott"].contains(BLASKernel.coreName)
        let data = try Self.data()
        let model = try ModelRegistry.standard.make(ModelSpec(name: name, variant: variant, size: .small, inputDim: 32, dropout: 0.1, seed: 5))
        let keys = data.dataset.split.val
        try Threading.withCount(2) {
            let alone = try Evaluator(dataset: data.dataset, batchSize: 1).predict(model, keys: keys).predictions
            for batchSize in [2, 3, 4] {
                let batched = try Evaluator(dataset: data.dataset, batchSize: batchSize).predict(model, keys: keys).predictions
                let moved = zip(alone, batched).map { a, b in zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count }.reduce(0, +)
                let difference = Self.largestDifference(alone, batched)
                #expect(batched.map(\.count) == alone.map(\.count) && (exact ? moved == 0 : difference <= 1e-6),
                        "\(name) \(variant), batches of \(batchSize) (\(BLASKernel.coreName)): \(moved) scores differ from the videos' own, by up to \(difference)")
            }
        }
    }
}
