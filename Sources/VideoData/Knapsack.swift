/// The 0/1 knapsack of evaluation.md, kept here only to build synthetic `gt_summary` (the Evaluation
/// module has its own; this file is meant to be replaced by a call to it).
///
/// Dynamic programming in double precision over items then capacities,
/// K[i][w] = max(v + K[i-1][w-wt], K[i-1][w]); backtracking from the last item takes item i only
/// where K[i][w] != K[i-1][w], so equal totals leave the item out (as MR.HiSum's code does).
enum Knapsack {
    /// Indices of the chosen items, ascending.
    static func select(values: [Double], weights: [Int], capacity: Int) -> [Int] {
        precondition(values.count == weights.count, "one weight per value")
        let items = values.count
        let width = max(capacity, 0) + 1
        var table = [Double](repeating: 0, count: (items + 1) * width)
        for i in stride(from: 1, through: items, by: 1) {
            let weight = weights[i - 1], value = values[i - 1]
            for w in 0..<width {
                let without = table[(i - 1) * width + w]
                if weight <= w {
                    table[i * width + w] = max(value + table[(i - 1) * width + w - weight], without)
                } else {
                    table[i * width + w] = without
                }
            }
        }
        var chosen: [Int] = []
        var w = width - 1
        for i in stride(from: items, to: 0, by: -1) where table[i * width + w] != table[(i - 1) * width + w] {
            chosen.append(i - 1)
            w -= weights[i - 1]
        }
        return chosen.reversed()
    }

    /// MR.HiSum's keyshot summary: each shot scores the mean of `scores` over start...end inclusive of
    /// `end` (the upstream convention, clipped to the video), weighs end - start, and the budget is
    /// floor(proportion x n). Returns 0/1 per frame.
    static func keyshotSummary(scores: [Float], shots: [Segment], proportion: Double = 0.15) -> [Float] {
        let n = scores.count
        let values = shots.map { shot -> Double in
            let last = min(shot.end, n - 1)
            let frames = scores[shot.start...last]
            return frames.reduce(0.0) { $0 + Double($1) } / Double(frames.count)
        }
        let budget = Int((proportion * Double(n)).rounded(.down))
        var summary = [Float](repeating: 0, count: n)
        for index in select(values: values, weights: shots.map(\.length), capacity: budget) {
            for frame in shots[index].start..<shots[index].end { summary[frame] = 1 }
        }
        return summary
    }
}
