/// The 0/1 knapsack exactly as MR.HiSum (and the VASNet / PGL-SUM code it descends from) solves it,
/// so that equal totals pick the same items.
///
/// Dynamic programming in double precision over items then capacities:
/// K[i][w] = max(value[i-1] + K[i-1][w - weight[i-1]], K[i-1][w]), with K[0][·] = K[·][0] = 0.
/// Backtracking from the last item takes item i-1 only where K[i][w] != K[i-1][w], so an item whose
/// inclusion does not raise the total is left out.
///
/// Returns the chosen item indices in ascending order. Weights must be non-negative and the
/// capacity non-negative.
public func knapsackSelection(values: [Double], weights: [Int], capacity: Int) -> [Int] {
    precondition(values.count == weights.count,
                 "knapsackSelection: \(values.count) values but \(weights.count) weights")
    precondition(capacity >= 0, "knapsackSelection: negative capacity \(capacity)")
    precondition(weights.allSatisfy { $0 >= 0 }, "knapsackSelection: negative weight")

    let itemCount = values.count
    let columns = capacity + 1
    // Row i holds K[i][0...capacity]; row 0 and column 0 stay zero.
    var table = [Double](repeating: 0, count: (itemCount + 1) * columns)
    for item in 0..<itemCount {
        let weight = weights[item], value = values[item]
        let previous = item * columns, row = previous + columns
        for w in 1..<columns {
            let without = table[previous + w]
            table[row + w] = weight <= w ? max(value + table[previous + w - weight], without) : without
        }
    }

    var chosen: [Int] = []
    var w = capacity
    for item in stride(from: itemCount, through: 1, by: -1)
    where table[item * columns + w] != table[(item - 1) * columns + w] {
        chosen.append(item - 1)
        w -= weights[item - 1]
    }
    return chosen.reversed()
}
