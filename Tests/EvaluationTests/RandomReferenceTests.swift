import Randomness
import Testing
@testable import Evaluation

@Suite struct RandomReferenceTests {
    @Test func randomReferenceScoresAreSeededUniformDraws() {
        let first = uniformRandomScores(frames: 100, seed: 4, draw: 0)
        #expect(first == uniformRandomScores(frames: 100, seed: 4, draw: 0))
        #expect(first != uniformRandomScores(frames: 100, seed: 4, draw: 1))
        #expect(first != uniformRandomScores(frames: 100, seed: 5, draw: 0))
        let all = (0..<randomReferenceDraws).flatMap { uniformRandomScores(frames: 100, seed: 4, draw: $0) }
        #expect(all.allSatisfy { $0 >= 0 && $0 < 1 })
        // 10,000 uniform values: mean 0.5 with a standard error of 0.0029.
        #expect(abs(all.reduce(0, +) / Double(all.count) - 0.5) < 0.012)
        #expect(uniformRandomScores(frames: 0, seed: 4, draw: 0).isEmpty)
        // Draw 7 on its own generator, derived from the seed and the draw number alone, so draws can be
        // made in any order.
        var generator = SeededGenerator(seed: SplitMix64.derive(4, 7))
        #expect(uniformRandomScores(frames: 5, seed: 4, draw: 7) == (0..<5).map { _ in generator.uniform() })
    }
}
