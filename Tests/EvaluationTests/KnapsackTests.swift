import Randomness
import Testing
@testable import Evaluation

/// The best total value over every subset whose weight fits, by enumeration.
private func bruteForceBest(values: [Double], weights: [Int], capacity: Int) -> Double {
    var best = 0.0
    for mask in 0..<(1 << values.count) {
        var value = 0.0, weight = 0
        for item in values.indices where mask & (1 << item) != 0 {
            value += values[item]
            weight += weights[item]
        }
        if weight <= capacity { best = max(best, value) }
    }
    return best
}

@Suite struct KnapsackTests {
    @Test func reachesTheBruteForceOptimum() {
        var generator = SeededGenerator(seed: 42)
        for trial in 0..<500 {
            let count = Int.random(in: 0...12, using: &generator)
            let weights = (0..<count).map { _ in Int.random(in: 1...8, using: &generator) }
            // Coarse values every other trial so that many subsets tie on the total.
            let values = (0..<count).map { _ in
                trial % 2 == 0 ? Double(Int.random(in: 0...4, using: &generator)) / 4
                               : Double.random(in: -0.2...1, using: &generator)
            }
            let capacity = Int.random(in: 0...30, using: &generator)
            let chosen = knapsackSelection(values: values, weights: weights, capacity: capacity)

            #expect(chosen == chosen.sorted() && Set(chosen).count == chosen.count, "trial \(trial)")
            #expect(chosen.reduce(0) { $0 + weights[$1] } <= capacity, "trial \(trial) overweight")
            let total = chosen.reduce(0.0) { $0 + values[$1] }
            let best = bruteForceBest(values: values, weights: weights, capacity: capacity)
            #expect(abs(total - best) < 1e-9, "trial \(trial): picked \(total), optimum \(best)")
        }
    }

    @Test func equalTotalsLeaveTheLaterItemOut() {
        // Either item alone is optimal; backtracking from the last item sees no gain from it.
        #expect(knapsackSelection(values: [1, 1], weights: [1, 1], capacity: 1) == [0])
        // A zero-value item never enters, even when it fits.
        #expect(knapsackSelection(values: [0.5, 0, 0.25], weights: [2, 1, 1], capacity: 4) == [0, 2])
        // Two light items that together equal one heavy item: the DP keeps the earlier pick.
        #expect(knapsackSelection(values: [1, 0.5, 0.5], weights: [2, 1, 1], capacity: 2) == [0])
        #expect(knapsackSelection(values: [0.5, 0.5, 1], weights: [1, 1, 2], capacity: 2) == [0, 1])
    }

    @Test func emptyInputsAndZeroCapacity() {
        #expect(knapsackSelection(values: [], weights: [], capacity: 5) == [])
        #expect(knapsackSelection(values: [3], weights: [1], capacity: 0) == [])
    }
}
