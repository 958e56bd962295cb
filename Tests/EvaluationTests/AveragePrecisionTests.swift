import Testing
@testable import Evaluation

private struct APFixture: Decodable {
    struct Case: Decodable {
        let labels: [Int]
        let scores: [Int]
        let ap: Double?
    }
    let cases: [Case]
}

@Suite struct AveragePrecisionTests {
    @Test func matchesSklearn() throws {
        let fixture = try loadFixture("average_precision", as: APFixture.self)
        for (index, testCase) in fixture.cases.enumerated() {
            let ap = averagePrecision(labels: testCase.labels.map { $0 == 1 },
                                      scores: testCase.scores.map(Double.init))
            expectClose(ap, testCase.ap, tolerance: 1e-12, "case \(index)")
        }
    }

    @Test func handCheckedValues() {
        // Ranking + - + : precision 1 at recall 1/2, 2/3 at recall 1 -> (1 + 2/3) / 2.
        let expected: Double = (1 + 2.0 / 3) / 2
        #expect(averagePrecision(labels: [true, false, true], scores: [3, 2, 1]) == expected)
        // A tie between the positive and a negative is one threshold: precision 1/2 at recall 1.
        #expect(averagePrecision(labels: [true, false], scores: [1, 1]) == 0.5)
        #expect(averagePrecision(labels: [false, false], scores: [1, 2]) == nil)
    }

    @Test func clipsAreFiveFramesWithAShorterLastOne() {
        let frames: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        #expect(clipMeans(frames, clipLength: 5) == [3, 8, 11.5])
        #expect(clipMeans([], clipLength: 5) == [])
    }

    @Test func equalGroundTruthClipsRankEarlierFirst() {
        #expect(topClipLabels([0.5, 0.9, 0.5, 0.5], count: 2) == [true, true, false, false])
        #expect(topClipLabels([0.2, 0.2, 0.2], count: 1) == [true, false, false])
        #expect(HighlightCutoff.top50.positiveCount(clipCount: 7) == 3)
        #expect(HighlightCutoff.top15.positiveCount(clipCount: 20) == 3)
        #expect(HighlightCutoff.top15.positiveCount(clipCount: 6) == 0)
    }

    @Test func highlightAPIsSkippedWithoutPositiveClips() {
        // 30 frames = 6 clips: floor(0.9) = 0 positives for mAP@15, 3 for mAP@50.
        let gtscore = (0..<30).map { Double($0 / 5) }
        #expect(highlightAveragePrecision(prediction: gtscore, gtscore: gtscore, cutoff: .top15) == nil)
        #expect(highlightAveragePrecision(prediction: gtscore, gtscore: gtscore, cutoff: .top50) == 1)
        let reversed = gtscore.map { -$0 }
        // Positives are clips 3, 4, 5 but rank last: precision 1/4, 2/5, 3/6 at each recall step.
        let expected: Double = (1.0 / 4 + 2.0 / 5 + 3.0 / 6) / 3
        let ap = highlightAveragePrecision(prediction: reversed, gtscore: gtscore, cutoff: .top50)
        expectClose(ap, expected, tolerance: 1e-15, "reversed prediction")
    }
}
