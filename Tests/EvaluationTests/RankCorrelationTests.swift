import Randomness
import Testing
@testable import Evaluation

private struct RankFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let x: [Int]
        let y: [Int]
        let tau: Double?
        let rho: Double?
    }
    let cases: [Case]
}

/// Tau-b straight from its definition, O(n^2): (C - D) / sqrt((C + D + T_y) (C + D + T_x)), where
/// T_x / T_y count pairs tied only in x / only in y.
private func bruteForceTauB(_ x: [Double], _ y: [Double]) -> Double? {
    var concordant = 0, discordant = 0, onlyX = 0, onlyY = 0
    for i in x.indices {
        for j in (i + 1)..<x.count {
            let dx = x[i] - x[j], dy = y[i] - y[j]
            if dx == 0 && dy == 0 { continue }
            if dx == 0 { onlyX += 1 } else if dy == 0 { onlyY += 1 }
            else if (dx > 0) == (dy > 0) { concordant += 1 } else { discordant += 1 }
        }
    }
    let a = Double(concordant + discordant + onlyY), b = Double(concordant + discordant + onlyX)
    guard a > 0 && b > 0 else { return nil }
    return Double(concordant - discordant) / (a * b).squareRoot()
}

@Suite struct RankCorrelationTests {
    @Test func tauAndRhoMatchScipy() throws {
        let fixture = try loadFixture("rank_correlation", as: RankFixture.self)
        #expect(fixture.cases.count > 20)
        for testCase in fixture.cases {
            let x = testCase.x.map(Double.init), y = testCase.y.map(Double.init)
            expectClose(kendallTauB(x, y), testCase.tau, tolerance: 1e-6, "tau \(testCase.name)")
            expectClose(spearmanRho(x, y), testCase.rho, tolerance: 1e-6, "rho \(testCase.name)")
        }
    }

    @Test func tauMatchesBruteForceOnTiedAndUntiedInputs() {
        var generator = SeededGenerator(seed: 7)
        for trial in 0..<300 {
            let n = Int.random(in: 0...60, using: &generator)
            // Few levels give long tie runs in one or both variables; many levels almost none.
            let xLevels = [2, 3, 10, 1000][trial % 4], yLevels = [2, 5, 1000][trial % 3]
            let x = (0..<n).map { _ in Double(Int.random(in: 0..<xLevels, using: &generator)) }
            let y = (0..<n).map { _ in Double(Int.random(in: 0..<yLevels, using: &generator)) }
            expectClose(kendallTauB(x, y), bruteForceTauB(x, y), tolerance: 1e-12, "trial \(trial), n \(n)")
        }
    }

    @Test func tauMatchesBruteForceOnALongHeavilyTiedVideo() {
        var generator = SeededGenerator(seed: 11)
        let n = 3000
        let bins = (0..<100).map { _ in Double(Int.random(in: 0...100, using: &generator)) / 100 }
        let gtscore = (0..<n).map { bins[$0 * 100 / n] }
        let prediction = gtscore.map { $0 + Double.random(in: -0.3...0.3, using: &generator) }
        expectClose(kendallTauB(prediction, gtscore), bruteForceTauB(prediction, gtscore),
                    tolerance: 1e-12, "3000 frames")
    }

    @Test func tauOfPerfectAndReversedOrder() {
        let x: [Double] = [1, 2, 2, 3, 5]
        #expect(kendallTauB(x, x) == 1)
        #expect(kendallTauB(x, x.map { -$0 }) == -1)
        #expect(kendallTauB([1], [2]) == nil)
        #expect(kendallTauB([], []) == nil)
    }

    @Test func averageRanksShareTies() {
        #expect(averageRanks([10, 20, 10, 30, 20, 20]) == [1.5, 4, 1.5, 6, 4, 4])
        #expect(averageRanks([]) == [])
    }

    @Test func rhoOfMonotoneTransformIsOne() {
        let x: [Double] = [0.3, -1, 4, 2.5, 7]
        expectClose(spearmanRho(x, x.map { $0 * $0 * $0 }), 1, tolerance: 1e-12, "cubed")
        expectClose(spearmanRho(x, x.map { -$0 }), -1, tolerance: 1e-12, "negated")
        #expect(spearmanRho([1, 1, 1], [1, 2, 3]) == nil)
    }
}
