/// 1-based ranks where tied values share the mean of the ranks they span, as
/// `scipy.stats.rankdata(method="average")`. Values must not be NaN.
public func averageRanks(_ values: [Double]) -> [Double] {
    // (value, index) pairs sorted by value: comparisons read one contiguous array, not values through
    // an index. The order within a tie group does not matter: the group shares one rank.
    var sorted = values.indices.map { (value: values[$0], index: $0) }
    sorted.sort { $0.value < $1.value }
    var ranks = [Double](repeating: 0, count: values.count)
    var groupStart = 0
    while groupStart < sorted.count {
        var groupEnd = groupStart + 1
        while groupEnd < sorted.count && sorted[groupEnd].value == sorted[groupStart].value {
            groupEnd += 1
        }
        // Positions groupStart..<groupEnd hold ranks groupStart+1 ... groupEnd; their mean:
        let rank = Double(groupStart + 1 + groupEnd) / 2
        for position in groupStart..<groupEnd {
            ranks[sorted[position].index] = rank
        }
        groupStart = groupEnd
    }
    return ranks
}

/// Population standard deviation (numpy's `std` with ddof 0), used for the constant-input skip rule.
public func populationStandardDeviation(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let mean = values.reduce(0, +) / Double(values.count)
    let sumOfSquares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return (sumOfSquares / Double(values.count)).squareRoot()
}

func preconditionPaired(_ x: [Double], _ y: [Double], _ function: String) {
    precondition(x.count == y.count, "\(function): inputs have \(x.count) and \(y.count) values")
    precondition(x.allSatisfy(\.isFinite) && y.allSatisfy(\.isFinite), "\(function): inputs must be finite")
}
