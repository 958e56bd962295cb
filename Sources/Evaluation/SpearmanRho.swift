/// Spearman's rho as `scipy.stats.spearmanr(x, y)`'s statistic: the Pearson correlation of the
/// average ranks (tied values share the mean of their ranks).
///
/// Returns nil when it is undefined: fewer than 2 values, or either input constant. Inputs must have
/// equal lengths and be finite.
public func spearmanRho(_ x: [Double], _ y: [Double]) -> Double? {
    preconditionPaired(x, y, "spearmanRho")
    guard x.count >= 2 else { return nil }
    return pearsonCorrelation(averageRanks(x), averageRanks(y))
}

/// Pearson's r (nil when either input has zero variance), computed on centred values in double.
public func pearsonCorrelation(_ x: [Double], _ y: [Double]) -> Double? {
    preconditionPaired(x, y, "pearsonCorrelation")
    guard x.count >= 2 else { return nil }
    let meanX = x.reduce(0, +) / Double(x.count)
    let meanY = y.reduce(0, +) / Double(y.count)
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for (a, b) in zip(x, y) {
        let dx = a - meanX, dy = b - meanY
        sxy += dx * dy
        sxx += dx * dx
        syy += dy * dy
    }
    guard sxx > 0 && syy > 0 else { return nil }
    return min(1, max(-1, sxy / (sxx.squareRoot() * syy.squareRoot())))
}
