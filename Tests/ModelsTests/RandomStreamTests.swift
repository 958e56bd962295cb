import Testing
import TensorCore
@testable import Models

/// Data-parallel ranks each draw dropout from their own stream (`Module.randomSources`, then
/// `RandomSource.rederive`): for every registered model and variant, the walk finds the streams its
/// training forward draws from, so two copies built from one seed agree until one is moved to another
/// stream, and then differ.
struct RandomStreamTests {
    @Test func everyModelsTrainingRandomnessIsFoundAndMoved() throws {
        for entry in ModelRegistry.standard.entries {
            for variant in entry.variants {
                let spec = ModelSpec(name: entry.name, variant: variant.variant, size: .small, inputDim: 1024, dropout: 0.5, seed: 3)
                let a = try variant.make(spec), b = try variant.make(spec), c = try variant.make(spec)
                let label = "\(entry.name) \(variant.variant)"
                #expect(!a.randomSources().isEmpty, "\(label): no random stream found")
                for source in c.randomSources() { source.rederive(salt: 1) }
                var random = SeededGenerator(seed: 11)
                let t = 24
                let features = Tensor((0..<(t * 1024)).map { _ in Float.random(in: -1...1, using: &random) }, shape: [1, t, 1024])
                let mask = Tensor(repeating: 1, shape: [1, t])
                let (ya, yb, yc) = (a(features, mask: mask).values, b(features, mask: mask).values, c(features, mask: mask).values)
                // Same stream: equal up to the summation order some kernels choose at run time; another
                // stream at dropout 0.5: far apart.
                func largestDifference(_ x: [Float], _ y: [Float]) -> Float { zip(x, y).map { abs($0 - $1) }.max() ?? 0 }
                #expect(largestDifference(ya, yb) < 1e-4, "\(label): one seed, one stream, yet different outputs")
                #expect(largestDifference(ya, yc) > 1e-2, "\(label): another dropout stream left the training output unchanged")
            }
        }
    }
}
