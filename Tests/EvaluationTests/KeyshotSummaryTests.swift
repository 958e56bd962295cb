import Randomness
import Testing
@testable import Evaluation

@Suite struct KeyshotSummaryTests {
    private let shots = [Shot(start: 0, end: 3), Shot(start: 3, end: 5), Shot(start: 5, end: 10)]

    @Test func shotScoreIncludesTheNextShotsFirstFrameAndClampsTheLast() {
        let scores: [Double] = [1, 1, 1, 10, 10, 4, 4, 4, 4, 4]
        // [0, 3) averages frames 0...3; [3, 5) frames 3...5; the last [5, 10) only 5...9.
        #expect(shotScores(frameScores: scores, shots: shots) == [13.0 / 4, 24.0 / 3, 4])
    }

    @Test func summaryMarksTheKnapsackShotsWithinFifteenPercent() {
        // 20 frames -> budget 3: only the 2-frame or the 3-frame shot fits, the 3-frame one scores higher.
        let shots = [Shot(start: 0, end: 2), Shot(start: 2, end: 5), Shot(start: 5, end: 20)]
        var scores = [Double](repeating: 0, count: 20)
        scores[0] = 0.4; scores[1] = 0.4; scores[3] = 0.9; scores[4] = 0.9
        let summary = keyshotSummary(frameScores: scores, shots: shots)
        #expect(summary == (0..<20).map { (2..<5).contains($0) })
    }

    @Test func perfectPredictionReproducesTheGroundTruthSummary() {
        var generator = SeededGenerator(seed: 3)
        let n = 200
        let gtscore = (0..<n).map { _ in Double.random(in: 0...1, using: &generator) }
        var cuts = Set<Int>()
        while cuts.count < 30 { cuts.insert(Int.random(in: 1..<n, using: &generator)) }
        let bounds = [0] + cuts.sorted() + [n]
        let shots = (0..<(bounds.count - 1)).map { Shot(start: bounds[$0], end: bounds[$0 + 1]) }
        let gtSummary = keyshotSummary(frameScores: gtscore, shots: shots)
        let selected = gtSummary.filter { $0 }.count
        #expect(selected > 0 && selected <= n * 15 / 100)
        #expect(summaryF1(machine: keyshotSummary(frameScores: gtscore, shots: shots), groundTruth: gtSummary) == 100)
        // A reversed prediction picks other shots. (Not necessarily few: with shot means all near 0.5
        // the knapsack favours short shots whatever the scores, the known bias of keyshot F1.)
        let reversed = keyshotSummary(frameScores: gtscore.map { -$0 + 1 }, shots: shots)
        #expect(summaryF1(machine: reversed, groundTruth: gtSummary) < 100)
    }

    @Test func f1OnHandCountedSummaries() {
        let machine = [true, true, true, true, false, false]
        let truth = [false, false, true, true, true, false]
        // Overlap 2: P = 2/4, R = 2/3, F = 2PR/(P+R) x 100 = 400/7.
        #expect(abs(summaryF1(machine: machine, groundTruth: truth) - 400.0 / 7) < 1e-12)
        #expect(summaryF1(machine: [false, false], groundTruth: [true, false]) == 0)
        #expect(summaryF1(machine: [true, false], groundTruth: [false, true]) == 0)
        #expect(summaryF1(machine: [false], groundTruth: [false]) == 0)
    }
}
