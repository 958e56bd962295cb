import Randomness
import Testing
@testable import Evaluation

@Suite struct HolmTests {
    /// p = [0.01, 0.04, 0.03, 0.005], m = 4. Sorted: 0.005, 0.01, 0.03, 0.04.
    ///   0.005 x 4 = 0.02                    -> 0.02
    ///   0.01  x 3 = 0.03, max(0.02, 0.03)   -> 0.03
    ///   0.03  x 2 = 0.06, max(0.03, 0.06)   -> 0.06
    ///   0.04  x 1 = 0.04, max(0.06, 0.04)   -> 0.06 (the running maximum keeps it from falling below 0.03's)
    /// In input order: [0.03, 0.06, 0.06, 0.02].
    @Test func workedExample() {
        let adjusted = holmAdjusted([0.01, 0.04, 0.03, 0.005])
        let expected = [0.03, 0.06, 0.06, 0.02]
        #expect(adjusted.count == 4)
        for (got, want) in zip(adjusted, expected) {
            #expect(abs(got - want) <= 1e-15, "got \(adjusted), expected \(expected)")
        }
    }

    /// p = [0.5, 0.02, 0.6]: 0.02 x 3 = 0.06; 0.5 x 2 = 1.0; 0.6 x 1 = 0.6 -> max 1.0. Capped at 1.
    @Test func capsAtOneAndKeepsOrder() {
        #expect(holmAdjusted([0.5, 0.02, 0.6]) == [1.0, 0.06, 1.0])
        #expect(holmAdjusted([0.9, 0.8]) == [1, 1])
        #expect(holmAdjusted([]) == [])
        #expect(holmAdjusted([0.3]) == [0.3])
    }

    @Test func tiedPValuesGetEqualAdjustedValues() {
        // 0.01 x 3 = 0.03 for the first of the tie, 0.01 x 2 = 0.02 -> max 0.03 for the second.
        let adjusted = holmAdjusted([0.01, 0.2, 0.01])
        #expect(adjusted[0] == adjusted[2])
        #expect(abs(adjusted[0] - 0.03) <= 1e-15)
        #expect(abs(adjusted[1] - 0.2) <= 1e-15)
    }

    /// Holm's procedure as he stated it: walk the p-values in ascending order, reject while
    /// p_(i) <= alpha / (m - i + 1), stop at the first that is not. Rejection at alpha must be exactly
    /// "adjusted p <= alpha", for every alpha.
    @Test func adjustedValuesRejectWhatTheSequentialProcedureRejects() {
        var generator = SeededGenerator(seed: 4)
        for trial in 0..<300 {
            let m = generator.int(in: 1...12)
            // A mix of small and large p-values, with ties from a coarse grid in half the trials.
            let p = (0..<m).map { _ -> Double in
                let value = generator.uniform() < 0.5 ? generator.uniform() * 0.05 : generator.uniform()
                return trial % 2 == 0 ? (value * 200).rounded() / 200 : value
            }
            let adjusted = holmAdjusted(p)
            for alpha in [0.001, 0.01, 0.05, 0.1, 0.3] {
                let order = p.indices.sorted { p[$0] < p[$1] }
                var rejected = Set<Int>()
                for (rank, index) in order.enumerated() {
                    guard p[index] <= alpha / Double(m - rank) else { break }
                    rejected.insert(index)
                }
                let expected = Set(p.indices.filter { adjusted[$0] <= alpha })
                #expect(rejected == expected, "trial \(trial), alpha \(alpha): p \(p), adjusted \(adjusted)")
            }
            #expect(zip(p, adjusted).allSatisfy { $1 >= $0 && $1 <= 1 })
        }
    }
}
